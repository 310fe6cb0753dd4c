"""The mandate in the server: evaluation of the org and catalog, waivers, scorecards per role, the Conway report."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers
from mechanisms.catalog import services as catalog_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied, RuleViolation
from mechanisms.mandate import services
from mechanisms.org import services as org_services
from mechanisms.org.contracts import OrgUnitChanges, TeamChanges

from .waivers import approved_waiver

SYSTEM = Actor.system("test")
pytestmark = pytest.mark.django_db


def pairs(findings) -> set[tuple[str, str]]:
    return {(f.rule, f.subject) for f in findings}


def all_findings(**filters):
    items, offset = [], 0
    while offset is not None:
        page = services.list_findings(actor=SYSTEM, limit=200, offset=offset, **filters)
        items.extend(page.items)
        offset = page.next_offset
    return items


def back_door(small_org):
    """checkout-api reads payments' ledger-db: a back door."""
    return catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["checkout-api"].id,
        kind="accesses",
        datastore_id=small_org.datastores["ledger-db"].id,
        access="read",
    )


FUTURE = dt.date.today() + dt.timedelta(days=90)


def test_snapshot_uses_entity_references_and_keeps_a_person_owner(small_org):
    snap = services.snapshot()
    teams = {t.ref: t for t in snap.teams}
    assert teams["group:default/checkout"].leader == "user:default/ann"
    assert teams["group:default/checkout"].org_unit == "group:default/retail"
    svc = {s.ref: s for s in snap.services}["component:default/checkout-api"]
    assert svc.owner == "group:default/checkout" and svc.provides == ("api:default/checkout-http",)
    api = {i.ref: i for i in snap.interfaces}["api:default/checkout-http"]
    assert api.providers == ("component:default/checkout-api",) and api.version == "1.0" and api.auth == "oauth2"
    store = {d.ref: d for d in snap.datastores}["resource:default/orders-db"]
    assert store.owner_service == "component:default/checkout-api"


# ---------------------------------------------------------------------------------------------- evaluation


def test_back_door_is_a_finding_of_the_accessing_team(small_org):
    back_door(small_org)
    services.evaluate_org(actor=SYSTEM)
    [finding] = all_findings(rule="mandate/back-door")
    assert finding.subject == "component:default/checkout-api"
    assert finding.related == ("resource:default/ledger-db",)
    assert finding.team_id == small_org.teams["checkout"].id
    payments = small_org.teams["payments"].id
    assert services.list_findings(actor=SYSTEM, team_id=payments, rule="mandate/back-door").total == 0


def test_only_admins_evaluate(small_org):
    with pytest.raises(PermissionDenied):
        services.evaluate_org(actor=small_org.actor("ann"))


def test_evaluation_is_audited(small_org):
    summary = services.evaluate_org(actor=SYSTEM)
    changes = audit_services.list_changes(actor=SYSTEM, subject_type="mandate_evaluation", subject_id=summary.id)
    assert changes.total == 1


def test_findings_are_replaced_on_each_evaluation(small_org):
    dependency = back_door(small_org)
    services.evaluate_org(actor=SYSTEM)
    assert services.list_findings(actor=SYSTEM, rule="mandate/back-door").total == 1
    catalog_services.remove_dependency(actor=SYSTEM, dependency_id=dependency.id, version=dependency.version)
    services.evaluate_org(actor=SYSTEM)
    assert services.list_findings(actor=SYSTEM, rule="mandate/back-door").total == 0


def test_history_grows_with_each_evaluation(small_org):
    checkout = small_org.teams["checkout"].id
    services.evaluate_org(actor=SYSTEM)
    back_door(small_org)
    services.evaluate_org(actor=SYSTEM)
    card = services.team_scorecard(actor=SYSTEM, team_id=checkout)
    first, second = card.history
    assert second.errors == first.errors + 1
    assert "mandate/back-door" not in first.by_rule and second.by_rule["mandate/back-door"] == 1
    assert card.by_rule["mandate/back-door"] == 1
    services.evaluate_org(actor=SYSTEM)
    assert len(services.team_scorecard(actor=SYSTEM, team_id=checkout).history) == 3


def test_a_person_leading_two_teams_counts_on_each_team(small_org):
    team = org_services.get_team(actor=Actor.system("test"), team_id=small_org.teams["payments"].id)
    org_services.update_team(
        actor=SYSTEM, team_id=team.id, version=team.version, changes=TeamChanges(leader_id=small_org.people["ann"].id)
    )
    services.evaluate_org(actor=SYSTEM)
    [finding] = all_findings(rule="org/stl-not-single-threaded")
    assert finding.subject == "user:default/ann"
    for slug in ("checkout", "payments"):
        card = services.team_scorecard(actor=SYSTEM, team_id=small_org.teams[slug].id)
        assert card.by_rule.get("org/stl-not-single-threaded") == 1


