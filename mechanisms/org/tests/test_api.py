"""Org API (/api/v1/...): shapes, status codes and permissions, with the `small_org` fixture's accounts."""

from __future__ import annotations

import pytest
from django.test import Client

from mechanisms.kernel.testing import PASSWORD, error_of, field_of

pytestmark = pytest.mark.django_db

JSON = "application/json"


PERSON = {"handle": "ivy", "name": "Ivy Quinn", "email": "ivy@acme.test"}


# ------------------------------------------------------------------------------------------------ authentication


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/people",
        "/api/v1/teams",
        "/api/v1/org-units",
        "/api/v1/memberships",
        "/api/v1/org/rules",
        "/api/v1/tokens",
        "/api/v1/people/1",
    ],
)
def test_reads_without_credentials_are_401(small_org, url):
    response = Client().get(url)
    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthenticated"


def test_a_write_without_credentials_is_401_not_a_csrf_failure(small_org):
    response = Client(enforce_csrf_checks=True).post("/api/v1/people", PERSON, content_type=JSON)
    assert response.status_code == 401


def test_a_session_reads_and_needs_csrf_to_write(small_org):
    client = Client(enforce_csrf_checks=True)
    assert client.login(username="admin", password=PASSWORD)
    assert client.get("/api/v1/people?limit=1").status_code == 200
    assert client.post("/api/v1/people", PERSON, content_type=JSON).status_code == 403
    client.cookies["csrftoken"] = token = "k" * 32
    assert client.post("/api/v1/people", PERSON, content_type=JSON, HTTP_X_CSRFTOKEN=token).status_code == 201


# ------------------------------------------------------------------------------------------------ people


def test_list_people_shape_filters_and_clamp(small_org, as_):
    client = as_("eve")
    body = client.get("/api/v1/people").json()
    assert (body["total"], body["limit"], body["offset"]) == (11, 50, 0)
    assert set(body["items"][0]) == {
        "id",
        "handle",
        "name",
        "email",
        "title",
        "discipline",
        "manager_id",
        "active",
        "version",
    }
    handles = lambda url: sorted(p["handle"] for p in client.get(url).json()["items"])  # noqa: E731
    assert handles(f"/api/v1/people?team_id={small_org.teams['payments'].id}") == ["dan", "eve"]
    assert handles(f"/api/v1/people?manager_id={small_org.people['ann'].id}") == ["bob", "cat"]
    assert handles("/api/v1/people?text=ngata") == ["fay"]
    assert client.get("/api/v1/people?limit=5000").json()["limit"] == 200


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("team_id=abc", "team_id"),
        ("team_id=100000000000000000000", "team_id"),
        ("active=perhaps", "active"),
        ("text=%00", "text"),
        ("manager_id=-1", "manager_id"),
    ],
)
def test_a_bad_people_filter_is_422_naming_it(small_org, as_, query, field):
    response = as_("eve").get(f"/api/v1/people?{query}")
    assert (response.status_code, field_of(response)) == (422, field)


def test_admin_creates_a_person(small_org, as_):
    response = as_("admin").post(
        "/api/v1/people", {**PERSON, "manager_id": small_org.people["ann"].id}, content_type=JSON
    )
    assert response.status_code == 201
    body = response.json()
    assert (body["handle"], body["manager_id"], body["version"]) == ("ivy", small_org.people["ann"].id, 1)
    assert as_("eve").get(f"/api/v1/people/{body['id']}").json() == body


def test_a_member_may_not_create_people(small_org, as_):
    response = as_("ann").post("/api/v1/people", PERSON, content_type=JSON)
    assert response.status_code == 403
    assert error_of(response)["code"] == "permission_denied"


@pytest.mark.parametrize("field", ["handle", "email"])
def test_a_duplicate_person_is_409_naming_the_field(small_org, as_, field):
    response = as_("admin").post(
        "/api/v1/people", {**PERSON, field: {"handle": "ann", "email": "ann@acme.test"}[field]}, content_type=JSON
    )
    assert (response.status_code, field_of(response)) == (409, field)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"manager_id": "ann"}, 422, "manager_id"),
        ({"name": None}, 422, "name"),
        ({"manager_id": 999999}, 400, "manager_id"),
        ({"email": "nope"}, 400, "email"),
        ({"name": "Ivy\u0000"}, 422, "name"),
    ],
)
def test_a_bad_person_is_refused_naming_the_field(small_org, as_, body, status, field):
    response = as_("admin").post("/api/v1/people", {**PERSON, **body}, content_type=JSON)
    assert (response.status_code, field_of(response)) == (status, field)


def test_update_person_with_stale_version_is_409(small_org, as_):
    bob = small_org.people["bob"]
    ok = as_("admin").patch(f"/api/v1/people/{bob.id}", {"version": bob.version, "title": "Lead"}, content_type=JSON)
    assert (ok.status_code, ok.json()["title"], ok.json()["version"]) == (200, "Lead", bob.version + 1)
    stale = as_("admin").patch(f"/api/v1/people/{bob.id}", {"version": bob.version, "title": "x"}, content_type=JSON)
    assert (stale.status_code, field_of(stale)) == (409, "version")


