"""The bar-raiser pool, eligibility, suggestion and assignment services (MECHANISMS.md §4), on the small org.

Reporting: ceo <- vp-retail <- (ann, dan); ceo <- vp-platform <- (fay, hal); ann <- bob, cat; dan <- eve;
fay <- gus. Teams: checkout (ann; bob, cat), payments (dan; eve), identity (fay; gus). hal is in the pool
(capacity 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as br
from mechanisms.bar_raisers.contracts import PoolMemberChanges, PoolRecord, Subject, SubjectKind
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.org import services as org_services
from mechanisms.org.contracts import PersonChanges

pytestmark = pytest.mark.django_db

SYSTEM = Actor.system("test")
TRAINED = dt.date(2024, 6, 1)


def loop(small_org, number: int = 1, *, owner: str = "ann", team: str = "checkout", recruiter: str | None = None):
    """A hiring loop as hiring describes it: owned by its hiring manager, on the opening's team."""
    p = small_org.people
    return Subject(
        kind=SubjectKind.HIRING_LOOP,
        id=number,
        title=f"Loop {number}",
        owner_id=p[owner].id,
        team_ids=(small_org.teams[team].id,),
        excluded_ids=(p[recruiter].id,) if recruiter else (),
    )


def design(small_org, number: int = 1, *, owner: str = "gus"):
    return Subject(kind=SubjectKind.DESIGN, id=number, title=f"Design {number}", owner_id=small_org.people[owner].id)


def join(small_org, handle: str, **kwargs):
    return br.add_to_pool(actor=SYSTEM, person_id=small_org.people[handle].id, trained_on=TRAINED, **kwargs)


def audit_count(subject_type: str = br.POOL_SUBJECT_TYPE) -> int:
    return audit_services.list_changes(actor=SYSTEM, subject_type=subject_type).total


# ------------------------------------------------------------------------------------------------ the pool


def test_the_pool_is_open_to_every_signed_in_person_with_loads(small_org):
    join(small_org, "eve", trainer_id=small_org.people["hal"].id)
    page = br.list_pool(actor=small_org.actor("bob"))
    assert [(m.handle, m.trainer_handle, m.load, m.capacity) for m in page.items] == [
        ("eve", "hal", 0, 2),
        ("hal", "", 0, 3),
    ]
    assert br.get_pool_member(actor=small_org.actor("bob"), person_id=small_org.people["hal"].id).trained_on == dt.date(
        2024, 1, 1
    )


def test_anonymous_callers_read_nothing(small_org):
    with pytest.raises(PermissionDenied):
        br.list_pool(actor=Actor.anonymous())
    with pytest.raises(PermissionDenied):
        br.suggest(actor=Actor.anonymous(), subject=design(small_org))


def test_a_person_outside_the_pool_is_not_found(small_org):
    with pytest.raises(NotFound):
        br.get_pool_member(actor=SYSTEM, person_id=small_org.people["bob"].id)
    assert br.find_pool_member(actor=SYSTEM, person_id=small_org.people["bob"].id) is None


def test_the_active_filter_lists_members_taking_assignments_or_not(small_org):
    eve = join(small_org, "eve")
    br.update_pool_member(
        actor=SYSTEM, person_id=eve.person_id, changes=PoolMemberChanges(active=False), version=eve.version
    )
    assert [m.handle for m in br.list_pool(actor=SYSTEM, active=True).items] == ["hal"]
    assert [m.handle for m in br.list_pool(actor=SYSTEM, active=False).items] == ["eve"]
    assert br.pool_ids(actor=SYSTEM) == {small_org.people["hal"].id}
    assert br.pool_ids(actor=SYSTEM, active_only=False) == {small_org.people["hal"].id, eve.person_id}


