"""History API (GET /api/v1/history): every record's changes, one request's changes, and who may read what."""

from __future__ import annotations

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

JSON = "application/json"


def test_history_of_a_record_lists_its_changes_newest_first(small_org, api_client):
    svc = small_org.services["checkout-api"]
    bob = api_client("bob")
    bob.patch(f"/api/v1/services/{svc.id}", {"version": 1, "tier": 1}, content_type=JSON)
    bob.post(f"/api/v1/services/{svc.id}/retire", {"version": 2, "reason": "replaced"}, content_type=JSON)

    response = api_client("eve").get(f"/api/v1/history?subject_type=service&subject_id={svc.id}")

    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"items", "total", "limit", "offset", "next_offset"}
    assert [c["verb"] for c in body["items"]] == ["retire", "update", "create"]
    retire, update, create = body["items"]
    assert set(retire) == {
        "id",
        "at",
        "actor_label",
        "actor_person_id",
        "correlation_id",
        "verb",
        "subject_type",
        "subject_id",
        "subject_label",
        "before",
        "after",
        "reason",
        "client_request_id",
        "erased",
    }
    assert (retire["actor_label"], retire["actor_person_id"], retire["reason"]) == (
        "bob",
        small_org.people["bob"].id,
        "replaced",
    )
    assert (retire["subject_type"], retire["subject_id"], retire["subject_label"]) == (
        "service",
        str(svc.id),
        "checkout-api",
    )
    assert (update["before"]["tier"], update["after"]["tier"]) == (3, 1)
    assert (create["before"], create["after"]["name"]) == (None, "checkout-api")


def test_history_is_paginated(small_org, api_client):
    team = small_org.teams["checkout"]  # created, then three members added: four changes
    body = api_client("eve").get(f"/api/v1/history?subject_type=team&subject_id={team.id}&limit=3").json()
    assert (len(body["items"]), body["total"], body["next_offset"]) == (3, 4, 3)
    assert (
        api_client("eve").get(f"/api/v1/history?subject_type=team&subject_id={team.id}&limit=900").json()["limit"]
        == 200
    )


@pytest.mark.parametrize(
    ("query", "limit", "offset"),
    [("limit=0", 50, 0), ("limit=-5", 50, 0), ("limit=201", 200, 0), ("offset=-3", 50, 0), ("offset=2", 50, 2)],
)
def test_history_page_size_and_offset_are_clamped_not_refused(small_org, api_client, query, limit, offset):
    team = small_org.teams["checkout"]
    body = api_client("eve").get(f"/api/v1/history?subject_type=team&subject_id={team.id}&{query}").json()
    assert (body["limit"], body["offset"], len(body["items"])) == (limit, offset, 4 - offset)


def test_one_requests_changes_share_the_correlation_id_the_server_made(small_org, api_client):
    bob = api_client("bob")
    response = bob.post(
        "/api/v1/services",
        {"name": "cart-api", "owner_team_id": small_org.teams["checkout"].id},
        content_type=JSON,
        HTTP_X_REQUEST_ID="req-cart-1",
    )
    assert response.status_code == 201
    made = response["X-Request-ID"]
    assert made != "req-cart-1"
    changes = api_client("eve").get(f"/api/v1/history?correlation_id={made}").json()["items"]
    assert [(c["verb"], c["subject_type"], c["subject_label"]) for c in changes] == [("create", "service", "cart-api")]
    # The caller's own id is kept on the record for their tracing, and selects nothing.
    assert changes[0]["client_request_id"] == "req-cart-1"
    assert api_client("eve").get("/api/v1/history?correlation_id=req-cart-1").json()["total"] == 0
    assert api_client("admin").get("/api/v1/history?correlation_id=req-cart-1").json()["total"] == 0


def test_a_refused_write_leaves_no_history(small_org, api_client):
    svc = small_org.services["checkout-api"]
    refused = api_client("eve").patch(f"/api/v1/services/{svc.id}", {"version": 1, "tier": 1}, content_type=JSON)
    assert refused.status_code == 403
    made = refused["X-Request-ID"]
    assert api_client("admin").get(f"/api/v1/history?correlation_id={made}").json()["total"] == 0


def test_history_needs_sign_in(small_org):
    response = Client().get("/api/v1/history?subject_type=service&subject_id=1")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"


def test_only_an_admin_reads_the_whole_log(small_org, api_client):
    refused = api_client("eve").get("/api/v1/history")
    assert refused.status_code == 403
    assert refused.json()["error"]["details"] == {"field": "subject_type"}
    everything = api_client("admin").get("/api/v1/history?limit=200").json()
    assert everything["total"] == len(everything["items"])
    kinds = {c["subject_type"] for c in everything["items"]}
    assert kinds == {"person", "org_unit", "team", "account", "service", "interface", "datastore", "bar_raiser"}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("subject_type=%00", "subject_type"),
        ("limit=many", "limit"),
        ("subject_type=spaceship&subject_id=1", "subject_type"),
    ],
)
def test_a_bad_filter_is_422_naming_it(small_org, api_client, query, field):
    response = api_client("eve").get(f"/api/v1/history?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["details"]["field"] == field


def test_unknown_record_has_an_empty_history(small_org, api_client):
    body = api_client("eve").get("/api/v1/history?subject_type=service&subject_id=999999").json()
    assert (body["items"], body["total"]) == ([], 0)


def test_openapi_documents_the_subject_types(db):
    doc = Client().get("/api/openapi.json").json()
    parameters = {p["name"]: p for p in doc["paths"]["/api/v1/history"]["get"]["parameters"]}
    described = parameters["subject_type"].get("description", "")
    from mechanisms.audit import services as audit_services

    product_types = [n for n, t in audit_services.subject_types().items() if not t.owner.startswith("audit.tests")]
    assert len(product_types) >= 13
    for subject_type in product_types:
        assert subject_type in described
    assert {"401", "403", "404", "422"} <= set(doc["paths"]["/api/v1/history"]["get"]["responses"])
