"""The team lifecycle (MECHANISMS.md §1, issue 4): forming needs a charter, a transfer takes the open requests
along, and dissolving is one atomic step that leaves nothing orphaned or is refused listing every orphan."""

from __future__ import annotations

import random

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.away_teams import services as away
from mechanisms.catalog import services as catalog
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, PermissionDenied, RuleViolation
from mechanisms.kernel.testing import field_of
from mechanisms.notifications import services as notifications
from mechanisms.org import services as org
from mechanisms.org.contracts import OrgUnitChanges, TeamChanges
from mechanisms.workflows import lifecycle
from mechanisms.workflows.catalog_io import import_everything
from mechanisms.workflows.demo import build_demo

pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")
CHARTER = "Sellers list a product in under five minutes, from any phone."


def file(o, *, by="bob", team="checkout", service="payments-api"):
    return away.file_request(
        actor=o.actor(by),
        service_id=o.services[service].id,
        requesting_team_id=o.teams[team].id,
        title="A change",
        what="w",
        why="y",
    )


# ---------------------------------------------------------------------------------------------- form


def test_forming_a_team_needs_a_charter_naming_the_customer_problem(small_org):
    o = small_org
    with pytest.raises(RuleViolation) as vague:
        lifecycle.form_team(
            actor=o.actor("admin"), slug="listing", name="Listing", org_unit_id=o.units["retail"].id, charter="Do stuff"
        )
    assert vague.value.field == "charter"
    assert org.find_team(slug="listing") is None
    team = lifecycle.form_team(
        actor=o.actor("admin"),
        slug="listing",
        name="Listing",
        org_unit_id=o.units["retail"].id,
        charter=CHARTER,
        leader_id=o.people["cat"].id,
        member_ids=[o.people["cat"].id, o.people["eve"].id],
    )
    assert (team.status.value, team.member_count, team.charter) == ("forming", 2, CHARTER)
    assert [i.kind for i in notifications.list_inbox(actor=o.actor("eve")).items] == ["team.formed"]


def test_a_unit_leader_may_form_a_team_in_their_unit_and_below_and_no_one_else(small_org):
    o = small_org
    unit = o.units["acme"]
    org.update_org_unit(
        actor=SYSTEM, org_unit_id=unit.id, version=unit.version, changes=OrgUnitChanges(leader_id=o.people["ceo"].id)
    )
    retail = o.units["retail"]
    org.update_org_unit(
        actor=SYSTEM,
        org_unit_id=retail.id,
        version=retail.version,
        changes=OrgUnitChanges(leader_id=o.people["vp-retail"].id),
    )
    assert (
        lifecycle.form_team(
            actor=o.actor("ceo"), slug="a1", name="A1", org_unit_id=o.units["platform"].id, charter=CHARTER
        ).status.value
        == "forming"
    )
    assert (
        lifecycle.form_team(
            actor=o.actor("vp-retail"), slug="a2", name="A2", org_unit_id=retail.id, charter=CHARTER
        ).org_unit_id
        == retail.id
    )
    for who, unit_slug in (("vp-retail", "platform"), ("ann", "retail")):
        with pytest.raises(PermissionDenied):
            lifecycle.form_team(
                actor=o.actor(who), slug="a3", name="A3", org_unit_id=o.units[unit_slug].id, charter=CHARTER
            )


# ---------------------------------------------------------------------------------------------- transfer


def test_a_transferred_service_takes_its_open_requests_along(small_org):
    o = small_org
    svc = o.services["payments-api"]
    by_identity = file(o, by="gus", team="identity")
    by_checkout = file(o)
    done = file(o, by="fay", team="identity")
    done = away.withdraw_request(actor=o.actor("fay"), request_id=done.id, version=done.version, reason="no")
    moved = lifecycle.transfer_service(
        actor=o.actor("dan"),
        service_id=svc.id,
        version=svc.version,
        to_team_id=o.teams["checkout"].id,
        reason="Checkout owns payments now",
    )
    assert moved.owner_team_id == o.teams["checkout"].id
    assert away.get_request(actor=o.actor("bob"), request_id=by_identity.id).home_team_slug == "checkout"
    closed = away.get_request(actor=o.actor("bob"), request_id=by_checkout.id)
    assert closed.state == "closed" and "now owns the service" in closed.outcome
    assert away.get_request(actor=o.actor("bob"), request_id=done.id).home_team_slug == "payments"  # history stays
    owners = [p.team_id for p in catalog.service_detail(service_id=svc.id).ownership]
    assert owners == [o.teams["payments"].id, o.teams["checkout"].id] or owners[::-1] == [
        o.teams["payments"].id,
        o.teams["checkout"].id,
    ]