@pytest.mark.parametrize("handle", ["admin", "leader"])
def test_admins_and_company_wide_leadership_manage_the_pool(small_org, handle):
    if handle == "leader":
        org_services.grant_role(actor=SYSTEM, person_id=small_org.people["ceo"].id, role="leadership")
        handle = "ceo"
    member = br.add_to_pool(actor=small_org.actor(handle), person_id=small_org.people["eve"].id, trained_on=TRAINED)
    changed = br.update_pool_member(
        actor=small_org.actor(handle),
        person_id=member.person_id,
        changes=PoolMemberChanges(capacity=4, note="Trained in Seattle."),
        version=member.version,
    )
    assert (changed.capacity, changed.note, changed.version) == (4, "Trained in Seattle.", 2)
    assert br.can_manage_pool(actor=small_org.actor(handle))


@pytest.mark.parametrize("handle", ["eve", "hal", "ceo", "unit-leadership"])
def test_nobody_else_manages_the_pool_and_a_refusal_changes_nothing(small_org, handle):
    if handle == "unit-leadership":
        org_services.grant_role(
            actor=SYSTEM,
            person_id=small_org.people["vp-retail"].id,
            role="leadership",
            org_unit_id=small_org.units["retail"].id,
        )
        handle = "vp-retail"
    before = audit_count()
    with pytest.raises(PermissionDenied, match="company-wide leadership"):
        br.add_to_pool(actor=small_org.actor(handle), person_id=small_org.people["eve"].id, trained_on=TRAINED)
    hal = br.get_pool_member(actor=SYSTEM, person_id=small_org.people["hal"].id)
    with pytest.raises(PermissionDenied):
        br.update_pool_member(
            actor=small_org.actor(handle), person_id=hal.person_id, changes=PoolMemberChanges(capacity=9), version=1
        )
    assert br.get_pool_member(actor=SYSTEM, person_id=hal.person_id) == hal
    assert br.pool_ids(actor=SYSTEM, active_only=False) == {hal.person_id}
    assert audit_count() == before
    assert not br.can_manage_pool(actor=small_org.actor(handle))


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"capacity": 21}, "capacity"),
        ({"capacity": -1}, "capacity"),
        ({"capacity": True}, "capacity"),
        ({"trained_on": "2024-01-01"}, "trained_on"),
        ({"trainer_id": "self"}, "trainer_id"),
        ({"trainer_id": "bob"}, "trainer_id"),  # not in the pool
        ({"trainer_id": 999_999}, "trainer_id"),
        ({"note": "x" * 2001}, "note"),
        ({"person_id": 999_999}, "person_id"),
    ],
)
def test_bad_pool_values_are_refused_naming_the_field(small_org, values, field):
    p = small_org.people
    args = {"person_id": p["eve"].id, "trained_on": TRAINED, **values}
    if args.get("trainer_id") == "self":
        args["trainer_id"] = p["eve"].id
    elif args.get("trainer_id") == "bob":
        args["trainer_id"] = p["bob"].id
    with pytest.raises(RuleViolation) as error:
        br.add_to_pool(actor=SYSTEM, **args)
    assert error.value.field == field
    assert br.pool_ids(actor=SYSTEM, active_only=False) == {p["hal"].id}


def test_training_day_may_not_be_in_the_future(small_org):
    with pytest.raises(RuleViolation) as error:
        br.add_to_pool(
            actor=SYSTEM, person_id=small_org.people["eve"].id, trained_on=clock.today() + dt.timedelta(days=1)
        )
    assert error.value.field == "trained_on"


def test_an_inactive_trainer_is_refused(small_org):
    hal = br.get_pool_member(actor=SYSTEM, person_id=small_org.people["hal"].id)
    br.update_pool_member(actor=SYSTEM, person_id=hal.person_id, changes=PoolMemberChanges(active=False), version=1)
    with pytest.raises(RuleViolation, match="not an active bar raiser") as error:
        join(small_org, "eve", trainer_id=hal.person_id)
    assert error.value.field == "trainer_id"


def test_a_person_who_left_does_not_join_and_a_member_is_not_added_twice(small_org):
    gus = small_org.people["gus"]
    org_services.deactivate_person(actor=SYSTEM, person_id=gus.id, version=gus.version)
    with pytest.raises(RuleViolation) as error:
        join(small_org, "gus")
    assert error.value.field == "person_id"
    with pytest.raises(Conflict):
        join(small_org, "hal")


