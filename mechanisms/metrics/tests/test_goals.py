"""Goals (MECHANISMS.md §8): the goal machine by role (the team proposes; only leadership above the team approves),
the frozen "what" once approved, progress computed from the data and the date (on track, off track, no data with a
gap, achieved after the due date), the revision-drift flag, and the input/output mix with the output-only warning.

Today is pinned to Wednesday 2025-06-18: the last ended week ends on Saturday 2025-06-14. Metrics and their values
are written as rows of this app (the registry's and the data part's services are other parts of this issue)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.metrics import services
from mechanisms.metrics.contracts import GoalChanges, GoalState, GoalStatus
from mechanisms.metrics.tests.helpers import define, push
from mechanisms.org import services as org_services
from mechanisms.org.contracts import OrgUnitChanges

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 6, 18)
LAST_WEEK = dt.date(2025, 6, 14)


@pytest.fixture
def pinned():
    """Tell the time as on Wednesday 2025-06-18, noon."""
    moment = timezone.make_aware(dt.datetime.combine(TODAY, dt.time(12)))
    with clock.shifted(moment - timezone.now()):
        yield


@pytest.fixture
def goal_org(small_org, pinned):
    """The small org with unit leaders (acme: ceo; retail: vp-retail; platform: fay) and three metrics of the
    checkout team: orders (input, sum), latency (input, lower is better, mean) and revenue (output, sum)."""
    system = Actor.system("test")
    for unit, leader in (("acme", "ceo"), ("retail", "vp-retail"), ("platform", "fay")):
        u = org_services.get_org_unit(actor=system, org_unit_id=small_org.units[unit].id)
        org_services.update_org_unit(
            actor=system,
            org_unit_id=u.id,
            version=u.version,
            changes=OrgUnitChanges(leader_id=small_org.people[leader].id),
        )
    org_services.forget_relations()
    small_org.metrics = {
        "orders": make_metric(small_org, "orders", kind="input"),
        "latency": make_metric(small_org, "latency", kind="input", direction="down", aggregation="mean"),
        "revenue": make_metric(small_org, "revenue", kind="output"),
    }
    return small_org


def make_metric(o, name, *, kind, team="checkout", owner="bob", direction="up", aggregation="sum"):
    return define(o, name, kind=kind, team=team, owner=owner, direction=direction, aggregation=aggregation)


def load_values(metric, value, *, start=dt.date(2025, 1, 1), end=LAST_WEEK, skip=()):
    """One value a day from start to end inclusive, except the days in `skip` (never loaded)."""
    push(metric, start, end, value, skip=skip)


def draft(o, *, by="bob", metric="orders", team="checkout", **kw):
    values = {
        "team_id": o.teams[team].id,
        "year": 2025,
        "title": "Grow weekly orders to 1,400",
        "metric_id": o.metrics[metric].pk,
        "baseline": 700.0,
        "target": 1400.0,
        "start_date": dt.date(2025, 1, 1),
        "due_date": dt.date(2025, 12, 31),
        **kw,
    }
    return services.create_goal(actor=o.actor(by), **values)


def move(o, goal, transition, by, **values):
    current = services.get_goal(actor=o.actor(by), goal_id=goal.id)
    return services.apply_goal_transition(
        actor=o.actor(by), goal_id=goal.id, version=current.version, transition=transition, values=values
    )


def approved(o, **kw):
    goal = draft(o, **kw)
    move(o, goal, "propose", kw.get("by", "bob"))
    return move(o, goal, "approve", "vp-retail")


# ---------------------------------------------------------------------------------------------- the machine by role


@pytest.mark.parametrize("by", ["bob", "ann"])
def test_a_member_or_the_leader_of_the_team_drafts_and_proposes(goal_org, by):
    goal = draft(goal_org, by=by)
    assert goal.state is GoalState.DRAFT and goal.owner_id == goal_org.people[by].id
    assert goal.metric_revision == 1 and goal.metric_kind.value == "input"
    assert move(goal_org, goal, "propose", by).state is GoalState.PROPOSED


@pytest.mark.parametrize("by", ["eve", "vp-retail"])
def test_someone_outside_the_team_neither_drafts_nor_proposes(goal_org, by):
    with pytest.raises(PermissionDenied):
        draft(goal_org, by=by)
    goal = draft(goal_org)
    with pytest.raises(PermissionDenied, match="a member or the leader of the goal's team"):
        move(goal_org, goal, "propose", by)


@pytest.mark.parametrize("approver", ["vp-retail", "ceo", "admin"])
def test_a_leader_above_the_team_or_an_admin_approves(goal_org, approver):
    goal = draft(goal_org)
    move(goal_org, goal, "propose", "bob")
    done = move(goal_org, goal, "approve", approver, note="Good input goal.")
    assert done.state is GoalState.APPROVED and done.decision_note == "Good input goal."
    assert done.decided_by_id == (goal_org.people[approver].id if approver != "admin" else None)


@pytest.mark.parametrize("approver", ["ann", "cat", "bob", "fay", "eve"])
def test_the_team_itself_or_a_leader_of_another_unit_cannot_approve(goal_org, approver):
    goal = draft(goal_org)
    move(goal_org, goal, "propose", "bob")
    with pytest.raises(PermissionDenied, match="a leader above the goal's team"):
        move(goal_org, goal, "approve", approver)
    assert services.get_goal(actor=goal_org.actor("bob"), goal_id=goal.id).state is GoalState.PROPOSED


def test_a_unit_leader_who_leads_the_team_does_not_approve_its_goals(goal_org):
    """ann leads the retail unit and the checkout team in it: she approves the payments team's goal, not her own."""
    system = Actor.system("test")
    retail = org_services.get_org_unit(actor=system, org_unit_id=goal_org.units["retail"].id)
    org_services.update_org_unit(
        actor=system,
        org_unit_id=retail.id,
        version=retail.version,
        changes=OrgUnitChanges(leader_id=goal_org.people["ann"].id),
    )
    org_services.forget_relations()
    own = draft(goal_org)
    move(goal_org, own, "propose", "bob")
    with pytest.raises(PermissionDenied):
        move(goal_org, own, "approve", "ann")
    theirs = draft(goal_org, by="eve", team="payments", metric="revenue", baseline=None, target=50000.0)
    move(goal_org, theirs, "propose", "eve")
    assert move(goal_org, theirs, "approve", "ann").state is GoalState.APPROVED


