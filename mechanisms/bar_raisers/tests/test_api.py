"""The bar-raisers API (MECHANISMS.md §4): shapes, status codes, permissions, and bad input changing nothing."""

from __future__ import annotations

import pytest

from mechanisms.bar_raisers import services as br
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.testing import error_of, field_of

pytestmark = pytest.mark.django_db
JSON = "application/json"
SYSTEM = Actor.system("test")


def test_the_pool_lists_members_with_load_and_capacity(small_org, as_):
    body = as_("bob").get("/api/v1/bar-raisers").json()
    assert (body["total"], body["limit"]) == (1, 50)
    (hal,) = body["items"]
    assert set(hal) == {
        "person_id",
        "handle",
        "name",
        "trained_on",
        "trainer_id",
        "trainer_handle",
        "capacity",
        "active",
        "note",
        "load",
        "has_room",
        "version",
    }
    assert (hal["handle"], hal["trained_on"], hal["capacity"], hal["load"]) == ("hal", "2024-01-01", 3, 0)
    assert as_("bob").get("/api/v1/bar-raisers?active=false").json()["total"] == 0


def test_anonymous_callers_are_refused(small_org, api_client):
    assert api_client(None).get("/api/v1/bar-raisers").status_code == 401


def test_an_admin_adds_and_changes_a_member(small_org, as_):
    eve = small_org.people["eve"].id
    body = {"person_id": eve, "trained_on": "2024-05-01", "trainer_id": small_org.people["hal"].id, "capacity": 4}
    created = as_("admin").post("/api/v1/bar-raisers", body, content_type=JSON)
    assert created.status_code == 201, created.content
    assert (created.json()["trainer_handle"], created.json()["capacity"]) == ("hal", 4)
    again = as_("admin").post("/api/v1/bar-raisers", body, content_type=JSON)
    assert (again.status_code, field_of(again)) == (409, "person_id")
    patched = as_("admin").patch(
        f"/api/v1/bar-raisers/{eve}", {"version": 1, "active": False, "trainer_id": None}, content_type=JSON
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["active"], patched.json()["trainer_id"], patched.json()["version"]) == (False, None, 2)
    stale = as_("admin").patch(f"/api/v1/bar-raisers/{eve}", {"version": 1, "capacity": 1}, content_type=JSON)
    assert (stale.status_code, field_of(stale)) == (409, "version")


def test_a_person_who_may_not_manage_the_pool_gets_403_and_nothing_changes(small_org, as_):
    body = {"person_id": small_org.people["eve"].id, "trained_on": "2024-05-01"}
    response = as_("hal").post("/api/v1/bar-raisers", body, content_type=JSON)
    assert (response.status_code, error_of(response)["code"]) == (403, "permission_denied")
    hal = small_org.people["hal"].id
    response = as_("hal").patch(f"/api/v1/bar-raisers/{hal}", {"version": 1, "capacity": 20}, content_type=JSON)
    assert response.status_code == 403
    assert br.get_pool_member(actor=SYSTEM, person_id=hal).version == 1


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"capacity": 21}, 422, "capacity"),
        ({"trained_on": 0}, 422, "trained_on"),  # 0 is not 1970-01-01
        ({"trained_on": "2999-01-01"}, 400, "trained_on"),
        ({"trainer_id": "hal"}, 422, "trainer_id"),
        ({"person_id": 999_999}, 400, "person_id"),
        ({"surprise": 1}, 422, "surprise"),
    ],
)
def test_bad_input_is_refused_naming_the_field(small_org, as_, body, status, field):
    response = as_("admin").post(
        "/api/v1/bar-raisers",
        {"person_id": small_org.people["eve"].id, "trained_on": "2024-05-01", **body},
        content_type=JSON,
    )
    assert (response.status_code, field_of(response)) == (status, field)
    assert br.pool_ids(actor=SYSTEM, active_only=False) == {small_org.people["hal"].id}


def test_one_member_with_load_by_kind_and_what_the_caller_may_do(small_org, as_):
    hal = small_org.people["hal"].id
    body = as_("eve").get(f"/api/v1/bar-raisers/{hal}").json()
    assert (body["member"]["handle"], body["load_by_kind"], body["can_manage"]) == ("hal", {}, False)
    assert as_("admin").get(f"/api/v1/bar-raisers/{hal}").json()["can_manage"] is True
    response = as_("eve").get(f"/api/v1/bar-raisers/{small_org.people['bob'].id}")
    assert (response.status_code, error_of(response)["code"]) == (404, "not_found")


def test_assignments_are_the_bar_raisers_own(small_org, as_):
    from mechanisms.bar_raisers.contracts import Subject, SubjectKind

    hal = small_org.people["hal"].id
    subject = Subject(kind=SubjectKind.DESIGN, id=5, title="Cache design", owner_id=small_org.people["bob"].id)
    br.assign(actor=SYSTEM, subject=subject)
    mine = as_("hal").get(f"/api/v1/bar-raisers/{hal}/assignments").json()
    assert [(a["subject_kind"], a["subject_id"], a["suggested"]) for a in mine["items"]] == [("design", 5, True)]
    assert as_("admin").get(f"/api/v1/bar-raisers/{hal}/assignments").status_code == 403
    assert as_("eve").get(f"/api/v1/bar-raisers/{hal}").json()["load_by_kind"] == {"design": 1}


def test_independence_names_the_relation(small_org, as_):
    p, t = small_org.people, small_org.teams
    url = "/api/v1/bar-raisers/independence"
    assert as_("eve").get(f"{url}?person={p['hal'].id}&team={t['checkout'].id}").json() == {
        "person_id": p["hal"].id,
        "independent": True,
        "problem": None,
    }
    owner = as_("eve").get(f"{url}?person={p['vp-retail'].id}&owner={p['bob'].id}&kind=hiring_loop").json()
    assert owner["problem"] == "vp-retail is above the hiring manager in the management chain"
    teams = as_("eve").get(f"{url}?person={p['eve'].id}&team={t['checkout'].id}&team={t['payments'].id}").json()
    assert (teams["independent"], teams["problem"]) == (False, "eve is on team payments")
    recruiter = as_("eve").get(f"{url}?person={p['gus'].id}&excluded={p['gus'].id}&kind=hiring_loop").json()
    assert recruiter["problem"] == "gus is the recruiter"
    assert as_("eve").get(f"{url}?person={p['hal'].id}&team=999999").status_code == 404
    assert as_("eve").get(f"{url}?person=999999").status_code == 404
    assert as_("eve").get(f"{url}?person={p['hal'].id}&kind=astrology").status_code == 422