def test_a_stale_version_is_a_conflict_and_changes_nothing(small_org):
    hal = br.get_pool_member(actor=SYSTEM, person_id=small_org.people["hal"].id)
    br.update_pool_member(actor=SYSTEM, person_id=hal.person_id, changes=PoolMemberChanges(capacity=5), version=1)
    with pytest.raises(Conflict):
        br.update_pool_member(actor=SYSTEM, person_id=hal.person_id, changes=PoolMemberChanges(capacity=1), version=1)
    assert br.get_pool_member(actor=SYSTEM, person_id=hal.person_id).capacity == 5


def test_every_pool_write_is_in_the_members_history(small_org):
    eve = join(small_org, "eve", capacity=3)
    br.update_pool_member(actor=SYSTEM, person_id=eve.person_id, changes=PoolMemberChanges(capacity=1), version=1)
    changes = audit_services.list_changes(
        actor=small_org.actor("bob"), subject_type=br.POOL_SUBJECT_TYPE, subject_id=eve.person_id
    ).items
    assert [(c.verb, (c.before or {}).get("capacity"), c.after["capacity"]) for c in changes] == [
        ("update", 3, 1),
        ("create", None, 3),
    ]


def test_a_member_who_left_the_company_is_not_active(small_org):
    hal = small_org.people["hal"]
    org_services.deactivate_person(actor=SYSTEM, person_id=hal.id, version=hal.version)
    assert not br.get_pool_member(actor=SYSTEM, person_id=hal.id).active
    assert br.suggest(actor=SYSTEM, subject=design(small_org)) == []


# ------------------------------------------------------------------------------------------------ eligibility


def test_independence_names_the_relation_after_the_handle(small_org):
    subject = loop(small_org, recruiter="gus")
    p = small_org.people
    found = {h: br.independence_problem(actor=SYSTEM, person_id=p[h].id, subject=subject) for h in p}
    assert found["ann"] == "ann is the hiring manager"
    assert found["vp-retail"] == "vp-retail is the hiring manager's manager"
    assert found["bob"] == "bob reports to the hiring manager"
    assert found["ceo"] == "ceo is above the hiring manager in the management chain"
    assert found["gus"] == "gus is the recruiter"
    assert {h for h, problem in found.items() if problem is None} == {"dan", "eve", "fay", "hal", "vp-platform"}


def test_an_unknown_owning_team_is_not_found(small_org):
    subject = Subject(kind=SubjectKind.DESIGN, id=1, title="x", owner_id=None, team_ids=(999_999,))
    with pytest.raises(NotFound) as error:
        br.independence_problem(actor=SYSTEM, person_id=small_org.people["hal"].id, subject=subject)
    assert error.value.field == "team_id"


def test_org_graph_loads_in_a_fixed_number_of_queries(small_org, django_assert_num_queries):
    teams = [t.id for t in small_org.teams.values()]
    with django_assert_num_queries(3):
        graph = org_services.org_graph(actor=SYSTEM, team_ids=teams)
    assert graph.managers_above(small_org.people["bob"].id) == tuple(
        small_org.people[h].id for h in ("ann", "vp-retail", "ceo")
    )
    assert graph.team_name(small_org.teams["payments"].id) == "payments"


@pytest.mark.parametrize(
    ("handle", "rule", "words"),
    [
        ("bob", "pool", "not in the bar-raiser pool"),
        ("vp-retail", "independence", "vp-retail is not independent: is the hiring manager's manager"),
    ],
)
def test_an_ineligible_bar_raiser_is_refused_naming_the_rule_and_the_field(small_org, handle, rule, words):
    if handle == "vp-retail":
        join(small_org, "vp-retail")
    with pytest.raises(RuleViolation) as error:
        br.require_eligible(actor=SYSTEM, person_id=small_org.people[handle].id, subject=loop(small_org))
    assert (error.value.field, error.value.details["rule"]) == ("bar_raiser_id", rule)
    assert words in error.value.message.replace(
        "vp-retail is not independent: vp-retail", "is not independent: vp-retail"
    )


