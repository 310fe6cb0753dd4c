"""Public services of the metrics app (MECHANISMS.md §8). Keyword-only, typed; every write is one transaction with
its audit record (DESIGN.md §4). Reads go through `policy.visible_to`.

Sections, in order: the registry (metrics, revisions, lineage, plans); data (loads, pushes, SQL pulls,
completeness); decks (build, commentary, exceptions, snapshots); goals.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import goal_progress as goal_progress_rules
from . import policy as _policy
from .contracts import (
    Direction,
    Goal,
    GoalChanges,
    GoalId,
    GoalMeasure,
    GoalMix,
    GoalMixLine,
    GoalProgress,
    GoalState,
    GoalStatus,
    GoalView,
    Kind,
)
from .machines import MACHINE as GOAL_MACHINE
from .machines import GoalFacts
from .models import Goal as GoalRow
from .models import Metric as MetricRow

# --- the registry: metrics, revisions, lineage, plans ---------------------------------------------------------

# --- data: CSV loads, API pushes, SQL pulls, completeness ------------------------------------------------------

# --- decks: build, commentary, exceptions, snapshots -----------------------------------------------------------

# --- goals -----------------------------------------------------------------------------------------------------

SUBJECT_GOAL = "goal"
GOAL_VERBS = frozenset({"create", "change", *(t.name for t in GOAL_MACHINE.transitions)})
KIND_GOAL_PROPOSED, KIND_GOAL_DECIDED = "goal.proposed", "goal.decided"
notifications_services.declare_kinds(kinds=[KIND_GOAL_PROPOSED, KIND_GOAL_DECIDED])
GOAL_TEXT_MAX = 20000
GOAL_COUNTED = frozenset(s.value for s in GoalState) - {GoalState.DROPPED.value}


def create_goal(
    *,
    actor: Actor,
    team_id: int,
    year: int,
    title: str,
    description: str = "",
    metric_id: int,
    target: float,
    measure: GoalMeasure | str = GoalMeasure.LAST_WEEK,
    start_date: dt.date,
    due_date: dt.date,
    baseline: float | None = None,
) -> Goal:
    """Draft a team's goal for the year (MECHANISMS.md §8): specific (a registry metric, a numeric target, the
    figure it is judged on: last week, MTD, QTD or YTD), dated (a start, and a due date within the year), owned by
    the person drafting it. The goal keeps the metric's current revision number, so a later redefinition shows.
    A member or the leader of the team, or an admin. Raises RuleViolation naming the field, NotFound,
    PermissionDenied."""
    org_services.require_signed_in(actor)
    team = _goal_team(actor, team_id)
    _policy.require_write_goal(actor, team_id=team.id)
    owner_id = actor.person_id or team.leader_id
    if owner_id is None:
        raise RuleViolation("the team has no leader to own a goal drafted by the product", field="team_id")
    values = _clean_goal(
        {
            "year": year,
            "title": title,
            "description": description,
            "metric_id": metric_id,
            "target": target,
            "measure": measure,
            "start_date": start_date,
            "due_date": due_date,
            "baseline": baseline,
        }
    )
    metric = values.pop("metric")
    with transaction.atomic():
        row = GoalRow.objects.create(
            team_id=team.id,
            owner_id=owner_id,
            state=GOAL_MACHINE.initial,
            metric=metric,
            metric_revision=metric.revision,
            **values,
        )
        goal = _to_goal(row)
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=SUBJECT_GOAL,
            subject_id=row.id,
            subject_label=_goal_label(row),
            after=_goal_audit(goal),
        )
    return goal


def propose_goal(*, actor: Actor, note: str = "", **fields: Any) -> Goal:
    """Draft a goal (create_goal's fields) and propose it to leadership at once (the machine's `propose`)."""
    goal = create_goal(actor=actor, **fields)
    return apply_goal_transition(
        actor=actor, goal_id=goal.id, version=goal.version, transition="propose", values={"note": note}
    )


def change_goal(*, actor: Actor, goal_id: int, version: int, changes: GoalChanges) -> Goal:
    """Change a draft goal's what or words (MECHANISMS.md §8): once proposed it waits for leadership, once approved
    it is frozen (revise takes it back to draft). Changing the metric, or any field, takes the metric's current
    revision. The team's members and leader, and admins; a stale version is a Conflict. Raises RuleViolation
    naming the field, NotFound, PermissionDenied."""
    row = _require_goal(actor, goal_id)
    _policy.require_write_goal(actor, team_id=row.team_id)
    if row.state != GoalState.DRAFT.value:
        raise RuleViolation(
            f"goal {row.id} is {row.state}: only a draft changes (an approved goal's what is frozen; revise it "
            "to take it back to draft)",
            field="state",
        )
    if row.version != version:
        raise Conflict(
            f"goal {row.id} was changed by someone else (you read version {version}, it is now {row.version}); "
            "reload and try again",
            field="version",
            details={"field": "version", "expected": version, "current": row.version},
        )
    wanted = given(changes)
    merged = {
        "year": row.year,
        "title": row.title,
        "description": row.description,
        "metric_id": row.metric_id,
        "target": row.target,
        "measure": row.measure,
        "start_date": row.start_date,
        "due_date": row.due_date,
        "baseline": row.baseline,
        **wanted,
    }
    values = _clean_goal(merged)
    metric = values.pop("metric")
    values["metric_id"] = metric.pk
    values["metric_revision"] = metric.revision
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    if not changed:
        return _to_goal(row)
    before = _goal_audit(_to_goal(row))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=changed)
        row.metric = metric
        goal = _to_goal(row)
        audit_services.record_change(
            actor=actor,
            verb="change",
            subject_type=SUBJECT_GOAL,
            subject_id=row.id,
            subject_label=_goal_label(row),
            before=before,
            after=_goal_audit(goal),
        )
    return goal


def apply_goal_transition(
    *, actor: Actor, goal_id: int, version: int, transition: str, values: Mapping[str, Any]
) -> Goal:
    """Take one move of the goal machine (metrics/machines.py) in the order of kernel/machine_apply.py: the version
    read (409), the state and guard (400: e.g. a goal is judged achieved or missed only once due, from complete
    data), the party (403: the team proposes and revises; leadership above the team approves, returns, drops and
    closes), the input, the compare-and-set, the audit record, the notices. The API, CLI and pages call this."""
    row = _require_goal(actor, goal_id)
    return machine_apply.apply(_GOAL_BINDING, actor=actor, row=row, version=version, name=transition, raw=values)


def get_goal(*, actor: Actor, goal_id: int) -> Goal:
    """One goal. Raises NotFound, PermissionDenied (not signed in)."""
    return _to_goal(_require_goal(actor, goal_id))


def find_goal(*, actor: Actor, goal_id: int) -> Goal | None:
    """One goal, or None."""
    row = _goals(actor).filter(pk=goal_id).first() if isinstance(goal_id, int) else None
    return _to_goal(row) if row is not None else None


def goal_view(*, actor: Actor, goal_id: int) -> GoalView:
    """A goal as this viewer sees it: the moves they may take now (exactly what the apply lets through before
    reading input), whether they may change it, and why a due goal cannot be closed yet."""
    row = _require_goal(actor, goal_id)
    ctx = _GoalContext(actor, row)
    facts = _goal_facts(ctx)
    parties = _goal_parties(ctx)
    held = ""
    if row.state == GoalState.APPROVED.value and facts.due_passed and facts.outcome is None:
        held = f"The goal cannot be closed yet: {facts.why_no_outcome}."
    return GoalView(
        goal=_to_goal(row),
        actions=machines.available(GOAL_MACHINE, facts, parties),
        can_change=row.state == GoalState.DRAFT.value and _policy.can_write_goal(actor, team_id=row.team_id),
        held=held,
    )


def list_goals(
    *,
    actor: Actor,
    team_id: int | None = None,
    unit_id: int | None = None,
    year: int | None = None,
    state: GoalState | str | None = None,
    metric_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Goal]:
    """Goals by team, by org unit (the unit and every unit below it), year, state and metric; by team, year, id.
    Paginated. Raises RuleViolation naming a bad filter, NotFound for an unknown unit."""
    qs = _goals(actor).select_related("metric")
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if unit_id is not None:
        qs = qs.filter(team_id__in=_unit_team_ids(actor, unit_id))
    if year is not None:
        qs = qs.filter(year=year)
    if state:
        qs = qs.filter(state=_goal_enum(GoalState, state, "state").value)
    if metric_id is not None:
        qs = qs.filter(metric_id=metric_id)
    return paginate(qs.order_by("team_id", "year", "id"), limit=limit, offset=offset, convert=_to_goal)


def goal_progress(*, actor: Actor, goal_id: int) -> GoalProgress:
    """A goal's progress, computed from its metric's data and the date, never set by hand (MECHANISMS.md §8): the
    measured figure by the deck engine's definitions (last week, MTD, QTD or YTD for the last ended week; once due,
    for the last week ending by the due date), the share of the way from baseline to target, the share of time
    elapsed, and a status: on_track, at_risk, off_track, achieved, missed, or no_data when the measured period is
    incomplete (its missing days named). Flags a metric redefined since the goal was set on it."""
    row = _require_goal(actor, goal_id)
    return _progress(row, clock.today())


def goal_progresses(*, actor: Actor, goal_ids: Sequence[int]) -> dict[int, GoalProgress]:
    """Progress of several goals at once (a page of goals): by goal id; unknown ids are left out."""
    rows = list(_goals(actor).filter(pk__in=[g for g in goal_ids if isinstance(g, int)]).select_related("metric"))
    today = clock.today()
    return {row.pk: _progress(row, today) for row in rows}


def goal_mix(*, actor: Actor, team_id: int | None = None, unit_id: int | None = None, year: int) -> GoalMix:
    """The share of a year's goals tied to input versus output metrics (MECHANISMS.md §8: at Amazon about 10 of 500
    top-level goals were financial), per team and for the team or the org unit's subtree (all teams when neither is
    given), with a warning for each team whose goal set is output-only. Dropped goals do not count. Raises
    RuleViolation, NotFound."""
    org_services.require_signed_in(actor)
    year = _goal_year(year)
    qs = _goals(actor).filter(year=year, state__in=GOAL_COUNTED)
    if team_id is not None:
        _goal_team(actor, team_id)
        qs = qs.filter(team_id=team_id)
    if unit_id is not None:
        qs = qs.filter(team_id__in=_unit_team_ids(actor, unit_id))
    counts: dict[int, dict[str, int]] = {}
    for team, kind in qs.values_list("team_id", "metric__kind"):
        line = counts.setdefault(team, {"input": 0, "output": 0})
        line["input" if kind == Kind.INPUT.value else "output"] += 1
    teams = org_services.get_teams(actor=actor, ids=list(counts))
    lines, warnings = [], []
    for team, c in sorted(counts.items(), key=lambda kv: (teams[kv[0]].name if kv[0] in teams else "", kv[0])):
        total = c["input"] + c["output"]
        output_only = total > 0 and c["input"] == 0
        lines.append(
            GoalMixLine(
                team_id=team,
                input=c["input"],
                output=c["output"],
                total=total,
                input_share=round(c["input"] / total, 3) if total else None,
                output_only=output_only,
            )
        )
        if output_only:
            name = teams[team].name if team in teams else f"team {team}"
            warnings.append(
                f"{name}'s {year} goals are all tied to output metrics: goals should move the inputs the team controls"
            )
    n_in = sum(line.input for line in lines)
    n_out = sum(line.output for line in lines)
    total = n_in + n_out
    return GoalMix(
        year=year,
        teams=tuple(lines),
        input=n_in,
        output=n_out,
        total=total,
        input_share=round(n_in / total, 3) if total else None,
        warnings=tuple(warnings),
    )


def close_due_goals(*, actor: Actor) -> list[Goal]:
    """The worker's sweep: each approved goal past its due date whose data is complete is closed as achieved or
    missed, as its data says (a goal with incomplete data stays approved, and its page says why)."""
    closed = []
    today = clock.today()
    for row in GoalRow.objects.filter(state=GoalState.APPROVED.value, due_date__lt=today).select_related("metric"):
        outcome = goal_progress_rules.outcome_for(GoalState(row.state), _progress(row, today).status)
        if outcome is None:
            continue
        closed.append(
            apply_goal_transition(
                actor=actor,
                goal_id=row.pk,
                version=row.version,
                transition="achieve" if outcome == "achieved" else "miss",
                values={},
            )
        )
    return closed


# goals: private helpers


def _goals(actor: Actor):
    return _policy.goals_visible_to(actor, GoalRow.objects.all())


def _require_goal(actor: Actor, goal_id: Any) -> GoalRow:
    row = _goals(actor).filter(pk=goal_id).select_related("metric").first() if isinstance(goal_id, int) else None
    if row is None:
        raise NotFound(f"goal {goal_id} does not exist", field="goal_id")
    return row


def _goal_team(actor: Actor, team_id: Any):
    if not isinstance(team_id, int) or isinstance(team_id, bool):
        raise RuleViolation("team_id must be a team's id", field="team_id")
    team = org_services.get_teams(actor=actor, ids=[team_id]).get(team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist", field="team_id")
    return team


def _unit_team_ids(actor: Actor, unit_id: Any) -> list[int]:
    if not isinstance(unit_id, int) or not org_services.get_org_units(actor=actor, ids=[unit_id]):
        raise NotFound(f"org unit {unit_id} does not exist", field="unit_id")
    units = org_services.org_unit_descendants(actor=actor, org_unit_id=unit_id)
    return org_services.team_ids_in_org_units(actor=actor, org_unit_ids=units)


def _goal_enum(kind: type, value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise RuleViolation(f"{field} must be one of {', '.join(m.value for m in kind)}", field=field) from None


def _goal_year(year: Any) -> int:
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        raise RuleViolation("year must be a year between 2000 and 2100", field="year")
    return year


def _goal_number(value: Any, field: str, *, required: bool = True) -> float | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleViolation(f"{field} must be a number", field=field)
    if abs(value) > 1e15:
        raise RuleViolation(f"{field} must be between -1e15 and 1e15", field=field)
    return float(value)


def _goal_date(value: Any, field: str) -> dt.date:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise RuleViolation(f"{field} must be a date", field=field)
    return value


def _clean_goal(values: Mapping[str, Any]) -> dict[str, Any]:
    """A goal's fields, checked (MECHANISMS.md §8: specific and dated); RuleViolation naming the first bad one."""
    year = _goal_year(values["year"])
    title = _text(values["title"], "title", 300)
    description = _text(values["description"], "description", GOAL_TEXT_MAX, required=False)
    metric_id = values["metric_id"]
    metric = (
        MetricRow.objects.filter(pk=metric_id).first()
        if isinstance(metric_id, int) and not isinstance(metric_id, bool)
        else None
    )
    if metric is None:
        raise NotFound(f"metric {metric_id} is not in the registry", field="metric_id")
    if metric.retired_on is not None:
        raise RuleViolation(f"metric {metric.name} was retired on {metric.retired_on}", field="metric_id")
    target = _goal_number(values["target"], "target")
    baseline = _goal_number(values["baseline"], "baseline", required=False)
    if baseline is not None and baseline == target:
        raise RuleViolation("the target must differ from the baseline", field="target")
    measure = _goal_enum(GoalMeasure, values["measure"], "measure").value
    start = _goal_date(values["start_date"], "start_date")
    due = _goal_date(values["due_date"], "due_date")
    if due.year != year:
        raise RuleViolation(f"the due date must be within {year}", field="due_date")
    if start >= due:
        raise RuleViolation("the start date must be before the due date", field="start_date")
    if start.year < year - 1:
        raise RuleViolation(f"the start date must be in {year - 1} or {year}", field="start_date")
    return {
        "year": year,
        "title": title,
        "description": description,
        "metric": metric,
        "target": target,
        "baseline": baseline,
        "measure": measure,
        "start_date": start,
        "due_date": due,
    }