def test_a_manager_loop_is_400_on_manager_id(small_org, as_):
    ann = small_org.people["ann"]
    response = as_("admin").patch(
        f"/api/v1/people/{ann.id}",
        {"version": ann.version, "manager_id": small_org.people["bob"].id},
        content_type=JSON,
    )
    assert (response.status_code, field_of(response)) == (400, "manager_id")


def test_deactivate_person(small_org, as_):
    eve = small_org.people["eve"]
    response = as_("admin").post(
        f"/api/v1/people/{eve.id}/deactivate", {"version": eve.version, "reason": "left"}, content_type=JSON
    )
    assert (response.status_code, response.json()["active"]) == (200, False)
    assert as_("dan").post(f"/api/v1/people/{eve.id}/deactivate", {"version": 2}, content_type=JSON).status_code == 403


def test_unknown_person_is_404(small_org, as_):
    for url in ("/api/v1/people/999999", "/api/v1/people/999999/chain"):
        response = as_("eve").get(url)
        assert (response.status_code, error_of(response)["code"]) == (404, "not_found")


def test_management_chain_nearest_first(small_org, as_):
    chain = as_("eve").get(f"/api/v1/people/{small_org.people['bob'].id}/chain").json()
    assert [x["handle"] for x in chain] == ["ann", "vp-retail", "ceo"]


# ------------------------------------------------------------------------------------------------ org units


def test_org_units_crud(small_org, as_):
    acme = small_org.units["acme"]
    created = as_("admin").post(
        "/api/v1/org-units", {"slug": "labs", "name": "Labs", "parent_id": acme.id}, content_type=JSON
    )
    assert created.status_code == 201
    unit = created.json()
    assert set(unit) == {"id", "slug", "name", "kind", "parent_id", "leader_id", "version"}
    children = as_("eve").get(f"/api/v1/org-units?parent_id={acme.id}").json()["items"]
    assert [u["slug"] for u in children] == ["labs", "platform", "retail"]
    loop = as_("admin").patch(
        f"/api/v1/org-units/{acme.id}", {"version": acme.version, "parent_id": unit["id"]}, content_type=JSON
    )
    assert (loop.status_code, field_of(loop)) == (400, "parent_id")
    dup = as_("admin").post("/api/v1/org-units", {"slug": "labs", "name": "Labs 2"}, content_type=JSON)
    assert (dup.status_code, field_of(dup)) == (409, "slug")
    assert as_("ann").post("/api/v1/org-units", {"slug": "x", "name": "X"}, content_type=JSON).status_code == 403
    assert as_("admin").delete(f"/api/v1/org-units/{unit['id']}?version=7").status_code == 409
    assert as_("admin").delete(f"/api/v1/org-units/{unit['id']}?version=1").status_code == 204
    assert as_("admin").get(f"/api/v1/org-units/{unit['id']}").status_code == 404
    in_use = as_("admin").delete(f"/api/v1/org-units/{small_org.units['retail'].id}?version=1")
    assert in_use.status_code == 400


# ------------------------------------------------------------------------------------------------ teams


def test_list_teams_shape_and_filters(small_org, as_):
    body = as_("eve").get("/api/v1/teams").json()
    assert [(t["slug"], t["member_count"]) for t in body["items"]] == [
        ("checkout", 3),
        ("identity", 2),
        ("payments", 2),
    ]
    assert set(body["items"][0]) == {
        "id",
        "slug",
        "name",
        "charter",
        "status",
        "org_unit_id",
        "leader_id",
        "created_on",
        "dissolved_on",
        "member_count",
        "version",
    }
    slugs = lambda url: [t["slug"] for t in as_("eve").get(url).json()["items"]]  # noqa: E731
    acme = small_org.units["acme"].id
    assert slugs(f"/api/v1/teams?org_unit_id={acme}") == []
    assert slugs(f"/api/v1/teams?org_unit_id={acme}&include_sub_units=true") == ["checkout", "identity", "payments"]
    assert slugs(f"/api/v1/teams?member_id={small_org.people['gus'].id}") == ["identity"]
    assert slugs(f"/api/v1/teams?leader_id={small_org.people['dan'].id}") == ["payments"]
    bad = as_("eve").get("/api/v1/teams?status=sleeping")
    assert (bad.status_code, field_of(bad)) == (400, "status")