def test_a_bar_raiser_at_capacity_has_no_room(small_org):
    eve = join(small_org, "eve", capacity=1)
    br.assign(actor=SYSTEM, subject=design(small_org, 1), person_id=eve.person_id, reason="knows the area")
    with pytest.raises(RuleViolation, match="no room") as error:
        br.require_eligible(actor=SYSTEM, person_id=eve.person_id, subject=design(small_org, 2), field="approver_id")
    assert (error.value.field, error.value.details["rule"]) == ("approver_id", "capacity")
    # The subject they already hold is not a second assignment.
    br.require_eligible(actor=SYSTEM, person_id=eve.person_id, subject=design(small_org, 1))


def test_an_inactive_member_is_not_eligible(small_org):
    hal = br.get_pool_member(actor=SYSTEM, person_id=small_org.people["hal"].id)
    br.update_pool_member(actor=SYSTEM, person_id=hal.person_id, changes=PoolMemberChanges(active=False), version=1)
    with pytest.raises(RuleViolation, match="not taking") as error:
        br.require_eligible(actor=SYSTEM, person_id=hal.person_id, subject=design(small_org))
    assert error.value.details["rule"] == "pool"


# ------------------------------------------------------------------------------------------------ suggestion


def test_suggestions_are_independent_with_room_least_loaded_first_ties_by_handle(small_org):
    for handle in ("eve", "fay", "vp-retail", "bob"):
        join(small_org, handle, capacity=2)
    # fay takes a decision elsewhere: load counts every kind of subject.
    br.assign(actor=SYSTEM, subject=design(small_org, 7, owner="eve"), person_id=small_org.people["fay"].id, reason="r")
    found = br.suggest(actor=SYSTEM, subject=loop(small_org))
    # vp-retail (the hiring manager's manager) and bob (on the team) are not independent.
    assert [(s.handle, s.load) for s in found] == [("eve", 0), ("hal", 0), ("fay", 1)]
    assert [s.handle for s in br.suggest(actor=SYSTEM, subject=loop(small_org), limit=1)] == ["eve"]


def test_a_full_bar_raiser_is_not_suggested(small_org):
    hal = small_org.people["hal"].id
    for number in range(3):
        br.assign(actor=SYSTEM, subject=design(small_org, number), person_id=hal)
    assert br.loads(actor=SYSTEM, person_ids=[hal]) == {hal: 3}
    assert br.suggest(actor=SYSTEM, subject=design(small_org, 9)) == []


def test_suggesting_takes_a_fixed_number_of_queries_however_big_the_pool(small_org, django_assert_max_num_queries):
    for handle in ("eve", "fay", "gus", "dan", "cat"):
        join(small_org, handle)
    with django_assert_max_num_queries(8):
        assert len(br.suggest(actor=SYSTEM, subject=loop(small_org), limit=10)) == 5


# ------------------------------------------------------------------------------------------------ assignment


def test_assign_without_a_person_takes_the_first_suggestion(small_org):
    assignment = br.assign(actor=small_org.actor("ann"), subject=loop(small_org))
    assert (assignment.handle, assignment.suggested, assignment.released_at) == ("hal", True, None)
    assert br.current_assignment(actor=SYSTEM, subject_kind="hiring_loop", subject_id=1) == assignment
    assert br.loads(actor=SYSTEM) == {small_org.people["hal"].id: 1}


def test_assign_without_a_person_is_refused_when_nobody_qualifies(small_org):
    subject = loop(small_org, owner="vp-platform", team="identity")  # hal reports to vp-platform
    with pytest.raises(RuleViolation) as error:
        br.assign(actor=SYSTEM, subject=subject)
    assert error.value.field == "bar_raiser_id"
    assert br.current_assignment(actor=SYSTEM, subject_kind="hiring_loop", subject_id=1) is None


