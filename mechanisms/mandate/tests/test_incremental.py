"""Incremental evaluation (issue 3, item 8): a committed change in org or catalog re-evaluates the neighbourhood
of the teams it touched, reading only that neighbourhood, and leaves exactly the findings a full evaluation of
the whole organization would."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog
from mechanisms.kernel.actor import Actor
from mechanisms.mandate import services as mandate
from mechanisms.org import services as org
from mechanisms.org.contracts import TeamChanges

from .waivers import approved_waiver

# Real commits, so the change notices are delivered as in production (after each committed write).
pytestmark = pytest.mark.django_db(transaction=True)
SYSTEM = Actor.system("test")


def stored(o) -> set[tuple]:
    page = mandate.list_findings(actor=SYSTEM, limit=200)
    assert page.total <= 200
    rows = set()
    for team in [None, *(t.id for t in org.team_index(actor=Actor.system("test")))]:
        if team is None:
            continue
        for f in mandate.list_findings(actor=SYSTEM, team_id=team, limit=200).items:
            rows.add((f.rule, f.subject, tuple(f.related), f.team_id, f.waived))
    return rows | {(f.rule, f.subject, tuple(f.related), f.team_id, f.waived) for f in page.items}


def evaluations(trigger: str) -> list[dict]:
    changes = audit_services.list_changes(actor=SYSTEM, subject_type="mandate_evaluation", limit=200).items
    return [c.after for c in changes if c.subject_label == f"{trigger} evaluation"]


def same_as_full(o) -> set[tuple]:
    """The stored findings after the incremental run equal those of a full evaluation run now."""
    incremental = stored(o)
    mandate.evaluate_org(actor=SYSTEM)
    assert stored(o) == incremental
    return incremental


@pytest.fixture
def evaluated(small_org):
    mandate.evaluate_org(actor=SYSTEM)
    return small_org


def test_nothing_runs_before_a_first_evaluation(small_org):
    org.add_member(actor=SYSTEM, team_id=small_org.teams["identity"].id, person_id=small_org.people["hal"].id)
    assert mandate.last_evaluation(actor=SYSTEM) is None


def test_a_back_door_appears_and_goes_with_its_edge(evaluated):
    o = evaluated
    edge = catalog.add_dependency(
        actor=SYSTEM,
        service_id=o.services["identity-api"].id,
        kind="accesses",
        datastore_id=o.datastores["orders-db"].id,
    )
    rows = same_as_full(o)
    assert (
        "mandate/back-door",
        "component:default/identity-api",
        ("resource:default/orders-db",),
        o.teams["identity"].id,
        False,
    ) in rows
    last = evaluations("change")[0]
    assert sorted(last["scope"]) == sorted([o.teams["identity"].id, o.teams["checkout"].id])
    catalog.remove_dependency(actor=SYSTEM, dependency_id=edge.id, version=edge.version)
    rows = same_as_full(o)
    assert not any(r[0] == "mandate/back-door" for r in rows)


def test_team_changes_size_and_leaders(evaluated):
    o = evaluated
    team = o.teams["payments"]
    org.update_team(
        actor=SYSTEM, team_id=team.id, version=team.version, changes=TeamChanges(leader_id=o.people["ann"].id)
    )
    rows = same_as_full(o)
    assert any(r[0] == "org/stl-not-single-threaded" and r[1] == "user:default/ann" for r in rows)
    team = org.get_team(actor=Actor.system("test"), team_id=team.id)
    org.update_team(
        actor=SYSTEM, team_id=team.id, version=team.version, changes=TeamChanges(leader_id=o.people["dan"].id)
    )
    rows = same_as_full(o)
    assert not any(r[0] == "org/stl-not-single-threaded" for r in rows)
    extra = [org.create_person(actor=SYSTEM, handle=f"p{i}", name=f"P {i}", email=f"p{i}@acme.test") for i in range(9)]
    for person in extra:
        org.add_member(actor=SYSTEM, team_id=o.teams["identity"].id, person_id=person.id)
    rows = same_as_full(o)
    assert any(r[0] == "org/team-too-large" and r[3] == o.teams["identity"].id for r in rows)


def test_a_transfer_and_a_link_across_teams(evaluated):
    o = evaluated
    catalog.add_dependency(
        actor=SYSTEM,
        service_id=o.services["checkout-api"].id,
        kind="links",
        target_service_id=o.services["payments-api"].id,
    )
    rows = same_as_full(o)
    assert any(r[0] == "mandate/direct-link" for r in rows)
    svc = catalog.get_service(actor=Actor.system("test"), service_id=o.services["payments-api"].id)
    catalog.transfer_service(actor=SYSTEM, service_id=svc.id, version=svc.version, to_team_id=o.teams["checkout"].id)
    rows = same_as_full(o)
    assert not any(r[0] == "mandate/direct-link" for r in rows)  # now the same team


def test_a_waiver_applies_at_once_and_a_revoked_one_stops_at_once(evaluated):
    o = evaluated
    catalog.add_dependency(
        actor=SYSTEM,
        service_id=o.services["identity-api"].id,
        kind="accesses",
        datastore_id=o.datastores["orders-db"].id,
    )
    waiver = approved_waiver(
        o,
        requester="gus",
        subject="component:default/identity-api",
        rule="mandate/back-door",
        reason="Migration until March",
        expires=dt.date.today() + dt.timedelta(days=60),
    )
    rows = same_as_full(o)
    assert (
        "mandate/back-door",
        "component:default/identity-api",
        ("resource:default/orders-db",),
        o.teams["identity"].id,
        True,
    ) in rows
    mandate.revoke_waiver(actor=o.actor("hal"), waiver_id=waiver.id, reason="Done early")
    rows = same_as_full(o)
    assert (
        "mandate/back-door",
        "component:default/identity-api",
        ("resource:default/orders-db",),
        o.teams["identity"].id,
        False,
    ) in rows


def test_a_rolled_back_write_evaluates_nothing(evaluated):
    from django.db import transaction

    o = evaluated
    before = len(evaluations("change"))
    with pytest.raises(RuntimeError), transaction.atomic():
        org.add_member(actor=SYSTEM, team_id=o.teams["identity"].id, person_id=o.people["hal"].id)
        raise RuntimeError("abort")
    assert len(evaluations("change")) == before


def test_an_incremental_run_reads_a_neighbourhood_not_the_catalog(evaluated):
    o = evaluated
    for i in range(30):  # unrelated services elsewhere
        catalog.create_service(actor=SYSTEM, name=f"other-{i}", owner_team_id=o.teams["payments"].id)
    facts = mandate._Facts(dt.date.today(), team_ids={o.teams["identity"].id})
    names = {s.name for s in facts.snapshot.services}
    assert names == {"identity-api"}
