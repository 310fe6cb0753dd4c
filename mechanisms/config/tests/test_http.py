"""HTTP edges of the API: every error is the JSON error body, big bodies are a 413 (except the import endpoints,
which take the product's own export), production headers (issue 8, item 7)."""

from __future__ import annotations

import json

import pytest
from django.db import DatabaseError, connection
from django.test import Client, RequestFactory

from mechanisms.config.api import server_error
from mechanisms.kernel.testing import error_of

pytestmark = pytest.mark.django_db

JSON = "application/json"
THREE_MB = 3 * 1024 * 1024


def test_a_body_over_the_limit_is_413_with_the_json_error_body(small_org, as_):
    body = json.dumps({"name": "big", "owner_team_id": 1, "description": "x" * THREE_MB})
    response = as_("admin").post("/api/v1/services", body, content_type=JSON)
    assert response.status_code == 413
    assert response["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == "too_large"


def test_the_json_import_takes_a_body_larger_than_the_general_limit(small_org, as_):
    exported = as_("admin").get("/api/v1/exports/json").json()
    # The product's own export, padded past 2.5 MB with a long description: read and imported, not a 413.
    exported["services"][0]["description"] = "d" * THREE_MB
    response = as_("admin").post("/api/v1/imports/json", json.dumps({"document": exported}), content_type=JSON)
    assert response.status_code != 413, response.content[:300]
    assert response.status_code in (200, 400)
    assert "error" in response.json() or "updated" in response.json()


def test_the_import_limit_itself_is_a_413_with_the_json_error_body(small_org, as_, settings):
    settings.MECH_LARGE_BODY_MAX_BYTES = THREE_MB
    body = json.dumps({"document": {"format": "mechanisms/v1", "people": [], "pad": "x" * (THREE_MB + 10)}})
    response = as_("admin").post("/api/v1/imports/json", body, content_type=JSON)
    assert response.status_code == 413
    assert error_of(response)["details"]["limit_bytes"] == THREE_MB


def test_an_unhandled_error_in_an_api_operation_is_a_logged_500_with_the_json_error_body(small_org, as_, caplog):
    def database_down(execute, sql, params, many, context):
        raise DatabaseError("the database went away")

    client = as_("bob")
    client.get("/api/v1/services")  # authenticate once; the failure below is inside the operation
    with connection.execute_wrapper(database_down):
        response = client.get("/api/v1/teams")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert error_of(response)["code"] == "server_error"
    assert "the database went away" not in response.content.decode()  # no internals to the client
    assert any("unhandled error" in r.getMessage() for r in caplog.records)


def test_a_server_error_outside_the_api_handlers_is_json_on_api_paths_and_a_page_elsewhere():
    api = server_error(RequestFactory().get("/api/v1/teams"))
    assert (api.status_code, json.loads(api.content)["error"]["code"]) == (500, "server_error")
    page = server_error(RequestFactory().get("/teams"))
    assert page.status_code == 500 and not page["Content-Type"].startswith("application/json")


def test_an_unknown_api_path_is_a_json_404(small_org):
    response = Client().get("/api/v1/no-such-thing")
    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_every_response_carries_a_request_id(small_org, as_):
    for response in (as_("bob").get("/api/v1/teams"), Client().get("/api/v1/teams"), Client().get("/signin")):
        assert response.get("X-Request-ID")


def test_the_content_security_policy_is_sent_when_configured(small_org, settings):
    settings.MECH_CSP = "default-src 'self'"
    assert Client().get("/signin")["Content-Security-Policy"] == "default-src 'self'"
    settings.MECH_CSP = ""
    assert "Content-Security-Policy" not in Client().get("/signin")