def test_team_create_and_update_permissions(small_org, as_):
    retail = small_org.units["retail"].id
    assert (
        as_("ann")
        .post("/api/v1/teams", {"slug": "labs", "name": "Labs", "org_unit_id": retail}, content_type=JSON)
        .status_code
        == 403
    )
    created = as_("admin").post(
        "/api/v1/teams", {"slug": "labs", "name": "Labs", "org_unit_id": retail}, content_type=JSON
    )
    assert (created.status_code, created.json()["status"]) == (201, "active")
    dup = as_("admin").post("/api/v1/teams", {"slug": "labs", "name": "Labs", "org_unit_id": retail}, content_type=JSON)
    assert (dup.status_code, field_of(dup)) == (409, "slug")
    no_unit = as_("admin").post("/api/v1/teams", {"slug": "x", "name": "X", "org_unit_id": 999999}, content_type=JSON)
    assert (no_unit.status_code, field_of(no_unit)) == (400, "org_unit_id")
    team = small_org.teams["checkout"]
    charter = as_("bob").patch(
        f"/api/v1/teams/{team.id}", {"version": team.version, "charter": "One click."}, content_type=JSON
    )
    assert (charter.status_code, charter.json()["charter"]) == (200, "One click.")
    leader = as_("bob").patch(
        f"/api/v1/teams/{team.id}",
        {"version": team.version + 1, "leader_id": small_org.people["bob"].id},
        content_type=JSON,
    )
    assert (leader.status_code, field_of(leader)) == (403, "leader_id")
    assert (
        as_("eve")
        .patch(f"/api/v1/teams/{team.id}", {"version": team.version + 1, "charter": "x"}, content_type=JSON)
        .status_code
        == 403
    )
    dissolve = as_("admin").patch(
        f"/api/v1/teams/{team.id}", {"version": team.version + 1, "status": "dissolved"}, content_type=JSON
    )
    assert (dissolve.status_code, field_of(dissolve)) == (400, "status")
    assert as_("eve").get("/api/v1/teams/999999").status_code == 404


def test_team_members(small_org, as_):
    members = as_("eve").get(f"/api/v1/teams/{small_org.teams['checkout'].id}/members").json()
    assert [m["handle"] for m in members] == ["ann", "bob", "cat"]


# ------------------------------------------------------------------------------------------------ memberships


def test_memberships_add_list_remove(small_org, as_):
    team, hal = small_org.teams["checkout"], small_org.people["hal"]
    added = as_("bob").post("/api/v1/memberships", {"team_id": team.id, "person_id": hal.id}, content_type=JSON)
    assert added.status_code == 201
    membership = added.json()
    assert set(membership) == {"id", "team_id", "person_id", "role", "joined_on"}
    again = as_("bob").post("/api/v1/memberships", {"team_id": team.id, "person_id": hal.id}, content_type=JSON)
    assert (again.status_code, field_of(again)) == (409, "person_id")
    listed = as_("eve").get(f"/api/v1/memberships?team_id={team.id}").json()
    assert listed["total"] == 4
    assert as_("eve").get(f"/api/v1/memberships/{membership['id']}").json() == membership
    assert as_("eve").delete(f"/api/v1/memberships/{membership['id']}").status_code == 403
    assert as_("cat").delete(f"/api/v1/memberships/{membership['id']}").status_code == 204
    assert as_("cat").get(f"/api/v1/memberships/{membership['id']}").status_code == 404


def test_a_non_member_may_not_add_members(small_org, as_):
    response = as_("eve").post(
        "/api/v1/memberships",
        {"team_id": small_org.teams["checkout"].id, "person_id": small_org.people["eve"].id},
        content_type=JSON,
    )
    assert response.status_code == 403


# ------------------------------------------------------------------------------------------------ org rules, tokens


def test_org_rules_shape(small_org, as_):
    body = as_("eve").get("/api/v1/org/rules").json()
    assert body == {
        "teams_checked": 3,
        "oversized": [],
        "size_warnings": [],
        "stl_breaches": [],
        "leaderless": [],
        "limits": {"target": 6, "warning_above": 8, "violation_above": 10},
    }


def test_tokens_issue_list_use_and_revoke(small_org, as_):
    issued = as_("bob").post("/api/v1/tokens", {"name": "laptop"}, content_type=JSON)
    assert issued.status_code == 201
    body = issued.json()
    assert set(body) == {"token", "secret"}
    assert body["secret"].startswith(body["token"]["prefix"])
    listed = as_("bob").get("/api/v1/tokens").json()
    assert body["secret"] not in str(listed)
    assert "laptop" in [t["name"] for t in listed]
    fresh = Client(HTTP_AUTHORIZATION=f"Bearer {body['secret']}")
    assert fresh.get("/api/v1/tokens").status_code == 200
    assert as_("cat").delete(f"/api/v1/tokens/{body['token']['id']}").status_code == 404  # not cat's to see
    assert fresh.delete(f"/api/v1/tokens/{body['token']['id']}").status_code == 204
    assert fresh.get("/api/v1/tokens").status_code == 401


def test_a_token_for_another_account_needs_an_admin(small_org, as_):
    response = as_("bob").post("/api/v1/tokens", {"name": "x", "username": "cat"}, content_type=JSON)
    assert (response.status_code, field_of(response)) == (403, "username")
    assert as_("admin").post("/api/v1/tokens", {"name": "x", "username": "cat"}, content_type=JSON).status_code == 201