def test_reevaluate_teams_touches_only_those_teams_and_their_neighbours(small_org):
    services.evaluate_org(actor=SYSTEM)
    back_door(small_org)  # checkout -> payments
    summary = services.reevaluate_teams(actor=SYSTEM, team_ids=[small_org.teams["checkout"].id])
    assert summary.trigger == "change"
    assert summary.teams_scored == 2  # checkout and payments, not identity
    identity = services.team_scorecard(actor=SYSTEM, team_id=small_org.teams["identity"].id)
    assert len(identity.history) == 1
    checkout = services.team_scorecard(actor=SYSTEM, team_id=small_org.teams["checkout"].id)
    first, second = checkout.history
    assert second.errors == first.errors + 1
    assert services.list_findings(actor=SYSTEM, rule="mandate/back-door").total == 1


# ---------------------------------------------------------------------------------------------- waivers


def grant(small_org, *, actor="bob", approver="hal", expires=FUTURE, reason="Migration to the ledger API by Q3."):
    return approved_waiver(
        small_org,
        requester=actor,
        approver=approver,
        subject="component:default/checkout-api",
        rule="mandate/back-door",
        related="resource:default/ledger-db",
        reason=reason,
        expires=expires,
    )


def request(small_org, *, actor="bob", approver="hal", expires=FUTURE, reason="Migration to the ledger API by Q3."):
    return services.request_waiver(
        actor=small_org.actor(actor),
        subject="component:default/checkout-api",
        rule="mandate/back-door",
        related="resource:default/ledger-db",
        reason=reason,
        expires=expires,
        approver_id=small_org.people[approver].id,
        approver_reason="named by the test",
    )


def make_bar_raiser(small_org, handle: str) -> None:
    bar_raisers.add_to_pool(actor=SYSTEM, person_id=small_org.people[handle].id, trained_on=dt.date(2024, 1, 1))


def test_valid_waiver_turns_the_finding_waived_on_next_evaluation(small_org):
    back_door(small_org)
    services.evaluate_org(actor=SYSTEM)
    waiver = grant(small_org)
    assert waiver.approver_handle == "hal" and not waiver.expired and waiver.state == "active"
    summary = services.evaluate_org(actor=SYSTEM)
    [finding] = all_findings(rule="mandate/back-door")
    assert finding.waived and finding.waiver_id == waiver.id and not finding.blocking
    assert summary.waived == 1
    card = services.team_scorecard(actor=SYSTEM, team_id=small_org.teams["checkout"].id)
    assert card.waived == 1
    assert not any(f.blocking for f in card.findings if f.rule == "mandate/back-door")


def test_revoked_waiver_no_longer_applies(small_org):
    back_door(small_org)
    waiver = grant(small_org)
    services.revoke_waiver(actor=small_org.actor("hal"), waiver_id=waiver.id)
    services.evaluate_org(actor=SYSTEM)
    [finding] = all_findings(rule="mandate/back-door")
    assert not finding.waived
    assert services.list_waivers(actor=SYSTEM).total == 0
    assert services.list_waivers(actor=SYSTEM, include_revoked=True).items[0].revoked


def test_approver_outside_the_bar_raiser_pool_is_refused(small_org):
    back_door(small_org)
    with pytest.raises(RuleViolation) as error:
        request(small_org, approver="eve")
    assert error.value.field == "approver_id"


def test_approver_not_independent_of_the_subjects_team_is_refused(small_org):
    back_door(small_org)
    make_bar_raiser(small_org, "cat")  # a member of checkout
    with pytest.raises(RuleViolation) as error:
        request(small_org, approver="cat")
    assert error.value.field == "approver_id"
    make_bar_raiser(small_org, "vp-retail")  # above checkout's leader
    with pytest.raises(RuleViolation):
        request(small_org, approver="vp-retail")
    assert services.list_waivers(actor=SYSTEM, state="all").total == 0


def test_expiry_in_the_past_or_today_is_refused(small_org):
    for expires in (dt.date.today() - dt.timedelta(days=1), dt.date.today()):
        with pytest.raises(RuleViolation) as error:
            request(small_org, expires=expires)
        assert error.value.field == "expires"


def test_reason_is_required(small_org):
    with pytest.raises(RuleViolation) as error:
        request(small_org, reason="  ")
    assert error.value.field == "reason"


def test_unknown_subject_or_rule_is_refused(small_org):
    with pytest.raises(RuleViolation) as error:
        services.request_waiver(
            actor=small_org.actor("bob"),
            subject="component:default/nope",
            rule="mandate/back-door",
            reason="x",
            expires=FUTURE,
        )
    assert error.value.field == "subject"
    with pytest.raises(RuleViolation) as error:
        services.request_waiver(
            actor=small_org.actor("bob"),
            subject="component:default/checkout-api",
            rule="mandate/nope",
            reason="x",
            expires=FUTURE,
        )
    assert error.value.field == "rule"


