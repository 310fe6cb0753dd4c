"""Public services of the experiments app (MECHANISMS.md §9; docs/experiments.md). Keyword-only, typed; every
write is one transaction with its audit record; reads go through policy.visible_to.

Sections, each owned by one part of the work:
- first part: the registry (define, edit a draft, plan versions, the power calculation, the machine's binding);
- second part: assignment and exposures (the pure function served, bulk exposures);
- third part: analysis (sufficient statistics in the data connection -> rules -> immutable snapshots);
- fourth part: the launch decision and its bar-raiser review.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog_services
from mechanisms.kernel import clock, machine_apply
from mechanisms.kernel import machines as kernel_machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.importing import chunks
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text
from mechanisms.metrics import services as metrics_services
from mechanisms.metrics.contracts import Kind as MetricKind
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import assignment as _assignment
from . import plans as _plans
from . import policy as _policy
from . import rules
from .contracts import (
    HASH_VERSIONS,
    Assignment,
    Decision,
    ExperimentChanges,
    ExperimentId,
    ExperimentState,
    ExperimentView,
    Exposure,
    ExposureReport,
    ExposureSummary,
    Plan,
    PlanVersionView,
    StopRule,
)
from .history import SOURCE_SUBJECT_TYPE, SUBJECT_TYPE
from .machines import MACHINE, ExperimentFacts
from .models import Experiment as ExperimentRow
from .models import Exposure as ExposureRow
from .models import PlanVersion as PlanVersionRow

__all__ = ["MACHINE", "SOURCE_SUBJECT_TYPE", "SUBJECT_TYPE"]

# ------------------------------------------------------------------------------------- first part: the registry

_SYSTEM = Actor.system("experiments")
KIND_TRANSITION = "experiments.transition"
notifications_services.declare_kinds(kinds=[KIND_TRANSITION])
MAX_NAME, MAX_TEXT = 200, 20000
KEY_WORDS = "a slug: lower-case letters, digits and dashes, at most 80 characters"
# States in which a reasoned plan revision may be filed: after start, before the decision.
REVISABLE = frozenset({ExperimentState.RUNNING.value, ExperimentState.STOPPED.value, ExperimentState.IN_REVIEW.value})


def define_experiment(
    *,
    actor: Actor,
    key: str,
    name: str,
    hypothesis: str,
    team_id: int,
    owner_id: int,
    plan: Plan,
    service_id: int | None = None,
    high_impact: bool = False,
    connection: str = "default",
    hash_version: int = 2,
) -> ExperimentView:
    """Register an experiment as a draft with its pre-registered plan (MECHANISMS.md §9). Rules: a member or the
    leader of the team, or an admin; the key a unique slug (the assignment seed); a name and a hypothesis; the
    owner a member or the leader of the team; the service, when given, owned by the team; the hash version 1 or 2;
    the plan as `check_plan` judges it (two or more variations with unique slug keys, weights above 0 summing to
    1, the primary metric an INPUT metric of the registry, guardrails and secondary metrics in the registry, a
    ratio's denominator, no CUPED on a ratio, mde > 0, alpha and power in (0, 1), an end date for an end-date stop
    rule, the planned sample size from the power calculation when 0 and a baseline is given, else > 0). Raises
    RuleViolation naming the field (`plan.variations[1].weight`), NotFound (team, owner, service),
    PermissionDenied, Conflict (the key is taken). Bad input writes nothing."""
    org_services.require_signed_in(actor)
    team = _team(actor, team_id)
    if not _policy.can(actor, "edit", team_id=team.id, owner_id=owner_id if isinstance(owner_id, int) else 0):
        raise PermissionDenied(f"only a member or the leader of {team.name} (or an admin) defines its experiments")
    if not _plans.is_slug(key):
        raise RuleViolation(f"the key is {KEY_WORDS}", field="key")
    name = clean_text(name, "name", MAX_NAME)
    hypothesis = clean_text(hypothesis, "hypothesis", MAX_TEXT)
    owner = _owner(actor, team, owner_id)
    service = _service(actor, team, service_id)
    if not isinstance(high_impact, bool):
        raise RuleViolation("high_impact is true or false", field="high_impact")
    if hash_version not in HASH_VERSIONS or isinstance(hash_version, bool):
        raise RuleViolation("the hash version is 1 or 2", field="hash_version")
    connection = clean_text(connection, "connection", 80)
    plan, primary_id = check_plan(actor=actor, plan=plan)
    if ExperimentRow.objects.filter(key=key).exists():
        raise Conflict(f"an experiment with the key {key!r} already exists", field="key")
    now = clock.now()
    try:
        with transaction.atomic():
            row = ExperimentRow.objects.create(
                key=key,
                name=name,
                hypothesis=hypothesis,
                team_id=team.id,
                owner_id=owner.id,
                service_id=service.id if service else None,
                primary_metric_id=primary_id,
                state=MACHINE.initial,
                high_impact=high_impact,
                hash_version=hash_version,
                connection=connection,
                plan_number=1,
                created_by_id=actor.person_id,
            )
            PlanVersionRow.objects.create(
                experiment=row,
                number=1,
                content=_plans.plan_to_dict(plan),
                created_by_id=actor.person_id,
                created_at=now,
            )
            view = _to_view(row, plan)
            _audit(actor, "define", row, after=_audit_view(view))
    except IntegrityError:
        raise Conflict(f"an experiment with the key {key!r} already exists", field="key") from None
    return view


def edit_experiment(*, actor: Actor, key: str, version: int, changes: ExperimentChanges) -> ExperimentView:
    """Change a draft (MECHANISMS.md §9): its name, hypothesis, service, high impact and plan (the plan rewrites
    version 1 in place while a draft, judged by `check_plan`). After start the plan is frozen: an edit of it is
    refused naming `plan` (file a plan revision with a reason, `revise_plan`); any other edit names `state`. The
    team (member, leader) or an admin; a stale version is a Conflict. Raises RuleViolation naming the field,
    NotFound, PermissionDenied, Conflict."""
    row = _require(actor, key)
    _require_write(actor, row)
    if row.state != ExperimentState.DRAFT.value:
        if changes.plan is not None:
            since = row.started_at.date().isoformat() if row.started_at else "the start"
            raise RuleViolation(f"the plan is frozen since {since}; file a plan revision with a reason", field="plan")
        raise RuleViolation(f"experiment {row.key} is {row.state}: only a draft is edited", field="state")
    _check_version(row, version)
    values: dict[str, Any] = {}
    if changes.name is not None:
        values["name"] = clean_text(changes.name, "name", MAX_NAME)
    if changes.hypothesis is not None:
        values["hypothesis"] = clean_text(changes.hypothesis, "hypothesis", MAX_TEXT)
    if changes.service_id is not None:
        values["service_id"] = _service(actor, _team(actor, row.team_id), changes.service_id).id
    if changes.high_impact is not None:
        if not isinstance(changes.high_impact, bool):
            raise RuleViolation("high_impact is true or false", field="high_impact")
        values["high_impact"] = changes.high_impact
    current = _current_plan(row)
    plan = current
    if changes.plan is not None:
        plan, values["primary_metric_id"] = check_plan(actor=actor, plan=changes.plan)
    changed = {k: v for k, v in values.items() if getattr(row, k) != v}
    plan_changed = plan != current
    if not changed and not plan_changed:
        return _to_view(row, current)
    before = _audit_view(_to_view(row, current))
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=changed, noun="experiment", refresh=False)
        if plan_changed:
            PlanVersionRow.objects.filter(experiment=row, number=1).update(
                content=_plans.plan_to_dict(plan), created_by_id=actor.person_id, created_at=clock.now()
            )
        view = _to_view(row, plan)
        _audit(actor, "edit", row, before=before, after=_audit_view(view))
    return view


def revise_plan(*, actor: Actor, key: str, version: int, plan: Plan, reason: str) -> ExperimentView:
    """File a reasoned plan version after start (MECHANISMS.md §9): the first stays beside it, and the results
    show both. Only after start and before the decision (running, stopped, in review); a reason is required; the
    variations and weights, the primary metric, the engine and the difference never change (that is a new
    experiment: refused naming `plan.<field>`); the assignment hash is the experiment's and never changes either.
    The new version is judged by `check_plan` and must change something. The team or an admin; a stale version
    is a Conflict. Raises RuleViolation naming the field, NotFound, PermissionDenied, Conflict."""
    row = _require(actor, key)
    _require_write(actor, row)
    if row.state == ExperimentState.DRAFT.value:
        raise RuleViolation("a draft's plan is edited in place; a revision is filed after start", field="state")
    if row.state not in REVISABLE:
        raise RuleViolation(f"experiment {row.key} is {row.state}: its plan no longer changes", field="state")
    _check_version(row, version)
    reason = clean_text(reason, "reason", MAX_TEXT)
    current = _current_plan(row)
    if not isinstance(plan, Plan):
        raise RuleViolation("the revision is a whole plan", field="plan")
    for name in _plans.FROZEN_AFTER_START:
        if getattr(plan, name) != getattr(current, name):
            raise RuleViolation(
                f"the plan's {name} never changes after start: that is a new experiment", field=f"plan.{name}"
            )
    plan, _ = check_plan(actor=actor, plan=plan)
    changed = _plans.changed_fields(current, plan)
    if not changed:
        raise RuleViolation("the revision changes nothing in the plan", field="plan")
    before = _audit_view(_to_view(row, current))
    number = row.plan_number + 1
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes={"plan_number": number}, refresh=False)
        PlanVersionRow.objects.create(
            experiment=row,
            number=number,
            content=_plans.plan_to_dict(plan),
            reason=reason,
            after_start=True,
            changed=list(changed),
            created_by_id=actor.person_id,
            created_at=clock.now(),
        )
        view = _to_view(row, plan)
        _audit(actor, "revise_plan", row, before=before, after=_audit_view(view), reason=reason)
    return view


def check_plan(*, actor: Actor, plan: Plan) -> tuple[Plan, int]:
    """Judge a plan against its own rules (plans.check_shape) and the metric registry: the primary metric an INPUT
    metric (an output metric is refused naming `plan.primary.metric`), every guardrail, secondary and denominator a
    registry metric not retired; then the planned sample size: the power calculation's (rules.sample_size) when 0
    and the baseline mean is given, else it must be given (> 0). Returns the plan (with its sample size) and the
    primary metric's id. Raises RuleViolation naming the field."""
    if not isinstance(plan, Plan):
        raise RuleViolation("the plan is a Plan", field="plan")
    _plans.check_shape(plan)
    primary = _metric(actor, plan.primary.metric, "plan.primary.metric")
    if primary.kind is not MetricKind.INPUT:
        raise RuleViolation(
            f"{primary.name} is an {primary.kind.value} metric: an experiment's primary metric is an input metric "
            "(one the team's work moves)",
            field="plan.primary.metric",
        )
    specs = [("primary", plan.primary)]
    specs += [(f"guardrails[{i}]", s) for i, s in enumerate(plan.guardrails)]
    specs += [(f"secondary[{i}]", s) for i, s in enumerate(plan.secondary)]
    for where, spec in specs:
        if where != "primary":
            _metric(actor, spec.metric, f"plan.{where}.metric")
        if spec.denominator:
            _metric(actor, spec.denominator, f"plan.{where}.denominator")
    if plan.planned_sample_size == 0:
        if plan.baseline_mean is None:
            raise RuleViolation(
                "give the planned sample size, or the primary metric's baseline mean (and stddev, for a mean) for "
                "the power calculation",
                field="plan.planned_sample_size",
            )
        plan = _with_sample_size(plan)
    return plan, primary.id


