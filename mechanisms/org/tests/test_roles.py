"""Role grants and relations (MECHANISMS.md, Access; issue 8 item 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from typer.testing import CliRunner

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, correlation
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.testing import error_of
from mechanisms.org import services as org
from mechanisms.org.cli import roles as roles_cli
from mechanisms.org.contracts import Role

pytestmark = pytest.mark.django_db


def today() -> dt.date:
    """Asked at each use, not once at import, so a run that crosses midnight (UTC) still agrees with the services."""
    return clock.today()


def _grant(o, handle, role, unit=None, **kw):
    return org.grant_role(
        actor=o.actor("admin"),
        person_id=o.people[handle].id,
        role=role,
        org_unit_id=o.units[unit].id if unit else None,
        **kw,
    )


def test_an_admin_grants_a_role_over_a_subtree_and_the_grant_is_audited(small_org):
    grant = _grant(small_org, "hal", "recruiter", "retail", reason="hiring season")
    assert grant.role is Role.RECRUITER and grant.org_unit_id == small_org.units["retail"].id
    assert grant.starts_on == today() and grant.ends_on is None and grant.version == 1
    changes = audit_services.list_changes(
        actor=small_org.actor("admin"), subject_type="role_grant", subject_id=grant.id
    ).items
    assert [c.verb for c in changes] == ["grant_role"]


def test_only_an_admin_may_grant_a_role_and_a_refusal_changes_nothing(small_org):
    for handle in ("ann", "vp-retail", "ceo"):
        with pytest.raises(PermissionDenied, match="only an admin may grant roles"):
            org.grant_role(actor=small_org.actor(handle), person_id=small_org.people[handle].id, role="leadership")
    assert org.list_role_grants(actor=small_org.actor("admin")).total == 0


def test_leadership_over_a_subtree_still_may_not_grant(small_org):
    _grant(small_org, "vp-retail", "leadership", "retail")
    with pytest.raises(PermissionDenied):
        org.grant_role(
            actor=small_org.actor("vp-retail"),
            person_id=small_org.people["ann"].id,
            role="recruiter",
            org_unit_id=small_org.units["retail"].id,
        )


def test_a_grant_names_a_known_role_and_ends_after_it_starts(small_org):
    with pytest.raises(RuleViolation) as err:
        _grant(small_org, "hal", "emperor")
    assert err.value.field == "role"
    with pytest.raises(RuleViolation) as err:
        _grant(small_org, "hal", "finance", starts_on=today(), ends_on=today())
    assert err.value.field == "ends_on"
    with pytest.raises(NotFound):
        org.grant_role(actor=small_org.actor("admin"), person_id=999_999, role="finance")


def test_a_grant_is_in_force_from_its_start_up_to_but_not_on_its_end(small_org):
    grant = _grant(small_org, "hal", "finance", starts_on=today() - dt.timedelta(days=3), ends_on=today())
    assert grant.in_force_on(today() - dt.timedelta(days=3)) and grant.in_force_on(today() - dt.timedelta(days=1))
    assert not grant.in_force_on(today()) and not grant.in_force_on(today() - dt.timedelta(days=4))
    assert not org.relations_of(actor=small_org.actor("hal")).has_role("finance")
    assert org.list_role_grants(actor=small_org.actor("admin"), in_force_on=today()).total == 0
    future = _grant(small_org, "hal", "finance", starts_on=today() + dt.timedelta(days=1))
    assert not org.relations_of(actor=small_org.actor("hal")).has_role("finance")
    assert org.list_role_grants(actor=small_org.actor("admin"), in_force_on=future.starts_on).total == 1


def test_ending_a_grant_takes_the_role_away_and_a_stale_version_is_a_conflict(small_org):
    grant = _grant(small_org, "hal", "recruiter")
    assert org.relations_of(actor=small_org.actor("hal")).has_role("recruiter", small_org.units["platform"].id)
    ended = org.end_role_grant(actor=small_org.actor("admin"), grant_id=grant.id, version=1, reason="left hiring")
    assert ended.ends_on == today() and ended.version == 2
    assert not org.relations_of(actor=small_org.actor("hal")).has_role("recruiter")
    with pytest.raises(Conflict):
        org.end_role_grant(actor=small_org.actor("admin"), grant_id=grant.id, version=1)
    with pytest.raises(RuleViolation, match="already ended"):
        org.end_role_grant(actor=small_org.actor("admin"), grant_id=grant.id, version=2)


def test_a_subtree_grant_covers_units_below_it_and_not_beside_or_above(small_org):
    _grant(small_org, "hal", "leadership", "retail")
    relations = org.relations_of(actor=small_org.actor("hal"))
    assert relations.has_role("leadership", small_org.units["retail"].id)
    assert not relations.has_role("leadership", small_org.units["platform"].id)
    assert not relations.has_role("leadership", small_org.units["acme"].id)
    assert not relations.has_role("leadership")  # the whole company
    below = org.create_org_unit(
        actor=small_org.actor("admin"), slug="retail-eu", name="Retail EU", parent_id=small_org.units["retail"].id
    )
    assert org.relations_of(actor=small_org.actor("hal")).has_role("leadership", below.id)


def test_a_company_wide_grant_covers_every_unit(small_org):
    _grant(small_org, "hal", "finance")
    relations = org.relations_of(actor=small_org.actor("hal"))
    assert relations.has_role("finance") and relations.has_role("finance", small_org.units["retail"].id)


def test_grants_are_seen_by_admins_their_holder_and_leadership_over_their_unit_only(small_org):
    retail = _grant(small_org, "ann", "recruiter", "retail")
    platform = _grant(small_org, "gus", "recruiter", "platform")
    company = _grant(small_org, "hal", "finance")
    _grant(small_org, "vp-retail", "leadership", "retail")

    def seen(handle):
        return {g.id for g in org.list_role_grants(actor=small_org.actor(handle)).items}

    assert {retail.id, platform.id, company.id} <= seen("admin")
    assert seen("ann") == {retail.id}
    assert retail.id in seen("vp-retail") and platform.id not in seen("vp-retail")
    assert company.id not in seen("vp-retail")
    assert seen("bob") == set()
    with pytest.raises(NotFound):
        org.get_role_grant(actor=small_org.actor("bob"), grant_id=company.id)
    with pytest.raises(PermissionDenied):
        org.list_role_grants(actor=Actor.anonymous())


def test_relations_know_teams_units_and_the_chain_both_ways(small_org):
    o = small_org
    ann = org.relations_of(actor=o.actor("ann"))
    assert ann.member_of == {o.teams["checkout"].id} and ann.leads == {o.teams["checkout"].id}
    assert ann.in_chain_of(o.people["bob"].id) and ann.in_chain_of(o.people["cat"].id)
    assert not ann.in_chain_of(o.people["eve"].id)
    assert ann.managed_by == (o.people["vp-retail"].id, o.people["ceo"].id) and ann.reports_to(o.people["ceo"].id)
    ceo = org.relations_of(actor=o.actor("ceo"))
    assert {o.people[h].id for h in ("ann", "bob", "eve", "gus", "hal")} <= ceo.manages_below
    assert ceo.in_subtree(o.units["retail"].id, o.units["acme"].id)
    assert not ceo.in_subtree(o.units["acme"].id, o.units["retail"].id)


def test_relations_are_computed_once_per_request(small_org):
    actor = small_org.actor("ann")
    token = correlation.begin("one-request")
    try:
        org.relations_of(actor=actor)
        with CaptureQueriesContext(connection) as queries:
            for team in small_org.teams.values():
                org.can_change_team(actor=actor, team_id=team.id)
                org.relations_of(actor=actor)
        assert len(queries) == 0
    finally:
        correlation.end(token)


def test_an_org_write_in_the_same_request_is_seen_by_the_next_check(small_org):
    token = correlation.begin("one-request")
    try:
        bob = small_org.actor("bob")
        assert not org.can_change_team(actor=bob, team_id=small_org.teams["payments"].id)
        org.add_member(actor=small_org.actor("admin"), team_id=small_org.teams["payments"].id, person_id=bob.person_id)
        assert org.can_change_team(actor=bob, team_id=small_org.teams["payments"].id)
    finally:
        correlation.end(token)


def test_leadership_over_a_unit_may_form_teams_there(small_org):
    assert not org.can_form_team(actor=small_org.actor("hal"), org_unit_id=small_org.units["retail"].id)
    _grant(small_org, "hal", "leadership", "retail")
    assert org.can_form_team(actor=small_org.actor("hal"), org_unit_id=small_org.units["retail"].id)
    assert not org.can_form_team(actor=small_org.actor("hal"), org_unit_id=small_org.units["platform"].id)


def test_role_grants_through_the_api(small_org, as_):
    person = small_org.people["hal"].id
    refused = as_("ann").post("/api/v1/role-grants", {"person_id": person, "role": "finance"}, "application/json")
    assert refused.status_code == 403 and error_of(refused)["code"] == "permission_denied"
    made = as_("admin").post(
        "/api/v1/role-grants", {"person_id": person, "role": "finance", "reason": "q3"}, "application/json"
    )
    assert made.status_code == 201, made.content
    grant = made.json()
    assert as_("admin").get("/api/v1/role-grants").json()["total"] == 1
    assert as_("hal").get(f"/api/v1/role-grants/{grant['id']}").status_code == 200
    assert as_("bob").get(f"/api/v1/role-grants/{grant['id']}").status_code == 404
    assert as_("bob").get("/api/v1/role-grants").json()["total"] == 0
    ended = as_("admin").post(f"/api/v1/role-grants/{grant['id']}/end", {"version": 1}, "application/json")
    assert ended.status_code == 200 and ended.json()["ends_on"] == today().isoformat()
    stale = as_("admin").post(f"/api/v1/role-grants/{grant['id']}/end", {"version": 1}, "application/json")
    assert stale.status_code in (400, 409)
    from django.test import Client

    assert Client().get("/api/v1/role-grants").status_code == 401


def test_role_grants_through_the_cli(small_org):
    runner = CliRunner()
    made = runner.invoke(roles_cli, ["grant", "hal", "recruiter", "--org-unit", "retail", "--reason", "q3"])
    assert made.exit_code == 0, made.output
    refused = runner.invoke(roles_cli, ["grant", "hal", "finance", "--as", "ann"])
    assert refused.exit_code == 1 and "only an admin may grant roles" in refused.output
    listed = runner.invoke(roles_cli, ["list", "--format", "json"])
    assert listed.exit_code == 0 and '"recruiter"' in listed.output
    grant_id = org.list_role_grants(actor=small_org.actor("admin")).items[0].id
    assert runner.invoke(roles_cli, ["list", "--as", "bob"]).output.count("recruiter") == 0
    ended = runner.invoke(roles_cli, ["end", str(grant_id)])
    assert ended.exit_code == 0, ended.output
    assert org.get_role_grant(actor=small_org.actor("admin"), grant_id=grant_id).ends_on == today()


def test_the_roles_page_lists_what_you_may_see_and_only_admins_get_the_forms(small_org):
    from mechanisms.kernel.testing import page_text, signed_in

    admin = signed_in("admin")
    made = admin.post("/roles", {"handle": "hal", "role": "recruiter", "org_unit": "retail", "reason": "q3"})
    assert made.status_code == 302, made.content.decode()[:2000]
    grant = org.list_role_grants(actor=small_org.actor("admin")).items[0]
    assert "Retail and below" in page_text(admin.get("/roles"))
    bad = admin.post("/roles", {"handle": "nobody", "role": "recruiter"})
    assert bad.status_code == 400 and "no person with handle" in page_text(bad)

    bob = signed_in("bob")
    seen = bob.get("/roles")
    assert seen.status_code == 200 and "Grant a role" not in page_text(seen) and "Hal Berg" not in page_text(seen)
    refused = bob.post("/roles", {"handle": "bob", "role": "finance"})
    assert org.list_role_grants(actor=small_org.actor("admin")).total == 1
    assert refused.status_code in (400, 403)
    assert bob.post(f"/roles/{grant.id}/end", {"version": 1}).status_code == 404
    assert "Hal Berg" in page_text(signed_in("hal").get("/roles"))

    ended = admin.post(f"/roles/{grant.id}/end", {"version": 1, "reason": "done"})
    assert ended.status_code == 302
    assert org.get_role_grant(actor=small_org.actor("admin"), grant_id=grant.id).ends_on == today()
