"""Away-team API (issue 4): a request walked through its life as a new user would, the error shapes (a wrong
state or person is a 4xx naming the rule, a stale version a 409), the reports, and two answers at once."""

from __future__ import annotations

import pytest

from mechanisms.away_teams import services as away
from mechanisms.kernel.errors import Conflict
from mechanisms.kernel.testing import at_the_same_time, error_of, field_of

pytestmark = pytest.mark.django_db
BASE = "/api/v1/away-requests"


def post(client, path, body):
    return client.post(path, body, content_type="application/json")


def filed(o, as_):
    response = post(
        as_("bob"),
        BASE,
        {
            "service_id": o.services["payments-api"].id,
            "requesting_team_id": o.teams["checkout"].id,
            "title": "Refunds by API",
            "what": "POST /refunds",
            "why": "Customers wait three days for a refund",
            "design": "An idempotent endpoint",
        },
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_the_openapi_document_lists_the_away_team_and_lifecycle_operations(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    away_ops = [(p, m) for p, ops in paths.items() if p.startswith("/api/v1/away-") for m in ops]
    assert len(away_ops) >= 8
    for path in ("/api/v1/teams/{team_id}/dissolve", "/api/v1/services/{service_id}/transfer", "/api/v1/teams/form"):
        assert "post" in paths[path]
    accept = paths["/api/v1/away-requests/{request_id}/accept"]["post"]
    assert {"400", "403", "404", "409", "422"} <= set(accept["responses"])


def test_a_request_walked_from_filing_to_warranty(small_org, as_):
    o = small_org
    r = filed(o, as_)
    assert (r["state"], r["home_team_slug"], r["overdue"]) == ("filed", "payments", False)
    moves = [
        ("eve", "accept", {"contact_id": o.people["eve"].id, "standards": "Payments standards", "effort_days": 1}),
        ("bob", "start", {}),
        ("bob", "submit", {"note": "Ready"}),
        ("dan", "review", {"approved": True, "note": "Good"}),
        ("bob", "hand-off", {"tests": True, "docs": True, "runbook": True, "downstream_impact": "Faster refunds"}),
        ("eve", "accept-hand-off", {}),
    ]
    for handle, action, body in moves:
        response = post(as_(handle), f"{BASE}/{r['id']}/{action}", {"version": r["version"], **body})
        assert response.status_code == 200, (action, response.content)
        r = response.json()
    assert r["state"] == "warranty" and r["warranty_until"]
    view = as_("gus").get(f"{BASE}/{r['id']}").json()
    assert [e["transition"] for e in view["timeline"]] == [
        "file",
        "accept",
        "start",
        "submit",
        "review",
        "hand_off",
        "accept_hand_off",
    ]
    assert view["actions"] == [] and view["viewer_parties"] == []
    board = as_("ann").get(f"/api/v1/teams/{o.teams['payments'].id}/away-board").json()
    assert board["inbound_by_state"] == {"warranty": 1}
    credit = as_("ann").get("/api/v1/away-reports/credit").json()
    assert credit["teams"][0]["slug"] == "checkout" and credit["teams"][0]["with_impact"] == 1
    tax = as_("ann").get("/api/v1/away-reports/tax").json()
    assert tax["items"][0]["team_slug"] == "payments" and tax["total"] == 1


def test_escalation_through_the_api(small_org, as_):
    o = small_org
    r = filed(o, as_)
    r = post(as_("eve"), f"{BASE}/{r['id']}/decline", {"version": r["version"], "reason": "No capacity"}).json()
    r = post(as_("bob"), f"{BASE}/{r['id']}/escalate", {"version": r["version"], "reason": "Customers"}).json()
    assert r["decider_id"] == o.people["vp-retail"].id
    mine = as_("vp-retail").get(f"{BASE}/escalations").json()
    assert [x["id"] for x in mine["items"]] == [r["id"]]
    assert as_("ceo").get(f"{BASE}/escalations").json()["total"] == 0
    decided = post(
        as_("vp-retail"),
        f"{BASE}/{r['id']}/decide",
        {"version": r["version"], "decision": "reshuffle", "reason": "Refunds first"},
    )
    assert decided.json()["state"] == "home_builds"


def test_wrong_state_wrong_person_and_stale_version(small_org, as_):
    o = small_org
    r = filed(o, as_)
    wrong_person = post(as_("bob"), f"{BASE}/{r['id']}/decline", {"version": r["version"], "reason": "x"})
    assert wrong_person.status_code == 403
    assert "home team" in error_of(wrong_person)["message"] and error_of(wrong_person)["details"]["rule"] == "decline"
    wrong_state = post(as_("bob"), f"{BASE}/{r['id']}/start", {"version": r["version"]})
    assert wrong_state.status_code == 400 and field_of(wrong_state) == "state"
    assert "filed" in error_of(wrong_state)["message"]
    missing = post(as_("eve"), f"{BASE}/{r['id']}/decline", {"version": r["version"], "reason": " "})
    assert missing.status_code == 400 and field_of(missing) == "reason"
    ok = post(as_("eve"), f"{BASE}/{r['id']}/decline", {"version": r["version"], "reason": "No"})
    assert ok.status_code == 200
    stale = post(as_("dan"), f"{BASE}/{r['id']}/build-at-home", {"version": r["version"]})
    assert stale.status_code == 409 and field_of(stale) == "version"
    unknown = post(as_("eve"), f"{BASE}/{r['id']}/decline", {"version": 2, "reason": "x", "extra": 1})
    assert unknown.status_code == 422
    assert as_("bob").get(f"{BASE}/999999").status_code == 404
    assert as_(None).get(BASE).status_code == 401
    bad_filter = as_("bob").get(f"{BASE}?state=nonsense")
    assert bad_filter.status_code == 400 and field_of(bad_filter) == "state"
    incomplete = post(as_("bob"), BASE, {"service_id": o.services["payments-api"].id})
    assert incomplete.status_code == 422


def test_the_list_is_paginated_and_filtered(small_org, as_):
    o = small_org
    for _ in range(3):
        filed(o, as_)
    page = as_("bob").get(f"{BASE}?team_id={o.teams['payments'].id}&direction=inbound&limit=2").json()
    assert (page["total"], len(page["items"]), page["next_offset"]) == (3, 2, 2)
    assert as_("bob").get(f"{BASE}?team_id={o.teams['payments'].id}&direction=outbound").json()["total"] == 0
    assert as_("bob").get(f"{BASE}?limit=100000").json()["limit"] == 200


def test_only_an_admin_sweeps(small_org, as_):
    assert post(as_("bob"), f"{BASE}/sweep", {}).status_code == 403
    assert post(as_("admin"), f"{BASE}/sweep", {}).json() == {"reminded": 0, "closed": 0}


@pytest.mark.django_db(transaction=True)
def test_two_conflicting_answers_at_once_one_wins_the_other_gets_409(small_org):
    o = small_org
    request = away.file_request(
        actor=o.actor("bob"),
        service_id=o.services["payments-api"].id,
        requesting_team_id=o.teams["checkout"].id,
        title="t",
        what="w",
        why="y",
    )
    answers = {
        "eve": lambda: away.accept_request(
            actor=o.actor("eve"),
            request_id=request.id,
            version=request.version,
            contact_id=o.people["eve"].id,
            standards="s",
        ),
        "dan": lambda: away.decline_request(
            actor=o.actor("dan"), request_id=request.id, version=request.version, reason="No"
        ),
    }
    outcomes = at_the_same_time(lambda handle: answers[handle](), handles=("eve", "dan"))
    assert sorted(outcomes.values()) == ["conflict", "ok"], outcomes
    winner = next(h for h, outcome in outcomes.items() if outcome == "ok")
    after = away.request_view(actor=o.actor("bob"), request_id=request.id)
    assert after.request.state == {"eve": "accepted", "dan": "declined"}[winner]
    assert [e.transition for e in after.timeline] == ["file", {"eve": "accept", "dan": "decline"}[winner]]
    with pytest.raises(Conflict):
        answers["eve" if winner == "dan" else "dan"]()