def test_a_manual_pick_other_than_the_first_suggestion_states_why(small_org):
    eve = join(small_org, "eve")  # first suggestion for a checkout loop ('eve' < 'hal')
    hal = small_org.people["hal"].id
    with pytest.raises(RuleViolation, match=r"first suggestion \(eve\)") as error:
        br.assign(actor=SYSTEM, subject=loop(small_org), person_id=hal)
    assert error.value.field == "reason"
    assert br.current_assignment(actor=SYSTEM, subject_kind="hiring_loop", subject_id=1) is None
    picked = br.assign(actor=SYSTEM, subject=loop(small_org), person_id=hal, reason="Hal has hired for payments")
    assert (picked.suggested, picked.reason) == (False, "Hal has hired for payments")
    assert br.assign(actor=SYSTEM, subject=loop(small_org, 2), person_id=eve.person_id).suggested


def test_a_manual_pick_must_be_eligible(small_org):
    join(small_org, "bob")
    with pytest.raises(RuleViolation) as error:
        br.assign(actor=SYSTEM, subject=loop(small_org), person_id=small_org.people["bob"].id, reason="I like Bob")
    assert (error.value.field, error.value.details["rule"]) == ("bar_raiser_id", "independence")


def test_reassigning_releases_the_open_assignment_and_records_why(small_org):
    eve = join(small_org, "eve")
    first = br.assign(actor=SYSTEM, subject=loop(small_org))
    assert first.person_id == eve.person_id
    again = br.assign(actor=SYSTEM, subject=loop(small_org), person_id=eve.person_id)
    assert again == first  # the same bar raiser again changes nothing
    hal = small_org.people["hal"].id
    second = br.assign(actor=SYSTEM, subject=loop(small_org), person_id=hal, reason="eve is on leave")
    assert br.current_assignment(actor=SYSTEM, subject_kind="hiring_loop", subject_id=1) == second
    assert br.loads(actor=SYSTEM, person_ids=[eve.person_id, hal]) == {eve.person_id: 0, hal: 1}
    released = audit_services.list_changes(
        actor=small_org.actor("eve"), subject_type=br.ASSIGNMENT_SUBJECT_TYPE, subject_id=first.id
    ).items
    assert [c.verb for c in released] == ["release", "assign"]
    mine = br.list_assignments(actor=small_org.actor("eve"), person_id=eve.person_id, open_only=False).items
    assert [a.released_at is not None for a in mine] == [True]


def test_release_is_idempotent(small_org):
    br.assign(actor=SYSTEM, subject=design(small_org))
    br.release(actor=SYSTEM, subject_kind=SubjectKind.DESIGN, subject_id=1)
    br.release(actor=SYSTEM, subject_kind=SubjectKind.DESIGN, subject_id=1)
    assert br.current_assignment(actor=SYSTEM, subject_kind="design", subject_id=1) is None
    assert br.loads(actor=SYSTEM) == {}
    assert audit_count(br.ASSIGNMENT_SUBJECT_TYPE) == 2  # assign, release


def test_assign_nests_in_the_callers_transaction(small_org):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        br.assign(actor=SYSTEM, subject=loop(small_org))
        raise Rollback
    assert br.current_assignment(actor=SYSTEM, subject_kind="hiring_loop", subject_id=1) is None
    assert br.loads(actor=SYSTEM) == {}


def test_load_counts_every_kind_of_subject(small_org):
    hal = small_org.people["hal"].id
    br.assign(actor=SYSTEM, subject=loop(small_org))
    br.assign(actor=SYSTEM, subject=design(small_org))
    assert br.loads(actor=SYSTEM, person_ids=[hal]) == {hal: 2}
    assert br.load_by_kind(actor=SYSTEM, person_id=hal) == {SubjectKind.HIRING_LOOP: 1, SubjectKind.DESIGN: 1}
    assert br.get_pool_member(actor=SYSTEM, person_id=hal).load == 2


