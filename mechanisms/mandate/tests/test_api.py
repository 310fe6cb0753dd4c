"""The mandate API: shapes, status codes and permissions."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.catalog import services as catalog_services
from mechanisms.kernel.actor import Actor

SYSTEM = Actor.system("test")
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
pytestmark = pytest.mark.django_db


@pytest.fixture
def back_door(small_org):
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["checkout-api"].id,
        kind="accesses",
        datastore_id=small_org.datastores["ledger-db"].id,
    )


def test_evaluate_then_list_findings(api_client, back_door):
    admin = api_client("admin")
    response = admin.post("/api/v1/mandate/evaluate", content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["by_rule"]["mandate/back-door"] == 1
    page = api_client("bob").get("/api/v1/mandate/findings?rule=mandate/back-door").json()
    assert page["total"] == 1
    assert page["items"][0]["subject"] == "component:default/checkout-api"
    assert page["items"][0]["related"] == ["resource:default/ledger-db"]


def test_evaluate_is_for_admins(api_client):
    response = api_client("ann").post("/api/v1/mandate/evaluate", content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert api_client(None).get("/api/v1/mandate/findings").status_code == 401


def test_findings_are_paginated(api_client, back_door):
    api_client("admin").post("/api/v1/mandate/evaluate", content_type="application/json")
    page = api_client("ann").get("/api/v1/mandate/findings?limit=1").json()
    assert len(page["items"]) == 1 and page["total"] > 1 and page["next_offset"] == 1


def test_request_approve_list_and_revoke_a_waiver(api_client, small_org, back_door):
    bob, hal = api_client("bob"), api_client("hal")
    body = {
        "subject": "component:default/checkout-api",
        "rule": "mandate/back-door",
        "related": "resource:default/ledger-db",
        "reason": "Moving to the ledger API this quarter.",
        "expires": FUTURE,
    }
    response = bob.post("/api/v1/mandate/waivers", body, content_type="application/json")
    assert response.status_code == 201, response.content
    waiver = response.json()
    assert waiver["approver_handle"] == "hal" and waiver["state"] == "pending"  # the suggested bar raiser
    assert api_client("ann").get("/api/v1/mandate/waivers?state=active").json()["total"] == 0
    review = f"/api/v1/bar-raisers/reviews/{waiver['review_id']}"
    recommendation = {"version": 1, "recommendation": "approve", "reasoning": "A dated plan."}
    assert hal.post(f"{review}/recommend", recommendation, content_type="application/json").status_code == 200
    assert bob.post(f"{review}/accept", {"version": 2}, content_type="application/json").status_code == 200
    assert api_client("ann").get("/api/v1/mandate/waivers?state=active").json()["total"] == 1
    assert api_client("ann").delete(f"/api/v1/mandate/waivers/{waiver['id']}").status_code == 403
    response = hal.delete(f"/api/v1/mandate/waivers/{waiver['id']}")
    assert response.status_code == 200 and response.json()["revoked"]


def test_waiver_refusals_name_the_field(api_client, small_org):
    body = {
        "subject": "component:default/checkout-api",
        "rule": "mandate/back-door",
        "reason": "x",
        "expires": FUTURE,
        "approver_id": small_org.people["eve"].id,
        "approver_reason": "she knows the ledger",
    }
    response = api_client("bob").post("/api/v1/mandate/waivers", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["details"]["field"] == "approver_id"
    response = api_client("bob").post(
        "/api/v1/mandate/waivers", {**body, "expires": "2000-01-01"}, content_type="application/json"
    )
    assert response.status_code == 400
    response = api_client("bob").post("/api/v1/mandate/waivers", {**body, "extra": 1}, content_type="application/json")
    assert response.status_code == 422
    response = api_client("admin").post("/api/v1/mandate/waivers", body, content_type="application/json")
    assert response.status_code == 403  # an account without a person cannot own the request


def test_team_scorecard_per_role(api_client, small_org):
    api_client("admin").post("/api/v1/mandate/evaluate", content_type="application/json")
    url = f"/api/v1/mandate/teams/{small_org.teams['checkout'].id}/scorecard"
    response = api_client("vp-retail").get(url)
    assert response.status_code == 200
    card = response.json()
    assert card["slug"] == "checkout" and len(card["history"]) == 1
    assert api_client("dan").get(url).status_code == 403
    assert api_client("admin").get("/api/v1/mandate/teams/999999/scorecard").status_code == 404


def test_org_unit_scorecard(api_client, small_org):
    url = f"/api/v1/mandate/org-units/{small_org.units['retail'].id}/scorecard"
    assert api_client("admin").get(url).status_code == 200
    assert api_client("ann").get(url).status_code == 403


def test_conway(api_client, back_door):
    report = api_client("eve").get("/api/v1/mandate/conway").json()
    assert {t["slug"] for t in report["teams"]} == {"checkout", "payments", "identity"}
    assert report["edges"][0]["accesses"] == 1