def _progress(row: GoalRow, today: dt.date) -> GoalProgress:
    metric = row.metric
    measure = GoalMeasure(row.measure)
    as_of = goal_progress_rules.measured_as_of(today=today, due_date=row.due_date)
    result = goal_progress_rules.measured_row(metric, as_of=as_of)
    measured = goal_progress_rules.figure(result, measure)
    gaps = goal_progress_rules.current_gaps(result, measure, as_of) if measured is None else ()
    judged = goal_progress_rules.judge(
        measured=measured,
        baseline=row.baseline,
        target=row.target,
        direction=Direction(metric.direction),
        start=row.start_date,
        due=row.due_date,
        as_of=as_of,
        today=today,
        unavailable=goal_progress_rules.unavailable_words(measure, as_of, gaps),
    )
    status, reason = judged.status, judged.reason
    if row.state in (GoalState.ACHIEVED.value, GoalState.MISSED.value):
        status = GoalStatus(row.state)
        reason = f"closed as {row.state}"
    note = None
    if metric.revision != row.metric_revision:
        note = (
            f"measured against revision {metric.revision} of {metric.name}; the goal was set on revision "
            f"{row.metric_revision}"
        )
    return GoalProgress(
        goal_id=row.pk,
        measure=measure,
        as_of=as_of,
        measured=measured,
        baseline=row.baseline,
        target=row.target,
        progress=None if judged.progress is None else round(judged.progress, 4),
        elapsed=round(judged.elapsed, 4),
        status=status,
        reason=reason,
        gaps=gaps,
        goal_revision=row.metric_revision,
        metric_revision=metric.revision,
        revision_note=note,
    )


