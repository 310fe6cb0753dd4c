"""Correlation ids are made by the server; a caller's X-Request-ID is kept apart, cleaned, and never reused."""

from __future__ import annotations

import pytest

from mechanisms.kernel import correlation

pytestmark = pytest.mark.django_db


def test_every_request_gets_a_fresh_server_made_id_whatever_the_caller_sends(small_org, as_):
    ids = {as_("eve").get("/api/v1/teams", HTTP_X_REQUEST_ID="same").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3
    assert "same" not in ids
    assert all(len(i) == 32 and i.isalnum() for i in ids)


def test_a_request_without_a_header_gets_an_id_too(small_org, as_):
    assert len(as_("eve").get("/api/v1/teams").headers["X-Request-ID"]) == 32


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("abc-123", "abc-123"),
        ("  padded  ", "padded"),
        ("with space", "withspace"),
        ("tab\there", "tabhere"),
        ("x" * 100, "x" * 64),
        ("ünï", "n"),
        ("", None),
        (None, None),
    ],
)
def test_a_callers_request_id_is_printable_ascii_of_at_most_64(sent, kept):
    assert correlation.sanitize_client_id(sent) == kept


def test_outside_a_request_there_is_no_callers_id_and_a_scope_has_its_own_id():
    assert correlation.client_request_id() is None
    token = correlation.begin()
    try:
        first = correlation.current()
        assert correlation.current() == first
    finally:
        correlation.end(token)
    token = correlation.begin()
    try:
        assert correlation.current() != first
    finally:
        correlation.end(token)