def _with_sample_size(plan: Plan) -> Plan:
    from dataclasses import replace

    try:
        size = rules.sample_size(
            statistic=plan.primary.statistic,
            baseline_mean=plan.baseline_mean,
            baseline_stddev=plan.baseline_stddev,
            mde=plan.mde,
            alpha=plan.alpha,
            power=plan.power,
            weights=[v.weight for v in plan.variations],
        )
    except ValueError as exc:  # rules.InvalidStats names the field of the calculation
        field = getattr(exc, "field", None) or "baseline_mean"
        raise RuleViolation(f"the power calculation cannot run: {exc}", field=f"plan.{field}") from None
    if not isinstance(size, int) or size <= 0 or size > _plans.MAX_SAMPLE:
        raise RuleViolation(
            f"the power calculation asks for {size} units: give the planned sample size",
            field="plan.planned_sample_size",
        )
    return replace(plan, planned_sample_size=size)


def get_experiment(*, actor: Actor, key: str) -> ExperimentView:
    """One experiment by key, with its current plan. Every signed-in person reads it. Raises NotFound,
    PermissionDenied (not signed in)."""
    row = _require(actor, key)
    return _to_view(row, _current_plan(row))


def find_experiment(*, actor: Actor, key: str) -> ExperimentView | None:
    """One experiment by key, or None."""
    row = _experiments(actor).filter(key=key).first() if isinstance(key, str) else None
    return _to_view(row, _current_plan(row)) if row is not None else None


