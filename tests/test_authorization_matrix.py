"""The authorization-matrix helper itself (kernel.testing.check_matrix): every cell runs and every mismatch is
reported in one message; a refused write that changed something is a mismatch too."""

from __future__ import annotations

import pytest

from mechanisms.kernel.testing import Door, check_matrix


def test_every_mismatch_is_reported_at_once():
    allowed = {("bob", "a")}
    door = Door("fake", lambda handle, record: "allowed" if (handle, record) in allowed else "404")
    with pytest.raises(AssertionError) as failure:
        check_matrix(
            """
                  a        b
            bob   allowed  allowed
            eve   allowed  404
            """,
            doors=[door],
            records={"a": "a", "b": "b"},
        )
    message = str(failure.value)
    assert "2 authorization matrix mismatch(es)" in message
    assert "bob x b x fake: expected allowed, got 404" in message
    assert "eve x a x fake: expected allowed, got 404" in message


def test_a_refused_write_that_changed_something_is_a_mismatch():
    state = {"version": 1}

    def leaky_write(handle, record):
        state["version"] += 1
        return "403"

    with pytest.raises(AssertionError, match="refused \\(403\\) but changed 1->2"):
        check_matrix(
            "x\neve 403", doors=[Door("leaky", leaky_write)], records={"x": None}, unchanged=lambda r: state["version"]
        )


def test_the_anonymous_row_probes_without_a_handle_and_a_crash_is_reported():
    seen = []

    def door(handle, record):
        seen.append(handle)
        raise RuntimeError("boom")

    with pytest.raises(AssertionError, match="raised RuntimeError"):
        check_matrix("x\nanonymous 401", doors=[Door("crash", door)], records={"x": 1}, roles={"anonymous": "ann"})
    assert seen == [None]