def test_only_the_owning_team_or_an_admin_transfers(small_org):
    o = small_org
    svc = o.services["payments-api"]
    file(o, by="gus", team="identity")
    with pytest.raises(PermissionDenied):
        lifecycle.transfer_service(
            actor=o.actor("bob"), service_id=svc.id, version=svc.version, to_team_id=o.teams["checkout"].id
        )
    assert catalog.get_service(service_id=svc.id).owner_team_id == o.teams["payments"].id


# ---------------------------------------------------------------------------------------------- dissolve


def test_an_incomplete_plan_is_refused_listing_every_orphan_and_nothing_changes(small_org):
    o = small_org
    inbound = file(o)  # checkout asks payments
    outbound = file(o, by="eve", team="payments", service="identity-api")
    team = o.teams["payments"]
    changes_before = audit_services.list_changes(actor=SYSTEM, limit=1).total
    plan = lifecycle.DissolutionPlan(services={o.services["payments-api"].id: team.id})  # to itself: wrong
    with pytest.raises(RuleViolation) as refused:
        lifecycle.dissolve_team(
            actor=o.actor("admin"), team_id=team.id, version=team.version, plan=plan, reason="Merged"
        )
    details = refused.value.details
    assert refused.value.field == "plan"
    assert [s["name"] for s in details["services"]] == ["payments-api"]
    assert {r["id"] for r in details["requests"]} == {inbound.id, outbound.id}
    assert org.get_team(team_id=team.id).status.value == "active"
    assert org.get_team(team_id=team.id).member_count == 2
    assert audit_services.list_changes(actor=SYSTEM, limit=1).total == changes_before


def test_a_complete_plan_dissolves_in_one_step(small_org):
    o = small_org
    inbound = file(o)
    outbound = file(o, by="eve", team="payments", service="identity-api")
    other = file(o, by="gus", team="identity")
    team = o.teams["payments"]
    plan = lifecycle.DissolutionPlan(
        services={o.services["payments-api"].id: o.teams["identity"].id},
        requests={inbound.id: o.teams["identity"].id, outbound.id: o.teams["checkout"].id, other.id: "close"},
    )
    with pytest.raises(PermissionDenied):
        lifecycle.dissolve_team(actor=o.actor("dan"), team_id=team.id, version=team.version, plan=plan, reason="x")
    result = lifecycle.dissolve_team(
        actor=o.actor("admin"), team_id=team.id, version=team.version, plan=plan, reason="Payments merges into Identity"
    )
    assert (result.transferred, result.retired, result.rerouted, result.closed, result.released) == (1, 0, 2, 1, 2)
    assert result.team.status.value == "dissolved" and result.team.member_count == 0
    assert catalog.get_service(service_id=o.services["payments-api"].id).owner_team_id == o.teams["identity"].id
    assert away.get_request(actor=o.actor("bob"), request_id=inbound.id).home_team_slug == "identity"
    assert away.get_request(actor=o.actor("bob"), request_id=outbound.id).requesting_team_slug == "checkout"
    assert away.get_request(actor=o.actor("bob"), request_id=other.id).state == "closed"
    assert away.open_requests_of(team_id=team.id) == []


def test_a_request_follows_a_retired_service_only_to_closure(small_org):
    o = small_org
    inbound = file(o)
    team = o.teams["payments"]
    plan = lifecycle.DissolutionPlan(
        services={o.services["payments-api"].id: "retire"}, requests={inbound.id: o.teams["identity"].id}
    )
    unmapped = lifecycle.check_plan(team_id=team.id, plan=plan)
    assert [r["id"] for r in unmapped.requests] == [inbound.id]
    assert "new owner" in unmapped.requests[0]["problem"]


def test_a_stale_team_version_is_a_conflict(small_org):
    o = small_org
    team = o.teams["identity"]
    org.update_team(actor=SYSTEM, team_id=team.id, version=team.version, changes=TeamChanges(name="Identity & Access"))
    plan = lifecycle.DissolutionPlan(services={o.services["identity-api"].id: "retire"})
    with pytest.raises(Conflict):
        lifecycle.dissolve_team(actor=o.actor("admin"), team_id=team.id, version=team.version, plan=plan, reason="x")