def list_experiments(
    *,
    actor: Actor,
    state: ExperimentState | str | None = None,
    team_id: int | None = None,
    service_id: int | None = None,
    metric: str | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[ExperimentView]:
    """Experiments by state, team, service, primary metric (a registry name) and text (key, name, hypothesis),
    newest first. Paginated with the hard maximum. Raises RuleViolation naming a bad filter."""
    qs = _experiments(actor)
    if state:
        try:
            qs = qs.filter(state=ExperimentState(state).value)
        except ValueError:
            allowed = ", ".join(s.value for s in ExperimentState)
            raise RuleViolation(f"state must be one of {allowed}", field="state") from None
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    if metric:
        found = metrics_services.find_metric(actor=actor, name=metric)
        qs = qs.filter(primary_metric_id=found.id) if found is not None else qs.none()
    if text:
        words = clean_text(text, "text", 500)
        qs = qs.filter(Q(key__icontains=words) | Q(name__icontains=words) | Q(hypothesis__icontains=words))
    page = paginate(qs.order_by("-created_at", "-id"), limit=limit, offset=offset, convert=lambda r: r)
    return Page(items=_to_views(list(page.items)), total=page.total, limit=page.limit, offset=page.offset)


def list_plan_versions(
    *, actor: Actor, key: str, limit: int | None = None, offset: int | None = None
) -> Page[PlanVersionView]:
    """An experiment's plan versions, the first (pre-registered) first; the ones written after start carry their
    reason and the fields they changed. Paginated. Raises NotFound."""
    row = _require(actor, key)
    qs = PlanVersionRow.objects.filter(experiment=row).order_by("number")
    page = paginate(qs, limit=limit, offset=offset, convert=lambda r: r)
    names = _people_names(r.created_by_id for r in page.items)
    items = [_to_plan_version(r, names) for r in page.items]
    return Page(items=items, total=page.total, limit=page.limit, offset=page.offset)


def get_plan_version(*, actor: Actor, key: str, number: int) -> PlanVersionView:
    """One plan version. Raises NotFound."""
    row = _require(actor, key)
    version = PlanVersionRow.objects.filter(experiment=row, number=number).first() if isinstance(number, int) else None
    if version is None:
        raise NotFound(f"experiment {row.key} has no plan version {number}", field="number")
    return _to_plan_version(version, _people_names([version.created_by_id]))


def apply_transition(*, actor: Actor, key: str, name: str, version: int, values: Mapping[str, Any]) -> ExperimentView:
    """Take one move of the experiment machine (machines.py) in kernel/machine_apply.py's order: the version read
    (409), the state and guard (400: a plan not ready to start, a decision before the final analysis), the party
    (403: the team starts, stops and cancels; the owner alone decides or asks for a review; the product concludes
    and reopens), the input and its rule (400 naming the field: a decision that needs a bar-raiser review), the
    effect (start sets started_at; stop sets stopped_at, the reason and whether the stop was early: fewer units
    exposed than planned, or before the planned end; decide sets the decision, variation, rationale, who and
    when), the compare-and-set, the audit record and the notices to the team and the owner. The API, CLI and
    pages call this."""
    row = _require(actor, key)
    return machine_apply.apply(_BINDING, actor=actor, row=row, version=version, name=name, raw=values)


def experiment_moves(*, actor: Actor, key: str) -> tuple[str, ...]:
    """The transitions this viewer may take now (exactly what the apply lets through before reading input)."""
    row = _require(actor, key)
    ctx = _Context(actor, row)
    return kernel_machines.available(MACHINE, ctx.facts, _parties(ctx))


def plan_facts(*, actor: Actor, key: str) -> ExperimentFacts:
    """What the machine's guards judge for this experiment now (machines.ExperimentFacts): the plan's problem
    (why it may not start), the variation keys, the recommendation and the standing review reasons."""
    row = _require(actor, key)
    return _Context(actor, row).facts


def may_write(*, actor: Actor, key: str) -> bool:
    """May this viewer edit the draft or file a plan revision (the team, or an admin)?"""
    row = _require(actor, key)
    return _policy.can(actor, "edit", team_id=row.team_id, owner_id=row.owner_id)


# the registry: the machine's binding


def _decision_facts(row: ExperimentRow) -> dict[str, Any]:
    """The analysis part's hook (x-analysis fills it): ExperimentFacts' fields read from the latest final
    analysis: `recommended` and `recommended_variation` (the engine's recommendation), `standing_review_reasons`
    (the SRM check fired, a guardrail failed) and `has_final_analysis`. Until it does, {}: no recommendation, no
    final analysis (so `decide` and `ask_review` are refused until an analysis exists)."""
    return {}


class _Context:
    """What one transition reads, once: the current plan, the units exposed (for an early stop), the facts."""

    def __init__(self, actor: Actor, row: ExperimentRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now, self.today = clock.now(), clock.today()
        self.plan = _current_plan(row)
        self._facts: ExperimentFacts | None = None
        self._exposed: int | None = None

    @property
    def exposed(self) -> int:
        if self._exposed is None:
            self._exposed = ExposureRow.objects.filter(experiment_id=self.row.pk).count()
        return self._exposed

    @property
    def facts(self) -> ExperimentFacts:
        if self._facts is None:
            self._facts = _facts(self)
        return self._facts


def _facts(ctx: _Context) -> ExperimentFacts:
    row = ctx.row
    problem = None
    if row.state == ExperimentState.DRAFT.value:
        try:
            check_plan(actor=_SYSTEM, plan=ctx.plan)
        except RuleViolation as exc:
            problem = f"{exc.message} ({exc.field})" if exc.field else exc.message
    hooked = dict(_decision_facts(row))
    standing = []
    if row.high_impact:
        standing.append("the experiment is high impact")
    if row.stopped_early:
        standing.append("the experiment stopped early")
    standing += [r for r in hooked.pop("standing_review_reasons", ()) if r not in standing]
    return ExperimentFacts(
        state=row.state,
        plan_problem=problem,
        variation_keys=tuple(v.key for v in ctx.plan.variations),
        standing_review_reasons=tuple(standing),
        **hooked,
    )


def _parties(ctx: _Context) -> frozenset[str]:
    return _policy.parties(ctx.actor, team_id=ctx.row.team_id, owner_id=ctx.row.owner_id)


def _record(step: machine_apply.Step) -> ExperimentView:
    ctx: _Context = step.context
    row = ctx.row
    view = _to_view(row, ctx.plan)
    _audit(ctx.actor, step.transition.name, row, before=step.before, after=_audit_view(view), reason=step.note)
    words = step.transition.words_for(step.transition.notice, step.to_state) or step.transition.name
    recipients = {row.owner_id} | {p.id for p in org_services.team_members(actor=_SYSTEM, team_id=row.team_id)}
    team = org_services.get_teams(actor=_SYSTEM, ids=[row.team_id]).get(row.team_id)
    if team is not None and team.leader_id:
        recipients.add(team.leader_id)
    recipients.discard(ctx.actor.person_id)
    if recipients:
        notifications_services.notify(
            actor=ctx.actor,
            recipients=sorted(recipients),
            kind=KIND_TRANSITION,
            title=f"Experiment {words}: {row.name}"[:200],
            body=step.note[:2000],
            url=f"/experiments/{row.key}",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
        )
    return view


_BINDING = machine_apply.Binding(
    machine=MACHINE,
    load=_Context,
    facts=lambda ctx: ctx.facts,
    parties=_parties,
    snapshot=lambda ctx: _audit_view(_to_view(ctx.row, ctx.plan)),
    record=_record,
)


# the registry: private helpers


def _experiments(actor: Actor):
    return _policy.visible_to(actor, ExperimentRow.objects.all())


def _require(actor: Actor, key: Any) -> ExperimentRow:
    row = _experiments(actor).filter(key=key).first() if isinstance(key, str) else None
    if row is None:
        raise NotFound(f"experiment {key} does not exist", field="key")
    return row


def _require_write(actor: Actor, row: ExperimentRow) -> None:
    if not _policy.can(actor, "edit", team_id=row.team_id, owner_id=row.owner_id):
        raise PermissionDenied("only a member or the leader of the experiment's team (or an admin) changes it")


def _check_version(row: ExperimentRow, version: Any) -> None:
    if row.version != version:
        raise Conflict(
            f"experiment {row.key} was changed by someone else (you read version {version}, it is now "
            f"{row.version}); reload and try again",
            field="version",
            details={"field": "version", "expected": version, "current": row.version},
        )


def _team(actor: Actor, team_id: Any):
    if not isinstance(team_id, int) or isinstance(team_id, bool):
        raise RuleViolation("team_id is a team's id", field="team_id")
    team = org_services.get_teams(actor=actor, ids=[team_id]).get(team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist", field="team_id")
    return team


def _owner(actor: Actor, team: Any, owner_id: Any):
    if not isinstance(owner_id, int) or isinstance(owner_id, bool):
        raise RuleViolation("owner_id is a person's id", field="owner_id")
    person = org_services.get_people(actor=actor, ids=[owner_id]).get(owner_id)
    if person is None:
        raise NotFound(f"person {owner_id} does not exist", field="owner_id")
    members = {p.id for p in org_services.team_members(actor=actor, team_id=team.id)}
    if person.id not in members and person.id != team.leader_id:
        raise RuleViolation(f"{person.name} is not in {team.name}: the owner is one of the team", field="owner_id")
    return person


def _service(actor: Actor, team: Any, service_id: Any):
    """The service, owned by the experiment's team: a team experiments on what it owns (a change to another team's
    service goes through that team)."""
    if service_id is None:
        return None
    if not isinstance(service_id, int) or isinstance(service_id, bool):
        raise RuleViolation("service_id is a service's id", field="service_id")
    service = catalog_services.get_services(actor=actor, ids=[service_id]).get(service_id)
    if service is None:
        raise NotFound(f"service {service_id} does not exist", field="service_id")
    if service.owner_team_id != team.id:
        raise RuleViolation(
            f"{service.display_name} is not owned by {team.name}: a team experiments on its own services",
            field="service_id",
        )
    return service


def _metric(actor: Actor, name: str, field: str):
    found = metrics_services.find_metric(actor=actor, name=name)
    if found is None:
        raise RuleViolation(f"no metric of the registry is named {name!r}", field=field)
    if found.retired_on is not None:
        raise RuleViolation(f"metric {found.name} was retired on {found.retired_on}", field=field)
    return found


def _current_plan(row: ExperimentRow) -> Plan:
    content = (
        PlanVersionRow.objects.filter(experiment_id=row.pk, number=row.plan_number)
        .values_list("content", flat=True)
        .first()
    )
    return _plans.plan_from_dict(content)


def _people_names(ids) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    return {pid: p.name for pid, p in org_services.get_people(actor=_SYSTEM, ids=wanted).items()} if wanted else {}


def _to_views(rows: Sequence[ExperimentRow]) -> list[ExperimentView]:
    if not rows:
        return []
    contents = {
        (e, n): c
        for e, n, c in PlanVersionRow.objects.filter(experiment_id__in=[r.pk for r in rows]).values_list(
            "experiment_id", "number", "content"
        )
    }
    teams = org_services.get_teams(actor=_SYSTEM, ids={r.team_id for r in rows})
    people = _people_names(r.owner_id for r in rows)
    service_ids = {r.service_id for r in rows if r.service_id is not None}
    services = catalog_services.get_services(actor=_SYSTEM, ids=service_ids) if service_ids else {}
    return [_view(r, _plans.plan_from_dict(contents[(r.pk, r.plan_number)]), teams, people, services) for r in rows]


def _to_view(row: ExperimentRow, plan: Plan) -> ExperimentView:
    teams = org_services.get_teams(actor=_SYSTEM, ids=[row.team_id])
    services = catalog_services.get_services(actor=_SYSTEM, ids=[row.service_id]) if row.service_id else {}
    return _view(row, plan, teams, _people_names([row.owner_id]), services)


def _view(row: ExperimentRow, plan: Plan, teams, people, services) -> ExperimentView:
    team = teams.get(row.team_id)
    service = services.get(row.service_id) if row.service_id else None
    return ExperimentView(
        id=ExperimentId(row.pk),
        key=row.key,
        name=row.name,
        hypothesis=row.hypothesis,
        team_id=row.team_id,
        team_name=team.name if team else "",
        owner_id=row.owner_id,
        owner_name=people.get(row.owner_id, ""),
        service_id=row.service_id,
        service_name=service.display_name if service else None,
        state=ExperimentState(row.state),
        high_impact=row.high_impact,
        hash_version=row.hash_version,
        connection=row.connection,
        plan=plan,
        plan_number=row.plan_number,
        started_at=row.started_at,
        stopped_at=row.stopped_at,
        stop_reason=row.stop_reason,
        stopped_early=row.stopped_early,
        decision=Decision(row.decision) if row.decision else None,
        decision_variation=row.decision_variation or None,
        decision_rationale=row.decision_rationale,
        decided_by_id=row.decided_by_id,
        decided_at=row.decided_at,
        review_reasons=tuple(row.review_reasons or ()),
        created_at=row.created_at,
        version=row.version,
    )


def _to_plan_version(row: PlanVersionRow, names: Mapping[int, str]) -> PlanVersionView:
    return PlanVersionView(
        number=row.number,
        plan=_plans.plan_from_dict(row.content),
        reason=row.reason,
        after_start=row.after_start,
        created_by_id=row.created_by_id,
        created_by_name=names.get(row.created_by_id, "") if row.created_by_id else "the product",
        created_at=row.created_at,
        changed=tuple(row.changed or ()),
    )


def _audit_view(view: ExperimentView) -> dict[str, Any]:
    return {
        "key": view.key,
        "name": view.name,
        "hypothesis": view.hypothesis,
        "team_id": view.team_id,
        "owner_id": view.owner_id,
        "service_id": view.service_id,
        "state": view.state.value,
        "high_impact": view.high_impact,
        "hash_version": view.hash_version,
        "connection": view.connection,
        "plan_number": view.plan_number,
        "plan": _plans.plan_to_dict(view.plan),
        "stop_reason": view.stop_reason,
        "stopped_early": view.stopped_early,
        "decision": view.decision.value if view.decision else None,
        "decision_variation": view.decision_variation,
        "decision_rationale": view.decision_rationale,
        "review_reasons": list(view.review_reasons),
        "version": view.version,
    }


def _audit(actor: Actor, verb: str, row: ExperimentRow, *, after: Any, before: Any = None, reason: str = "") -> None:
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type=SUBJECT_TYPE,
        subject_id=row.pk,
        subject_label=f"experiment {row.key}: {row.name}"[:200],
        before=before,
        after=after,
        reason=reason,
    )


# ------------------------------------------------------------------------ second part: assignment and exposures
#
# Assignment serves the pure function (assignment.py) with the experiment's key as the seed, its plan's weights and
# its hash version. It is read on every request of the services that embed an experiment, so it is one indexed read
# of the experiment's row; the plan's bucket ranges are kept per process by (experiment, row version), so a change
# of the row (a new plan version, a stop) is never served stale. No audit record per assignment (it writes
# nothing); exposures are data, written in bulk with one audit record per call.

MAX_ASSIGNMENTS = 1000  # (unit, experiment) answers in one batch call
MAX_ASSIGN_EXPERIMENTS = 100  # experiments named in one batch call
MAX_EXPOSURES = 10_000  # exposures in one call
EXPOSURE_CLOCK_SKEW = dt.timedelta(minutes=5)  # an exposure may be this far after the server's now (callers' clocks)
MAX_EXPOSURE_DAYS = 1000  # the longest daily exposure series (the most recent days)
_ARMS_CACHE_SIZE = 512
_log = logging.getLogger("mechanisms.experiments")


@dataclass(frozen=True, slots=True)
class _Arms:
    """What assignment needs of an experiment, read once per row version."""

    key: str
    state: str
    hash_version: int
    variation_keys: tuple[str, ...]
    ranges: tuple[tuple[float, float], ...]
    shipped: int | None  # the index of the variation a decision to ship launched


_ARMS: dict[tuple[int, int, dt.datetime], _Arms] = {}
_ARM_COLUMNS = (
    "pk",
    "version",
    "created_at",
    "key",
    "state",
    "hash_version",
    "plan_number",
    "decision",
    "decision_variation",
)


def forget_assignment_cache() -> None:
    """Empty this process's cache of experiments' bucket ranges. A row's (id, version, created_at) never comes back
    in a live database, so the server never needs this; tests (whose rolled-back ids are reused) and a process that
    empties its database do."""
    _ARMS.clear()


def _arms_of(values: tuple) -> _Arms:
    pk, version, created_at, key, state, hash_version, plan_number, decision, decision_variation = values
    found = _ARMS.get((pk, version, created_at))
    if found is not None:
        return found
    content = (
        PlanVersionRow.objects.filter(experiment_id=pk, number=plan_number).values_list("content", flat=True).first()
    )
    variations = _plans.plan_from_dict(content).variations
    keys = tuple(v.key for v in variations)
    shipped = (
        keys.index(decision_variation)
        if decision == Decision.SHIP.value and decision_variation in keys and state == ExperimentState.DECIDED.value
        else None
    )
    found = _Arms(
        key=key,
        state=state,
        hash_version=hash_version,
        variation_keys=keys,
        ranges=tuple(_assignment.ranges([v.weight for v in variations])),
        shipped=shipped,
    )
    if len(_ARMS) >= _ARMS_CACHE_SIZE:
        _ARMS.clear()
    _ARMS[(pk, version, created_at)] = found
    return found


def _arms_by_key(keys: Sequence[str], *, field: str) -> dict[str, tuple[int, _Arms]]:
    """Each experiment's assignment facts by key (one read for all); an unknown key is NotFound naming its place."""
    for i, key in enumerate(keys):
        if not isinstance(key, str) or not key or len(key) > 80:
            raise RuleViolation("an experiment key is a slug of at most 80 characters", field=f"{field}[{i}]")
    rows = ExperimentRow.objects.filter(key__in=set(keys)).order_by().values_list(*_ARM_COLUMNS)
    found = {values[3]: (values[0], _arms_of(values)) for values in rows}
    for i, key in enumerate(keys):
        if key not in found:
            raise NotFound(f"experiment {key} does not exist", field=f"{field}[{i}]")
    return found


def _assignment_of(arms: _Arms, unit_id: str) -> Assignment:
    if arms.state == ExperimentState.RUNNING.value:
        index, value = _assignment.assign_in(arms.key, unit_id, arms.ranges, arms.hash_version)
        return Assignment(arms.key, unit_id, arms.variation_keys[index], index, arms.hash_version, value)
    index = arms.shipped
    return Assignment(
        arms.key, unit_id, None if index is None else arms.variation_keys[index], index, arms.hash_version, None
    )


def _check_unit(unit_id: Any, field: str) -> str:
    problem = _assignment.unit_problem(unit_id)
    if problem:
        raise RuleViolation(f"a unit id {problem}", field=field)
    return unit_id


def assign_unit(*, actor: Actor, key: str, unit_id: str) -> Assignment:
    """Which variation of experiment `key` this unit sees (MECHANISMS.md §9: deterministic assignment): while the
    experiment runs, GrowthBook's hash of (key, unit id) with the experiment's hash version, in the plan's weighted
    buckets (`bucket` and `hash_version` in the answer). Before it starts and after it stops no unit is assigned
    (`variation` None: show the control's experience), except after a decision to ship, when every unit gets the
    shipped variation (`bucket` None: it is no longer hashed). Writes nothing. Open to any signed-in caller.
    Raises PermissionDenied (not signed in), NotFound (no such experiment), RuleViolation naming `unit_id`."""
    org_services.require_signed_in(actor)
    unit_id = _check_unit(unit_id, "unit_id")
    if not isinstance(key, str) or not key or len(key) > 80:
        raise NotFound(f"experiment {str(key)[:80]} does not exist", field="key")
    values = ExperimentRow.objects.filter(key=key).order_by().values_list(*_ARM_COLUMNS).first()
    if values is None:
        raise NotFound(f"experiment {key} does not exist", field="key")
    return _assignment_of(_arms_of(values), unit_id)


def assign_units(*, actor: Actor, keys: Sequence[str], unit_ids: Sequence[str]) -> list[Assignment]:
    """Every unit's variation in every experiment named (the batch door): the same answer `assign_unit` gives each
    pair, in order, experiment by experiment, then unit by unit. At most MAX_ASSIGN_EXPERIMENTS experiments and
    MAX_ASSIGNMENTS answers (units x experiments) per call. Writes nothing. Raises PermissionDenied, NotFound naming
    `experiments[i]`, RuleViolation naming `experiments`, `units` or `units[i]`."""
    org_services.require_signed_in(actor)
    if not isinstance(keys, list | tuple) or not keys:
        raise RuleViolation("name at least one experiment", field="experiments")
    if not isinstance(unit_ids, list | tuple) or not unit_ids:
        raise RuleViolation("name at least one unit", field="units")
    if len(keys) > MAX_ASSIGN_EXPERIMENTS:
        raise RuleViolation(f"name at most {MAX_ASSIGN_EXPERIMENTS} experiments at once", field="experiments")
    if len(keys) * len(unit_ids) > MAX_ASSIGNMENTS:
        raise RuleViolation(
            f"ask for at most {MAX_ASSIGNMENTS} assignments at once (units x experiments: "
            f"{len(unit_ids)} x {len(keys)})",
            field="units",
        )
    for i, unit_id in enumerate(unit_ids):
        _check_unit(unit_id, f"units[{i}]")
    found = _arms_by_key(keys, field="experiments")
    return [_assignment_of(found[key][1], unit_id) for key in keys for unit_id in unit_ids]


def record_exposures(*, actor: Actor, key: str, exposures: Sequence[Exposure]) -> ExposureReport:
    """Record units' first exposures to a running experiment, in bulk (MECHANISMS.md §9). Each exposure's variation
    is recomputed from the hash (the experiment's hash version is kept with each row, so a re-analysis and the SRM's
    expected split are exact); a caller's `variation` (a variation key) that disagrees with it is refused. A unit
    already exposed keeps its first exposure (`repeated`; a unit twice in one call keeps its earliest). `at` (default
    now) is timezone-aware, not before the experiment started and not more than EXPOSURE_CLOCK_SKEW in the future.
    Only while the experiment runs; at most MAX_EXPOSURES per call; unit ids 1-200 printable characters. All or
    nothing; one audit record per call with its counts. Open to any signed-in caller (a service's token).
    Raises PermissionDenied, NotFound, RuleViolation naming `state`, `exposures` or `exposures[i].<field>`."""
    row = _require(actor, key)
    if not _policy.can(actor, "expose", team_id=row.team_id, owner_id=row.owner_id):
        raise PermissionDenied("sign in to record exposures")
    if row.state != ExperimentState.RUNNING.value:
        raise RuleViolation(f"exposures are recorded only while the experiment runs (it is {row.state})", field="state")
    if not isinstance(exposures, list | tuple) or not exposures:
        raise RuleViolation("record at least one exposure", field="exposures")
    if len(exposures) > MAX_EXPOSURES:
        raise RuleViolation(f"record at most {MAX_EXPOSURES} exposures at once", field="exposures")
    arms = _arms_of(tuple(getattr(row, c) for c in _ARM_COLUMNS))
    now = clock.now()
    latest = now + EXPOSURE_CLOCK_SKEW
    first: dict[str, tuple[dt.datetime, int]] = {}
    for i, exposure in enumerate(exposures):
        where = f"exposures[{i}]"
        if not isinstance(exposure, Exposure):
            raise RuleViolation("an exposure has a unit_id, and optionally at and variation", field=where)
        unit_id = _check_unit(exposure.unit_id, f"{where}.unit_id")
        at = now if exposure.at is None else exposure.at
        if not isinstance(at, dt.datetime) or at.tzinfo is None or at.utcoffset() is None:
            raise RuleViolation("at is a date and time with its time zone (ISO 8601)", field=f"{where}.at")
        if row.started_at is not None and at < row.started_at:
            raise RuleViolation(
                f"at {at.isoformat()} is before the experiment started ({row.started_at.isoformat()})",
                field=f"{where}.at",
            )
        if at > latest:
            raise RuleViolation(f"at {at.isoformat()} is in the future", field=f"{where}.at")
        index, _ = _assignment.assign_in(arms.key, unit_id, arms.ranges, arms.hash_version)
        if exposure.variation is not None and exposure.variation != arms.variation_keys[index]:
            raise RuleViolation(
                f"unit {unit_id} is assigned {arms.variation_keys[index]}, not {str(exposure.variation)[:80]}",
                field=f"{where}.variation",
            )
        kept = first.get(unit_id)
        if kept is None or at < kept[0]:
            first[unit_id] = (at, index)
    units = list(first)
    with transaction.atomic():
        # Read the state again under the row's lock: a stop that lands meanwhile is not followed by exposures.
        state = ExperimentRow.objects.select_for_update().filter(pk=row.pk).values_list("state", flat=True).first()
        if state != ExperimentState.RUNNING.value:
            raise RuleViolation(f"exposures are recorded only while the experiment runs (it is {state})", field="state")
        existing: set[str] = set()
        for chunk in chunks(units, 500):
            existing.update(
                ExposureRow.objects.filter(experiment_id=row.pk, unit_id__in=chunk).values_list("unit_id", flat=True)
            )
        new = [
            ExposureRow(
                experiment_id=row.pk,
                unit_id=unit_id,
                variation=index,
                hash_version=arms.hash_version,
                exposed_at=at,
            )
            for unit_id, (at, index) in first.items()
            if unit_id not in existing
        ]
        ExposureRow.objects.bulk_create(new, batch_size=1000, ignore_conflicts=True)
        report = ExposureReport(recorded=len(new), repeated=len(exposures) - len(new))
        per = [0] * len(arms.variation_keys)
        for item in new:
            per[item.variation] += 1
        audit_services.record_change(
            actor=actor,
            verb="record_exposures",
            subject_type=SUBJECT_TYPE,
            subject_id=row.pk,
            subject_label=row.name,
            after={
                "received": len(exposures),
                "recorded": report.recorded,
                "repeated": report.repeated,
                "per_variation": dict(zip(arms.variation_keys, per, strict=True)),
                "hash_version": arms.hash_version,
            },
        )
    return report


def exposure_counts(*, actor: Actor, key: str) -> tuple[int, ...]:
    """The units exposed per variation of the current plan, the control first (what the SRM check compares with
    the weights). Open to every signed-in person. Raises PermissionDenied, NotFound."""
    row = _require(actor, key)
    return _exposure_counts(row.pk, len(_current_plan(row).variations))


def _exposure_counts(pk: int, arms: int) -> tuple[int, ...]:
    counts = dict(
        ExposureRow.objects.filter(experiment_id=pk)
        .order_by()
        .values_list("variation")
        .annotate(n=Count("id"))
        .values_list("variation", "n")
    )
    return tuple(counts.get(i, 0) for i in range(arms))


def exposure_series(*, actor: Actor, key: str) -> list[tuple[dt.date, tuple[int, ...]]]:
    """The units first exposed each day (in the product's time zone), per variation, the control first: every day
    from the first exposure to the last, days without one as zeros (the results page cumulates them for its
    chart), at most the MAX_EXPOSURE_DAYS most recent days. Open to every signed-in person. Raises
    PermissionDenied, NotFound."""
    row = _require(actor, key)
    return _exposure_series(row.pk, len(_current_plan(row).variations))


def _exposure_series(pk: int, arms: int) -> list[tuple[dt.date, tuple[int, ...]]]:
    per_day: dict[dt.date, list[int]] = {}
    rows = (
        ExposureRow.objects.filter(experiment_id=pk)
        .order_by()
        .annotate(day=TruncDate("exposed_at"))
        .values_list("day", "variation")
        .annotate(n=Count("id"))
        .values_list("day", "variation", "n")
    )
    for day, variation, n in rows:
        if variation < arms:
            per_day.setdefault(day, [0] * arms)[variation] += n
    if not per_day:
        return []
    last = max(per_day)
    day = max(min(per_day), last - dt.timedelta(days=MAX_EXPOSURE_DAYS - 1))
    series = []
    while day <= last:
        series.append((day, tuple(per_day.get(day, [0] * arms))))
        day += dt.timedelta(days=1)
    return series


def exposure_summary(*, actor: Actor, key: str) -> ExposureSummary:
    """The exposures as the results page and the API show them: the variation keys, `exposure_counts` and
    `exposure_series` together. Raises PermissionDenied, NotFound."""
    row = _require(actor, key)
    keys = tuple(v.key for v in _current_plan(row).variations)
    return ExposureSummary(
        variations=keys,
        counts=_exposure_counts(row.pk, len(keys)),
        series=tuple(_exposure_series(row.pk, len(keys))),
    )


def stop_due_experiments(*, actor: Actor) -> list[ExperimentView]:
    """The stop rule (the worker's job, as the product): stop each running experiment whose plan's rule is met,
    through the machine's `stop` with a reason naming the rule. The sample-size and sequential rules stop once the
    units exposed reach the planned sample size (the sequential rule's earlier stop, when its always-valid interval
    excludes zero, reads the analysis); any rule stops once the planned end date has passed (the planned end is
    the plan's hard end). An experiment another writer changed meanwhile is left for the next run. Returns the
    stopped experiments. Raises PermissionDenied unless the actor is the product."""
    if "product" not in _policy.parties(actor, team_id=0, owner_id=0):
        raise PermissionDenied("only the product applies the stop rule")
    today = clock.today()
    stopped = []
    rows = list(ExperimentRow.objects.filter(state=ExperimentState.RUNNING.value).order_by("id"))
    counts = dict(
        ExposureRow.objects.filter(experiment_id__in=[r.pk for r in rows])
        .order_by()
        .values_list("experiment_id")
        .annotate(n=Count("id"))
        .values_list("experiment_id", "n")
    )
    for row in rows:
        reason = _stop_reason(_current_plan(row), exposed=counts.get(row.pk, 0), today=today)
        if reason is None:
            continue
        try:
            stopped.append(
                apply_transition(actor=actor, key=row.key, name="stop", version=row.version, values={"reason": reason})
            )
        except (Conflict, RuleViolation) as exc:  # changed meanwhile (stopped by its team): the next run looks again
            _log.info("stop rule: %s left for the next run: %s", row.key, exc.message)
    return stopped


def _stop_reason(plan: Plan, *, exposed: int, today: dt.date) -> str | None:
    """Why the stop rule stops this experiment now, in words kept with the stop (None: not yet)."""
    if plan.planned_end is not None and today > plan.planned_end:
        return f"Stopped by the stop rule: the planned end date ({plan.planned_end.isoformat()}) has passed."
    if (
        plan.stop_rule in (StopRule.SAMPLE_SIZE, StopRule.SEQUENTIAL)
        and plan.planned_sample_size > 0
        and exposed >= plan.planned_sample_size
    ):
        return (
            f"Stopped by the stop rule: the planned sample size is reached ({exposed:,} units exposed of "
            f"{plan.planned_sample_size:,} planned)."
        )
    return None


# ----------------------------------------------------------------------------------------- third part: analysis

# ------------------------------------------------------------------------ fourth part: the decision and review
