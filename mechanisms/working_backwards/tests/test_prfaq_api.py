"""The PR/FAQ API: shapes, status codes, and that outsiders get 404 (the full door matrix is test_matrix's)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


def _create(as_, org, parts):
    response = as_("bob").post(
        "/api/v1/prfaqs",
        {"title": "Acme Pay Later", "team_id": org.teams["checkout"].id, "parts": parts},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_create_read_revise_and_submit_through_the_api(as_, small_org, good_parts):
    created = _create(as_, small_org, good_parts)
    pid = created["id"]
    view = as_("bob").get(f"/api/v1/prfaqs/{pid}").json()
    assert view["parts"]["customer"] == good_parts["customer"]
    assert view["report"]["ok"] is True
    assert "shelve" in view["actions"] and "submit" not in view["actions"]  # no circle-2 reviewer yet
    assert as_("cat").get(f"/api/v1/prfaqs/{pid}").status_code == 404
    assert as_("admin").get(f"/api/v1/prfaqs/{pid}").status_code == 404
    assert as_("cat").get("/api/v1/prfaqs").json()["total"] == 0
    revised = as_("bob").put(
        f"/api/v1/prfaqs/{pid}/body",
        {"parts": {"summary": "Shorter."}, "version": view["document_version"], "note": "tighter"},
        content_type="application/json",
    )
    assert revised.status_code == 200, revised.content
    stale = as_("bob").put(
        f"/api/v1/prfaqs/{pid}/body",
        {"parts": {"summary": "Again."}, "version": view["document_version"]},
        content_type="application/json",
    )
    assert stale.status_code == 409
    members = as_("bob").put(
        f"/api/v1/prfaqs/{pid}/circles/2",
        {"reviewer_ids": [small_org.people["cat"].id], "reader_ids": [], "version": created["version"]},
        content_type="application/json",
    )
    assert members.status_code == 200, members.content
    circle = as_("bob").get(f"/api/v1/prfaqs/{pid}/circles/2").json()
    assert circle["reviewer_ids"] == [small_org.people["cat"].id]
    submitted = as_("bob").post(
        f"/api/v1/prfaqs/{pid}/submit", {"version": members.json()["version"]}, content_type="application/json"
    )
    assert submitted.status_code == 200, submitted.content
    assert (submitted.json()["state"], submitted.json()["circle"]) == ("in_review", 2)
    assert as_("cat").get(f"/api/v1/prfaqs/{pid}").status_code == 200


def test_advancing_without_being_the_circles_reviewer_is_403_naming_the_rule(as_, small_org, good_parts):
    created = _create(as_, small_org, good_parts)
    pid = created["id"]
    as_("bob").put(
        f"/api/v1/prfaqs/{pid}/circles/2",
        {"reviewer_ids": [small_org.people["cat"].id], "reader_ids": [small_org.people["eve"].id], "version": 1},
        content_type="application/json",
    )
    as_("bob").put(
        f"/api/v1/prfaqs/{pid}/circles/3",
        {"reviewer_ids": [small_org.people["vp-retail"].id], "version": 2},
        content_type="application/json",
    )
    as_("bob").post(f"/api/v1/prfaqs/{pid}/submit", {"version": 3}, content_type="application/json")
    refused = as_("eve").post(f"/api/v1/prfaqs/{pid}/advance", {"version": 4}, content_type="application/json")
    assert refused.status_code == 403
    assert "reviewer of the current circle" in refused.json()["error"]["message"]
    outsider = as_("vp-retail").post(f"/api/v1/prfaqs/{pid}/advance", {"version": 4}, content_type="application/json")
    assert outsider.status_code == 404


def test_the_checker_endpoint_reports_missing_core_paragraphs(as_, small_org, good_parts):
    parts = {k: v for k, v in good_parts.items() if k != "customer"}
    report = as_("dan").post("/api/v1/prfaqs/check", {"parts": parts}, content_type="application/json").json()
    assert report["ok"] is False
    assert [(f["rule"], f["part"]) for f in report["findings"] if f["severity"] == "error"] == [
        ("missing_core_paragraph", "customer")
    ]
    unknown = as_("dan").post("/api/v1/prfaqs/check", {"parts": {"nope": "x"}}, content_type="application/json")
    assert unknown.status_code == 400


def test_circles_doors_refuse_a_bad_circle_another_person_and_outsiders(as_, small_org, good_parts):
    pid = _create(as_, small_org, good_parts)["id"]
    assert as_("bob").get(f"/api/v1/prfaqs/{pid}/circles/7").status_code == 400
    assert as_("bob").get(f"/api/v1/prfaqs/{pid}/circles/1").json()["reviewer_ids"] == [small_org.people["bob"].id]
    assert as_("cat").get(f"/api/v1/prfaqs/{pid}/circles/2").status_code == 404
    suggested = as_("bob").get(f"/api/v1/prfaqs/{pid}/suggested-circles").json()
    assert suggested == [
        {"circle": 3, "person_ids": [small_org.people["vp-retail"].id]},
        {"circle": 4, "person_ids": [small_org.people["ceo"].id]},
    ]
    named = as_("bob").put(
        f"/api/v1/prfaqs/{pid}/circles/2",
        {"reviewer_ids": [small_org.people["cat"].id], "version": 1},
        content_type="application/json",
    )
    assert named.status_code == 200
    as_("bob").post(f"/api/v1/prfaqs/{pid}/submit", {"version": 2}, content_type="application/json")
    by_reviewer = as_("cat").put(
        f"/api/v1/prfaqs/{pid}/circles/3",
        {"reviewer_ids": [small_org.people["dan"].id], "version": 3},
        content_type="application/json",
    )
    assert by_reviewer.status_code == 403 and "only the author" in by_reviewer.json()["error"]["message"]
    itself = as_("bob").put(
        f"/api/v1/prfaqs/{pid}/circles/3",
        {"reviewer_ids": [small_org.people["bob"].id], "version": 3},
        content_type="application/json",
    )
    assert itself.status_code == 400 and itself.json()["error"]["details"]["field"] == "reviewer_ids"
    stale = as_("bob").put(
        f"/api/v1/prfaqs/{pid}/circles/3",
        {"reviewer_ids": [small_org.people["dan"].id], "version": 1},
        content_type="application/json",
    )
    assert stale.status_code == 409