@pytest.mark.parametrize("seed", [3, 11])
def test_dissolving_teams_of_a_generated_org_leaves_zero_orphans(seed):
    """A generated org of 40 teams with requests in many states; dissolve a quarter of its teams, one after the
    other, each from a complete plan made the way an admin would; then nothing points at a dissolved team."""
    import_everything(actor=SYSTEM, document=build_demo(teams=40, seed=seed))
    rng = random.Random(seed)
    teams = [t for t in org.team_index() if t.status.value in ("forming", "active") and t.leader_id]
    actors = {}
    for t in teams:
        person = org.get_person(person_id=t.leader_id)
        if not org.account_exists(username=person.handle):
            org.create_account(actor=SYSTEM, username=person.handle, password="password123", person_id=person.id)
        actors[t.id] = org.actor_for_handle(handle=person.handle)
    services = [s for s in catalog.list_services(limit=200).items if s.owner_team_id in actors]
    for _ in range(60):
        requesting = rng.choice(teams)
        service = rng.choice(services)
        if service.owner_team_id == requesting.id or requesting.id not in actors:
            continue
        r = away.file_request(
            actor=actors[requesting.id],
            service_id=service.id,
            requesting_team_id=requesting.id,
            title="t",
            what="w",
            why="y",
        )
        if rng.random() < 0.5 and actors[requesting.id].person_id != actors[service.owner_team_id].person_id:
            away.accept_request(
                actor=actors[service.owner_team_id],
                request_id=r.id,
                version=r.version,
                contact_id=actors[service.owner_team_id].person_id,
                standards="ours",
            )
    admin = Actor.system("admin")
    doomed = rng.sample(teams, len(teams) // 4)
    for team in doomed:
        live = [t.id for t in org.team_index() if t.status.value in ("forming", "active") and t.id != team.id]
        held = lifecycle.holdings(team_id=team.id)
        owner = {s.id: (rng.choice(live) if rng.random() < 0.7 else "retire") for s in held.services}
        requests = {}
        for r in held.requests:
            if r.home_team_id == team.id:
                target = owner.get(r.service_id, "retire")
                requests[r.id] = "close" if target in ("retire", r.requesting_team_id) else target
            else:
                requests[r.id] = rng.choice([t for t in live if t != r.home_team_id] + ["close"])
        current = org.get_team(team_id=team.id)
        lifecycle.dissolve_team(
            actor=admin,
            team_id=team.id,
            version=current.version,
            plan=lifecycle.DissolutionPlan(services=owner, requests=requests),
            reason="re-org",
        )
    dissolved = {t.id for t in org.team_index() if t.status.value == "dissolved"}
    assert dissolved == {t.id for t in doomed}
    assert catalog.services_owned_by(team_ids=dissolved) == []
    for team_id in dissolved:
        assert away.open_requests_of(team_id=team_id) == []
        assert org.team_members(team_id=team_id) == []


def test_dissolve_through_the_api_as_a_new_user_would(small_org, as_):
    o = small_org
    r = file(o)
    team = o.teams["payments"]
    held = as_("admin").get(f"/api/v1/teams/{team.id}/dissolution").json()
    assert [s["name"] for s in held["services"]] == ["payments-api"]
    assert [(x["id"], x["direction"]) for x in held["requests"]] == [(r.id, "inbound")]
    assert as_("dan").get(f"/api/v1/teams/{team.id}/dissolution").status_code == 403
    url = f"/api/v1/teams/{team.id}/dissolve"
    incomplete = as_("admin").post(
        url, {"version": team.version, "reason": "Merged", "plan": {}}, content_type="application/json"
    )
    assert incomplete.status_code == 400 and field_of(incomplete) == "plan"
    orphans = incomplete.json()["error"]["details"]
    assert [s["name"] for s in orphans["services"]] == ["payments-api"] and len(orphans["requests"]) == 1
    body = {
        "version": team.version,
        "reason": "Merged",
        "plan": {"services": {str(o.services["payments-api"].id): "retire"}, "requests": {str(r.id): "close"}},
    }
    done = as_("admin").post(url, body, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["team"]["status"] == "dissolved" and done.json()["retired"] == 1
    again = as_("admin").post(url, body, content_type="application/json")
    assert again.status_code == 400


def test_a_request_may_follow_its_service_wherever_it_goes(small_org):
    o = small_org
    inbound = file(o)  # checkout asks payments, on payments-api
    team = o.teams["payments"]
    unmapped = lifecycle.check_plan(team_id=team.id, plan=lifecycle.DissolutionPlan(requests={inbound.id: "follow"}))
    assert "no new owner" in unmapped.requests[0]["problem"]
    plan = lifecycle.DissolutionPlan(
        services={o.services["payments-api"].id: o.teams["identity"].id}, requests={inbound.id: "follow"}
    )
    assert lifecycle.check_plan(team_id=team.id, plan=plan).empty
    lifecycle.dissolve_team(actor=o.actor("admin"), team_id=team.id, version=team.version, plan=plan, reason="x")
    assert away.get_request(actor=o.actor("bob"), request_id=inbound.id).home_team_slug == "identity"


def test_a_request_following_its_service_to_the_requester_is_closed(small_org):
    o = small_org
    inbound = file(o)
    team = o.teams["payments"]
    plan = lifecycle.DissolutionPlan(
        services={o.services["payments-api"].id: o.teams["checkout"].id}, requests={inbound.id: "follow"}
    )
    result = lifecycle.dissolve_team(
        actor=o.actor("admin"), team_id=team.id, version=team.version, plan=plan, reason="x"
    )
    assert result.closed == 1
    assert away.get_request(actor=o.actor("bob"), request_id=inbound.id).state == "closed"