def test_leadership_returns_a_proposal_with_a_reason_back_to_draft(goal_org):
    goal = draft(goal_org)
    move(goal_org, goal, "propose", "bob")
    with pytest.raises(RuleViolation) as refused:
        move(goal_org, goal, "return", "vp-retail")
    assert refused.value.field == "reason"
    back = move(goal_org, goal, "return", "vp-retail", reason="Tie it to orders per visit instead.")
    assert back.state is GoalState.DRAFT and back.decision_note.startswith("Tie it")
    view = services.goal_view(actor=goal_org.actor("bob"), goal_id=goal.id)
    assert view.actions == ("propose",) and view.can_change


def test_once_approved_the_what_is_frozen_and_changes_go_back_through_proposal(goal_org):
    goal = approved(goal_org)
    with pytest.raises(RuleViolation) as refused:
        services.change_goal(
            actor=goal_org.actor("bob"), goal_id=goal.id, version=goal.version, changes=GoalChanges(target=1000.0)
        )
    assert refused.value.field == "state"
    assert services.goal_view(actor=goal_org.actor("bob"), goal_id=goal.id).can_change is False
    revised = move(goal_org, goal, "revise", "bob", reason="The target was set before the price change.")
    assert revised.state is GoalState.DRAFT
    changed = services.change_goal(
        actor=goal_org.actor("bob"), goal_id=goal.id, version=revised.version, changes=GoalChanges(target=1000.0)
    )
    assert changed.target == 1000.0 and changed.state is GoalState.DRAFT
    assert move(goal_org, goal, "propose", "bob").state is GoalState.PROPOSED


def test_a_stale_version_is_a_conflict(goal_org):
    goal = draft(goal_org)
    services.change_goal(
        actor=goal_org.actor("bob"), goal_id=goal.id, version=goal.version, changes=GoalChanges(title="A")
    )
    with pytest.raises(Conflict):
        services.change_goal(
            actor=goal_org.actor("cat"), goal_id=goal.id, version=goal.version, changes=GoalChanges(title="B")
        )


def test_leadership_drops_an_approved_goal_saying_why(goal_org):
    goal = approved(goal_org)
    with pytest.raises(PermissionDenied):
        move(goal_org, goal, "drop", "bob", reason="No longer needed.")
    assert move(goal_org, goal, "drop", "vp-retail", reason="The market moved.").state is GoalState.DROPPED


# ---------------------------------------------------------------------------------------------- specific and dated


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"due_date": dt.date(2026, 1, 15)}, "due_date"),
        ({"start_date": dt.date(2025, 12, 31), "due_date": dt.date(2025, 6, 1)}, "start_date"),
        ({"target": 700.0}, "target"),
        ({"measure": "weekly"}, "measure"),
        ({"title": "  "}, "title"),
        ({"year": 1999}, "year"),
        ({"target": float("nan")}, "target"),
    ],
)
def test_a_goal_is_specific_and_dated_and_bad_fields_are_named(goal_org, changes, field):
    with pytest.raises(RuleViolation) as refused:
        draft(goal_org, **changes)
    assert refused.value.field == field