def test_only_the_bar_raiser_reads_the_subjects_of_their_assignments(small_org):
    assignment = br.assign(actor=SYSTEM, subject=loop(small_org))
    hal = small_org.people["hal"].id
    assert br.list_assignments(actor=small_org.actor("hal"), person_id=hal).total == 1
    for handle in ("admin", "ann", "eve"):
        with pytest.raises(PermissionDenied):
            br.list_assignments(actor=small_org.actor(handle), person_id=hal)
    (change,) = audit_services.list_changes(
        actor=small_org.actor("hal"), subject_type=br.ASSIGNMENT_SUBJECT_TYPE, subject_id=assignment.id
    ).items
    assert change.after == {"fields": ["person_id", "released_at", "subject_id", "subject_kind", "suggested"]}
    # Admins read the whole log (docs/audit.md), which for an assignment holds field names only.
    for handle in ("ann", "eve"):
        with pytest.raises(NotFound):
            audit_services.list_changes(
                actor=small_org.actor(handle), subject_type=br.ASSIGNMENT_SUBJECT_TYPE, subject_id=assignment.id
            )


# ------------------------------------------------------------------------------------------------ import


def test_import_pool_creates_updates_and_takes_people_out_by_handle(small_org):
    report = br.import_pool(
        actor=SYSTEM,
        records=[
            PoolRecord("eve", TRAINED, 2, trainer="hal", source="people[8]"),
            PoolRecord("hal", None, 0, source="people[10]"),
            PoolRecord("bob", None, 0, source="people[6]"),
        ],
    )
    assert (report.created["bar_raisers"], report.updated["bar_raisers"]) == (1, 1)
    members = {m.handle: m for m in br.export_pool(actor=SYSTEM)}
    assert (members["eve"].trainer_handle, members["hal"].active, "bob" in members) == ("hal", False, False)


def test_a_bad_pool_import_changes_nothing_and_locates_every_problem(small_org):
    from mechanisms.kernel.importing import ImportFailed

    with pytest.raises(ImportFailed) as error:
        br.import_pool(
            actor=SYSTEM,
            records=[
                PoolRecord("eve", TRAINED, 99, source="people[8]"),
                PoolRecord("nobody", TRAINED, 1, source="p[0]"),
            ],
        )
    assert [(p.source, p.field) for p in error.value.problems] == [
        ("people[8]", "bar_raiser_capacity"),
        ("p[0]", "handle"),
    ]
    assert br.pool_ids(actor=SYSTEM, active_only=False) == {small_org.people["hal"].id}


def test_a_reporting_line_change_is_seen_by_the_next_suggestion(small_org):
    hal = small_org.people["hal"]
    assert [s.handle for s in br.suggest(actor=SYSTEM, subject=loop(small_org))] == ["hal"]
    org_services.update_person(
        actor=SYSTEM,
        person_id=hal.id,
        version=hal.version,
        changes=PersonChanges(manager_id=small_org.people["ann"].id),
    )
    assert br.suggest(actor=SYSTEM, subject=loop(small_org)) == []


@pytest.mark.django_db(transaction=True)
def test_two_assignments_of_one_subject_at_once_leave_exactly_one_open(small_org):
    from mechanisms.kernel.testing import at_the_same_time

    join(small_org, "eve")
    picks = {"eve": small_org.people["eve"].id, "hal": small_org.people["hal"].id}
    outcomes = at_the_same_time(
        lambda handle: br.assign(actor=SYSTEM, subject=design(small_org), person_id=picks[handle], reason="race"),
        handles=("eve", "hal"),
    )
    # Serialized writers reassign (both ok); writers that truly overlap meet the one-open-assignment constraint,
    # and the loser gets a 409. Either way, one open assignment, one unit of load.
    assert set(outcomes.values()) <= {"ok", "conflict"} and "ok" in outcomes.values(), outcomes
    current = br.current_assignment(actor=SYSTEM, subject_kind="design", subject_id=1)
    assert current is not None and current.person_id in picks.values()
    assert sum(br.loads(actor=SYSTEM, person_ids=picks.values()).values()) == 1