def test_only_a_person_requests_a_waiver(small_org):
    back_door(small_org)
    with pytest.raises(PermissionDenied):
        request(small_org, actor="admin")
    assert services.list_waivers(actor=SYSTEM, state="all").total == 0
    assert grant(small_org, actor="ann").granted_by == "ann"


def test_waiver_writes_are_audited(small_org):
    waiver = grant(small_org)
    services.revoke_waiver(actor=SYSTEM, waiver_id=waiver.id, reason="fixed")
    changes = audit_services.list_changes(actor=SYSTEM, subject_type="waiver", subject_id=waiver.id)
    assert {c.verb for c in changes.items} == {"request", "activate", "revoke"}


def test_expired_waiver_is_a_finding_again(small_org):
    back_door(small_org)
    grant(small_org)
    services.evaluate_org(actor=SYSTEM, today=FUTURE + dt.timedelta(days=1))
    found = pairs(all_findings())
    assert ("waiver/expired", "component:default/checkout-api") in found
    assert not all_findings(rule="mandate/back-door")[0].waived


# ---------------------------------------------------------------------------------------------- scorecard visibility


@pytest.mark.parametrize(
    ("handle", "allowed"),
    [
        ("admin", True),  # admin
        ("ann", True),  # the team's leader
        ("bob", True),  # a member
        ("vp-retail", True),  # the leader's manager
        ("ceo", True),  # further up the chain
        ("dan", False),  # a peer team's leader
        ("eve", False),  # another team's member
        ("vp-platform", False),  # a manager of another branch
        ("hal", False),  # a bar raiser elsewhere
    ],
)
def test_team_scorecard_is_visible_to_the_team_and_its_management_chain(small_org, handle, allowed):
    services.evaluate_org(actor=SYSTEM)
    team_id = small_org.teams["checkout"].id
    if allowed:
        assert services.team_scorecard(actor=small_org.actor(handle), team_id=team_id).slug == "checkout"
    else:
        with pytest.raises(PermissionDenied):
            services.team_scorecard(actor=small_org.actor(handle), team_id=team_id)


def test_anonymous_sees_no_scorecard(small_org):
    with pytest.raises(PermissionDenied):
        services.team_scorecard(actor=Actor.anonymous(), team_id=small_org.teams["checkout"].id)


@pytest.mark.parametrize(
    ("handle", "allowed"),
    [("admin", True), ("vp-retail", True), ("ceo", True), ("ann", False), ("vp-platform", False), ("hal", False)],
)
def test_org_unit_scorecard_is_visible_to_its_leader_and_their_chain(small_org, handle, allowed):
    unit = org_services.get_org_unit(actor=Actor.system("test"), org_unit_id=small_org.units["retail"].id)
    org_services.update_org_unit(
        actor=SYSTEM,
        org_unit_id=unit.id,
        version=unit.version,
        changes=OrgUnitChanges(leader_id=small_org.people["vp-retail"].id),
    )
    if allowed:
        card = services.org_unit_scorecard(actor=small_org.actor(handle), org_unit_id=unit.id)
        assert set(card.team_ids) == {small_org.teams["checkout"].id, small_org.teams["payments"].id}
    else:
        with pytest.raises(PermissionDenied):
            services.org_unit_scorecard(actor=small_org.actor(handle), org_unit_id=unit.id)


def test_org_unit_scorecard_rolls_up_its_teams(small_org):
    back_door(small_org)
    services.evaluate_org(actor=SYSTEM)
    services.evaluate_org(actor=SYSTEM)
    card = services.org_unit_scorecard(actor=SYSTEM, org_unit_id=small_org.units["acme"].id)
    assert card.by_rule["mandate/back-door"] == 1
    first, second = card.history
    assert first.errors == second.errors == card.errors
    assert len(card.team_ids) == 3


# ---------------------------------------------------------------------------------------------- Conway report


def test_conway_report_maps_teams_back_to_ids(small_org):
    back_door(small_org)
    catalog_services.add_dependency(
        actor=SYSTEM,
        service_id=small_org.services["checkout-api"].id,
        kind="consumes",
        interface_id=small_org.interfaces["identity-http"].id,
    )
    report = services.conway_report(actor=small_org.actor("bob"))
    degrees = {t.slug: (t.fan_in, t.fan_out) for t in report.teams}
    assert degrees["checkout"] == (0, 2)
    assert degrees["payments"] == (1, 0) and degrees["identity"] == (1, 0)
    edge = next(e for e in report.edges if e.target_slug == "payments")
    assert (edge.source_id, edge.accesses) == (small_org.teams["checkout"].id, 1)
    [pair] = report.coupled_pairs  # checkout (retail) and identity (platform)
    assert {pair.team_a_slug, pair.team_b_slug} == {"checkout", "identity"} and not pair.tight