def test_a_goal_names_a_metric_of_the_registry(goal_org):
    with pytest.raises(NotFound) as refused:
        services.create_goal(
            actor=goal_org.actor("bob"),
            team_id=goal_org.teams["checkout"].id,
            year=2025,
            title="Something",
            metric_id=999999,
            target=1.0,
            start_date=dt.date(2025, 1, 1),
            due_date=dt.date(2025, 12, 31),
        )
    assert refused.value.field == "metric_id"


def test_goals_are_read_by_everyone_signed_in_and_by_nobody_anonymous(goal_org):
    goal = draft(goal_org)
    assert services.get_goal(actor=goal_org.actor("gus"), goal_id=goal.id).id == goal.id
    with pytest.raises(PermissionDenied):
        services.get_goal(actor=Actor.anonymous(), goal_id=goal.id)
    with pytest.raises(NotFound):
        services.get_goal(actor=goal_org.actor("gus"), goal_id=goal.id + 100)


def test_goals_are_listed_by_team_unit_year_and_state(goal_org):
    a = approved(goal_org)
    b = draft(goal_org, by="eve", team="payments", metric="revenue", baseline=None, target=50000.0)
    actor = goal_org.actor("gus")
    assert [g.id for g in services.list_goals(actor=actor, unit_id=goal_org.units["retail"].id).items] == [a.id, b.id]
    assert services.list_goals(actor=actor, unit_id=goal_org.units["platform"].id).total == 0
    assert [g.id for g in services.list_goals(actor=actor, unit_id=goal_org.units["acme"].id, state="draft").items] == [
        b.id
    ]
    assert services.list_goals(actor=actor, year=2024).total == 0
    with pytest.raises(RuleViolation):
        services.list_goals(actor=actor, state="green")


# ---------------------------------------------------------------------------------------------- progress from data


def test_progress_on_track_from_the_data_and_the_date(goal_org):
    load_values(goal_org.metrics["orders"], 160.0)  # 1,120 a week: 60% of the way with 45% of the time gone
    goal = approved(goal_org)
    p = services.goal_progress(actor=goal_org.actor("gus"), goal_id=goal.id)
    assert p.as_of == LAST_WEEK and p.measured == 1120.0
    assert p.progress == pytest.approx(0.6) and p.elapsed == pytest.approx(164 / 364, abs=1e-4)
    assert p.status is GoalStatus.ON_TRACK and p.revision_note is None


def test_progress_off_track_when_far_behind_the_time(goal_org):
    load_values(goal_org.metrics["orders"], 110.0)  # 770 a week: 10% of the way with 45% of the time gone
    p = services.goal_progress(actor=goal_org.actor("bob"), goal_id=approved(goal_org).id)
    assert p.progress == pytest.approx(0.1) and p.status is GoalStatus.OFF_TRACK


def test_progress_of_a_lower_is_better_metric(goal_org):
    load_values(goal_org.metrics["latency"], 640.0)  # from 800 to 500 ms: 53% of the way
    goal = approved(goal_org, metric="latency", baseline=800.0, target=500.0, title="p99 under 500 ms")
    p = services.goal_progress(actor=goal_org.actor("bob"), goal_id=goal.id)
    assert p.measured == 640.0 and p.progress == pytest.approx(160 / 300, abs=1e-4) and p.status is GoalStatus.ON_TRACK


def test_a_gap_in_the_measured_week_is_no_data_naming_the_days_never_zero(goal_org):
    gap = {dt.date(2025, 6, 10), dt.date(2025, 6, 11)}
    load_values(goal_org.metrics["orders"], 160.0, skip=gap)
    p = services.goal_progress(actor=goal_org.actor("bob"), goal_id=approved(goal_org).id)
    assert p.measured is None and p.progress is None and p.status is GoalStatus.NO_DATA
    assert {d for g in p.gaps for d in g.missing} == gap
    assert "2025-06-10" in p.reason and "2025-06-11" in p.reason


def test_no_data_at_all_is_no_data(goal_org):
    p = services.goal_progress(actor=goal_org.actor("bob"), goal_id=approved(goal_org).id)
    assert p.status is GoalStatus.NO_DATA and p.measured is None