class _GoalContext:
    """What one goal transition reads, once: the team (for its unit: who leads above it) and, for a due approved
    goal, its progress (the outcome the data supports)."""

    def __init__(self, actor: Actor, row: GoalRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now, self.today = clock.now(), clock.today()
        self.team = org_services.get_teams(actor=Actor.system("metrics"), ids=[row.team_id]).get(row.team_id)
        self._progress: Any = ...

    @property
    def progress(self) -> GoalProgress | None:
        if self._progress is ...:
            due = self.row.state == GoalState.APPROVED.value and self.today > self.row.due_date
            self._progress = _progress(self.row, self.today) if due else None
        return self._progress


def _goal_facts(ctx: _GoalContext) -> GoalFacts:
    progress = ctx.progress
    outcome = (
        goal_progress_rules.outcome_for(GoalState(ctx.row.state), progress.status) if progress is not None else None
    )
    return GoalFacts(
        state=ctx.row.state,
        due_passed=ctx.today > ctx.row.due_date,
        outcome=outcome,
        why_no_outcome=progress.reason if progress is not None and outcome is None else "",
    )


def _goal_parties(ctx: _GoalContext) -> frozenset[str]:
    unit_id = ctx.team.org_unit_id if ctx.team is not None else None
    return _policy.goal_parties(ctx.actor, team_id=ctx.row.team_id, org_unit_id=unit_id)


def _goal_record(step: machine_apply.Step) -> Goal:
    ctx: _GoalContext = step.context
    row = ctx.row
    goal = _to_goal(row)
    audit_services.record_change(
        actor=ctx.actor,
        verb=step.transition.name,
        subject_type=SUBJECT_GOAL,
        subject_id=row.id,
        subject_label=_goal_label(row),
        before=step.before,
        after=_goal_audit(goal),
        reason=step.note,
    )
    words = step.transition.words_for(step.transition.notice, step.to_state) or step.transition.name
    if step.transition.name == "propose":
        recipients, kind = _leaders_above(ctx), KIND_GOAL_PROPOSED
    else:
        recipients = {row.owner_id} | ({ctx.team.leader_id} if ctx.team and ctx.team.leader_id else set())
        kind = KIND_GOAL_DECIDED
    recipients = [p for p in recipients if p != ctx.actor.person_id]
    if recipients:
        notifications_services.notify(
            actor=ctx.actor,
            recipients=recipients,
            kind=kind,
            title=f"Goal {words}: {row.title}"[:200],
            url=f"/goals/{row.id}",
            subject_type=SUBJECT_GOAL,
            subject_id=row.id,
        )
    return goal


def _leaders_above(ctx: _GoalContext) -> set[int]:
    """Who hears of a proposal: the nearest leader of a unit containing the team who is not in the team."""
    if ctx.team is None:
        return set()
    system = Actor.system("metrics")
    members = {ctx.team.leader_id} if ctx.team.leader_id else set()
    units = [org_services.get_org_unit(actor=system, org_unit_id=ctx.team.org_unit_id)]
    units += org_services.org_unit_ancestors(actor=system, org_unit_id=ctx.team.org_unit_id)
    for unit in units:
        if unit.leader_id and unit.leader_id not in members:
            return {unit.leader_id}
    return set()


_GOAL_BINDING = machine_apply.Binding(
    machine=GOAL_MACHINE,
    load=_GoalContext,
    facts=_goal_facts,
    parties=_goal_parties,
    snapshot=lambda ctx: _goal_audit(_to_goal(ctx.row)),
    record=_goal_record,
)


def _goal_label(row: GoalRow) -> str:
    return f"{row.year} goal: {row.title}"[:200]


def _goal_audit(goal: Goal) -> dict[str, Any]:
    return {
        "team_id": goal.team_id,
        "year": goal.year,
        "title": goal.title,
        "description": goal.description,
        "metric_id": goal.metric_id,
        "metric_revision": goal.metric_revision,
        "measure": goal.measure.value,
        "baseline": goal.baseline,
        "target": goal.target,
        "start_date": goal.start_date.isoformat(),
        "due_date": goal.due_date.isoformat(),
        "state": goal.state.value,
        "owner_id": goal.owner_id,
        "decision_note": goal.decision_note,
        "version": goal.version,
    }


def _to_goal(row: GoalRow) -> Goal:
    return Goal(
        id=GoalId(row.pk),
        team_id=row.team_id,
        year=row.year,
        title=row.title,
        description=row.description,
        metric_id=row.metric_id,
        metric_name=row.metric.name,
        metric_kind=Kind(row.metric.kind),
        metric_revision=row.metric_revision,
        measure=GoalMeasure(row.measure),
        baseline=row.baseline,
        target=row.target,
        start_date=row.start_date,
        due_date=row.due_date,
        state=GoalState(row.state),
        owner_id=row.owner_id,
        decided_by_id=row.decided_by_id,
        decided_at=row.decided_at,
        decision_note=row.decision_note,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def metric_id_by_name(*, actor: Actor, name: str) -> int | None:
    """The id of the registry metric with this name (what the goal CLI and forms are given), or None."""
    org_services.require_signed_in(actor)
    return MetricRow.objects.filter(name=name).values_list("pk", flat=True).first() if isinstance(name, str) else None