def test_after_the_due_date_the_data_decides_achieved_and_only_that_close_is_offered(goal_org):
    load_values(goal_org.metrics["orders"], lambda d: 210.0 if d >= dt.date(2025, 5, 25) else 120.0)
    goal = approved(goal_org, due_date=dt.date(2025, 5, 31))  # a Saturday: the week ending then is measured
    p = services.goal_progress(actor=goal_org.actor("bob"), goal_id=goal.id)
    assert p.as_of == dt.date(2025, 5, 31) and p.measured == 1470.0 and p.status is GoalStatus.ACHIEVED
    assert services.goal_view(actor=goal_org.actor("vp-retail"), goal_id=goal.id).actions == ("achieve", "drop")
    with pytest.raises(RuleViolation, match="the data says the goal was achieved"):
        move(goal_org, goal, "miss", "vp-retail")
    with pytest.raises(PermissionDenied):
        move(goal_org, goal, "achieve", "bob")  # the team does not close its own goal
    assert move(goal_org, goal, "achieve", "vp-retail").state is GoalState.ACHIEVED
    assert services.goal_progress(actor=goal_org.actor("bob"), goal_id=goal.id).status is GoalStatus.ACHIEVED


def test_the_worker_closes_due_goals_from_their_data_and_leaves_incomplete_ones(goal_org):
    load_values(goal_org.metrics["orders"], 120.0, skip={dt.date(2025, 5, 27)})
    load_values(goal_org.metrics["revenue"], 100.0)
    missed = approved(goal_org, metric="revenue", baseline=None, target=900.0, due_date=dt.date(2025, 5, 31))
    held = approved(goal_org, due_date=dt.date(2025, 5, 31))
    not_due = approved(goal_org)
    closed = services.close_due_goals(actor=Actor.system("worker"))
    assert [g.id for g in closed] == [missed.id] and closed[0].state is GoalState.MISSED
    view = services.goal_view(actor=goal_org.actor("vp-retail"), goal_id=held.id)
    assert view.goal.state is GoalState.APPROVED and "2025-05-27" in view.held and "achieve" not in view.actions
    assert services.get_goal(actor=goal_org.actor("bob"), goal_id=not_due.id).state is GoalState.APPROVED


def test_a_goal_is_not_judged_before_its_due_date(goal_org):
    load_values(goal_org.metrics["orders"], 300.0)  # already above the target
    goal = approved(goal_org)
    p = services.goal_progress(actor=goal_org.actor("bob"), goal_id=goal.id)
    assert p.status is GoalStatus.ON_TRACK and p.reason == "the target is already met"
    with pytest.raises(RuleViolation, match="once its due date has passed"):
        move(goal_org, goal, "achieve", "vp-retail")


def test_a_metric_redefined_after_the_goal_was_set_is_flagged(goal_org):
    from mechanisms.metrics.models import Metric

    load_values(goal_org.metrics["orders"], 160.0)
    goal = approved(goal_org)
    Metric.objects.filter(pk=goal_org.metrics["orders"].pk).update(revision=3)
    p = services.goal_progress(actor=goal_org.actor("bob"), goal_id=goal.id)
    assert p.goal_revision == 1 and p.metric_revision == 3
    assert p.revision_note == "measured against revision 3 of orders; the goal was set on revision 1"


# ---------------------------------------------------------------------------------------------- input vs output


def test_goal_mix_counts_input_and_output_goals_and_warns_on_an_output_only_team(goal_org):
    approved(goal_org)  # checkout: orders (input)
    draft(goal_org, metric="latency", baseline=800.0, target=500.0)  # checkout: latency (input)
    draft(goal_org, metric="revenue", baseline=None, target=50000.0)  # checkout: revenue (output)
    draft(goal_org, by="eve", team="payments", metric="revenue", baseline=None, target=9000.0)  # payments: output
    dropped = approved(goal_org, by="eve", team="payments", metric="orders")
    move(goal_org, dropped, "drop", "vp-retail", reason="Not theirs.")  # dropped goals do not count
    mix = services.goal_mix(actor=goal_org.actor("gus"), unit_id=goal_org.units["retail"].id, year=2025)
    lines = {line.team_id: line for line in mix.teams}
    checkout, payments = lines[goal_org.teams["checkout"].id], lines[goal_org.teams["payments"].id]
    assert (checkout.input, checkout.output, checkout.input_share, checkout.output_only) == (2, 1, 0.667, False)
    assert (payments.input, payments.output, payments.output_only) == (0, 1, True)
    assert (mix.input, mix.output, mix.total, mix.input_share) == (2, 2, 4, 0.5)
    assert mix.warnings == (
        "Payments's 2025 goals are all tied to output metrics: goals should move the inputs the team controls",
    )
    only_checkout = services.goal_mix(actor=goal_org.actor("gus"), team_id=goal_org.teams["checkout"].id, year=2025)
    assert only_checkout.total == 3 and only_checkout.warnings == ()
    assert services.goal_mix(actor=goal_org.actor("gus"), year=2024).total == 0
