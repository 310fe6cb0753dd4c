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
import enum
import functools
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import Recommendation as BarRaiserRecommendation
from mechanisms.bar_raisers.contracts import ReviewRecord as BarRaiserReview
from mechanisms.bar_raisers.contracts import ReviewState, Subject, SubjectKind
from mechanisms.catalog import services as catalog_services
from mechanisms.kernel import clock, importing, machine_apply
from mechanisms.kernel import machines as kernel_machines
from mechanisms.kernel import warehouse as _data
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.importing import chunks
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text
from mechanisms.metrics import services as metrics_services
from mechanisms.metrics.contracts import Kind as MetricKind
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import assignment as _assignment
from . import events as _events
from . import plans as _plans
from . import policy as _policy
from . import rules, snapshots
from . import warehouse as _warehouse
from .contracts import (
    ENGINE_VERSION,
    HASH_VERSIONS,
    SRM_THRESHOLD,
    AnalysisSettings,
    Assignment,
    Decision,
    EventsLoadReport,
    ExperimentChanges,
    ExperimentId,
    ExperimentState,
    ExperimentView,
    Exposure,
    ExposureReport,
    ExposureSummary,
    MetricSourceView,
    MetricSpec,
    MetricStats,
    Plan,
    PlanVersionView,
    Recommendation,
    SeriesPoint,
    SnapshotCheck,
    SnapshotView,
    StopRule,
)
from .history import SOURCE_SUBJECT_TYPE, SUBJECT_TYPE
from .machines import MACHINE, ExperimentFacts
from .models import Experiment as ExperimentRow
from .models import Exposure as ExposureRow
from .models import MetricSource as MetricSourceRow
from .models import PlanVersion as PlanVersionRow
from .models import Snapshot as SnapshotRow

logger = logging.getLogger(__name__)

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
    connection = _data_connection(connection)
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
    pages call this. A stop then takes the final analysis (analysis part: `_final_analysis_after_stop`, right
    after the stop's write; a data connection that refuses leaves the stop recorded and the decision waiting for
    `analyse_experiment`); ask_review requests the bar-raiser review in the same write."""
    row = _require(actor, key)
    if name == "ask_review":
        # The bar-raiser review is requested inside the same write: no bar raiser free, nothing changes.
        with transaction.atomic():
            view = machine_apply.apply(_BINDING, actor=actor, row=row, version=version, name=name, raw=values)
            _request_decision_review(actor, row)
        return view
    view = machine_apply.apply(_BINDING, actor=actor, row=row, version=version, name=name, raw=values)
    if name == "stop":
        _final_analysis_after_stop(actor, row)
    return view


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


# _decision_facts(row): the analysis part's facts for the machine (recommendation, standing review reasons, the
# final analysis), in the fourth part below.


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
    recipients = _experiment_people(row)
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


@functools.cache
def _arm_sql() -> str:
    meta, quote = ExperimentRow._meta, connection.ops.quote_name
    columns = ", ".join(quote(meta.pk.column if c == "pk" else meta.get_field(c).column) for c in _ARM_COLUMNS)
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {quote(meta.get_field('key').column)} = %s"


def _arm_values(key: str) -> tuple | None:
    """The experiment's _ARM_COLUMNS by key: the hot path's one indexed read, written by hand (building an ORM
    query costs more than running it on this path)."""
    with connection.cursor() as cursor:
        cursor.execute(_arm_sql(), [key])
        return cursor.fetchone()


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
    values = _arm_values(key)
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
    arms = _arms_of(_arm_values(row.key))
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


def _exposure_counts(pk: int, arms: int, *, through: dt.datetime | None = None) -> tuple[int, ...]:
    """Units exposed per variation, control first; with `through`, those exposed by then (the analysis's SRM)."""
    qs = ExposureRow.objects.filter(experiment_id=pk)
    if through is not None:
        qs = qs.filter(exposed_at__lte=through)
    counts = dict(qs.order_by().values_list("variation").annotate(n=Count("id")).values_list("variation", "n"))
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

KIND_SRM = "experiment.srm"  # an analysis flagged a sample-ratio mismatch
KIND_GUARDRAIL = "experiment.guardrail"  # an analysis found a guardrail failed
KIND_ANALYSIS_FAILED = "experiment.analysis_failed"  # the stop's final analysis was refused by the data connection
notifications_services.declare_kinds(kinds=[KIND_SRM, KIND_GUARDRAIL, KIND_ANALYSIS_FAILED])
ANALYSABLE = (ExperimentState.RUNNING.value, ExperimentState.STOPPED.value)


def analyse_experiment(
    *, actor: Actor, key: str, through: dt.datetime | None = None, final: bool | None = None
) -> SnapshotView:
    """Analyse a running or stopped experiment where its data lives and keep the analysis as an immutable, numbered
    snapshot (MECHANISMS.md §9; docs/experiments.md "Analysis"): the product's exposures are synced to the
    experiment's data connection, one query per metric of the plan (primary, guardrails, secondary) returns the
    per-variation sufficient statistics, rules.analyze computes every variation against the control with the plan's
    settings, the SRM check reads the exposures against the weights, the peeking warning marks a fixed-horizon
    read before the planned sample size, and rules.recommend reads the primary metric and the guardrails. The
    snapshot keeps the exact SQL, the statistics, the settings, the engine version, the results, the
    recommendation and the sha256 of them all; it is never updated. `through` (default: now, or the stop for a
    stopped experiment) is the data's end; `final` (default: the experiment is stopped) marks the analysis the
    decision reads. The owner and the team are told when it flags SRM or a failed guardrail.

    Who: a member or the leader of the experiment's team, an admin, or the product (the worker). Audited.
    Raises NotFound, PermissionDenied, RuleViolation (state: not running or stopped; through: in the future or
    before the start; final: the experiment still runs; a data connection that is busy or refuses the query)."""
    org_services.require_signed_in(actor)
    row = _require(actor, key)
    if not _policy.parties(actor, team_id=row.team_id, owner_id=row.owner_id) & {"team", "product"}:
        raise PermissionDenied("only the experiment's team analyses it", field="key")
    if row.state not in ANALYSABLE:
        raise RuleViolation(
            f"only a running or stopped experiment is analysed; {row.key} is {row.state}", field="state"
        )
    now = clock.now()
    stopped = row.state == ExperimentState.STOPPED.value
    if final is None:
        final = stopped
    if final and not stopped:
        raise RuleViolation("the final analysis is taken once the experiment has stopped", field="final")
    if through is None:
        through = row.stopped_at if stopped and row.stopped_at is not None else now
    elif timezone.is_naive(through):
        raise RuleViolation("through needs a time zone", field="through")
    if through > now:
        raise RuleViolation("the data's end cannot be in the future", field="through")
    if row.started_at is not None and through < row.started_at:
        raise RuleViolation("the data's end cannot be before the experiment started", field="through")
    return _take_snapshot(actor, row, through=through, final=bool(final))


def list_snapshots(
    *, actor: Actor, key: str, final: bool | None = None, limit: int | None = None, offset: int | None = None
) -> Page[SnapshotView]:
    """An experiment's analyses, newest first (open to every signed-in person). Raises NotFound, PermissionDenied."""
    row = _require(actor, key)
    qs = SnapshotRow.objects.filter(experiment_id=row.pk)
    if final is not None:
        qs = qs.filter(final=final)
    return paginate(qs.order_by("-number"), limit=limit, offset=offset, convert=_to_snapshot)


def get_snapshot(*, actor: Actor, key: str, number: int) -> SnapshotView:
    """One analysis of an experiment by its number. Raises NotFound (naming `number`), PermissionDenied."""
    row = _require(actor, key)
    snap = SnapshotRow.objects.filter(experiment_id=row.pk, number=number).first()
    if snap is None:
        raise NotFound(f"{row.key} has no analysis number {number}", field="number")
    return _to_snapshot(snap)


def latest_snapshot(*, actor: Actor, key: str, final: bool = False) -> SnapshotView | None:
    """The newest analysis of an experiment (the newest final one with `final`), or None."""
    row = _require(actor, key)
    qs = SnapshotRow.objects.filter(experiment_id=row.pk)
    if final:
        qs = qs.filter(final=True)
    snap = qs.order_by("-number").first()
    return _to_snapshot(snap) if snap is not None else None


def verify_snapshot(*, actor: Actor, key: str, number: int) -> SnapshotCheck:
    """Check an analysis is what it says: the sha256 recomputed from its stored content equals its `result_hash`,
    and the statistics re-run from its stored sufficient statistics and settings (rules.analyze, rules.recommend)
    equal its stored results and recommendation. Reads only. Raises NotFound, PermissionDenied."""
    row = _require(actor, key)
    snap = SnapshotRow.objects.filter(experiment_id=row.pk, number=number).first()
    if snap is None:
        raise NotFound(f"{row.key} has no analysis number {number}", field="number")
    computed = snapshots.result_hash(_snapshot_content(row.key, snap))
    differences = []
    extra = snap.extra or {}
    try:
        settings_, stats = _stored_stats(snap)
        result = rules.analyze(settings_, stats)
        again = rules.result_to_dict(result)
        if snapshots.canonical_json(again) != snapshots.canonical_json(snap.result):
            differences.append("the statistics re-run from the stored sufficient statistics differ from the results")
        recommendation = rules.recommend(
            result,
            primary=extra.get("primary", stats[0].name if stats else ""),
            guardrails=dict(extra.get("guardrails", {})),
            inverse={s.name: s.inverse for s in stats},
            alpha=settings_.alpha,
        )
        if snapshots.canonical_json(snapshots.recommendation_to_dict(recommendation)) != snapshots.canonical_json(
            snap.recommendation
        ):
            differences.append("the recommendation re-made from the results differs from the stored one")
    except rules.InvalidStats as exc:
        differences.append(f"the stored statistics do not pass the checks: {exc}")
    return SnapshotCheck(
        number=snap.number,
        stored_hash=snap.result_hash,
        computed_hash=computed,
        hash_ok=computed == snap.result_hash,
        results_ok=not differences,
        engine_version=snap.engine_version,
        current_engine_version=ENGINE_VERSION,
        differences=tuple(differences),
    )


def cumulative_series(*, actor: Actor, key: str) -> list[SeriesPoint]:
    """The results page's cumulative series: for each day with an analysis, the primary metric's lift and interval
    per non-control variation from that day's last analysis (each analysis reads the data from the start through
    its end, so the series is cumulative), oldest first. Open to every signed-in person."""
    row = _require(actor, key)
    last_of_day: dict[dt.date, SnapshotRow] = {}
    for snap in SnapshotRow.objects.filter(experiment_id=row.pk).order_by("through", "number")[: MAX_SERIES_DAYS * 4]:
        last_of_day[timezone.localdate(snap.through)] = snap
    points = []
    for day, snap in sorted(last_of_day.items())[-MAX_SERIES_DAYS:]:
        primary = (snap.extra or {}).get("primary")
        metric = (snap.result.get("metrics") or {}).get(primary)
        if metric is None:
            continue
        units = list(snap.exposures or [])
        for i, (name, variation) in enumerate((metric.get("variations") or {}).items(), start=1):
            ci = variation.get("ci")
            points.append(
                SeriesPoint(
                    day=day,
                    snapshot=snap.number,
                    variation=str(name),
                    lift=variation.get("lift"),
                    ci=(float(ci[0]), float(ci[1])) if ci else None,
                    units=int(units[i]) if i < len(units) else 0,
                    significant=bool(variation.get("significant", False)),
                )
            )
    return points


def analyse_running_experiments(*, actor: Actor) -> dict[str, int]:
    """The daily job (tasks.analyse_running): analyse every running experiment once a day, as the product;
    idempotent per day (an experiment already analysed today is skipped). An experiment whose data connection
    refuses is counted as failed and tried again tomorrow; the others go on."""
    today = clock.today()
    counts = {"analysed": 0, "skipped": 0, "failed": 0}
    for key in (
        ExperimentRow.objects.filter(state=ExperimentState.RUNNING.value).order_by("id").values_list("key", flat=True)
    ):
        if any(
            timezone.localdate(t) == today
            for t in SnapshotRow.objects.filter(experiment__key=key)
            .order_by("-number")
            .values_list("taken_at", flat=True)[:1]
        ):
            counts["skipped"] += 1
            continue
        try:
            analyse_experiment(actor=actor, key=key)
        except (RuleViolation, Conflict) as exc:
            logger.warning("experiments: the daily analysis of %s failed: %s", key, exc)
            counts["failed"] += 1
        else:
            counts["analysed"] += 1
    return counts


MAX_SERIES_DAYS = 400


def _plan_metrics(plan: Plan) -> list[MetricSpec]:
    """The plan's metrics, primary first, then guardrails and secondary, each metric once."""
    seen: dict[str, MetricSpec] = {}
    for spec in (plan.primary, *plan.guardrails, *plan.secondary):
        seen.setdefault(spec.metric, spec)
    return list(seen.values())


def _take_snapshot(actor: Actor, row: ExperimentRow, *, through: dt.datetime, final: bool) -> SnapshotView:
    """Compute an analysis and keep it (see analyse_experiment). The warehouse is read before the write opens; the
    write itself is one transaction (the number, the row, the audit record, the notices)."""
    plan = _current_plan(row)
    _data_connection(row.connection)  # a connection no longer configured is named, not a KeyError
    _warehouse.sync_exposures(row)
    stats: list[MetricStats] = []
    queries: dict[str, str] = {}
    for spec in _plan_metrics(plan):
        metric = metrics_services.get_metric_by_name(actor=_SYSTEM, name=spec.metric)
        metric_stats, sql = _warehouse.sufficient_statistics(
            connection=row.connection,
            experiment_key=row.key,
            hash_version=row.hash_version,
            metric=spec,
            source=_source_query(row, metric.id, metric.name),
            through=through,
            variations=plan.variations,
            denominator_source=_denominator_source(row, spec),
            covariate_days=plan.covariate_days,
            inverse=metric.direction == "down",
        )
        stats.append(metric_stats)
        queries[spec.metric] = sql
    settings_ = AnalysisSettings(
        alpha=plan.alpha,
        engine=plan.engine,
        difference=plan.difference,
        sequential_tuning=plan.sequential_tuning,
        prior=plan.prior,
        correction=plan.correction,
    )
    try:
        result = rules.analyze(settings_, stats)
    except rules.InvalidStats as exc:
        raise RuleViolation(
            f"the data connection returned statistics that cannot be right: {exc}",
            field=f"statistics.{getattr(exc, 'field', '') or ''}".rstrip("."),
        ) from exc
    exposures = _exposure_counts(row.pk, len(plan.variations), through=through)
    weights = [v.weight for v in plan.variations]
    srm_p = rules.srm_p(exposures, weights) if sum(exposures) else 1.0
    peeking = rules.peeking(engine=plan.engine, units=sum(exposures), planned=plan.planned_sample_size)
    guardrails = {g.metric: g.tolerance for g in plan.guardrails}
    recommendation = rules.recommend(
        result,
        primary=plan.primary.metric,
        guardrails=guardrails,
        inverse={s.name: s.inverse for s in stats},
        alpha=plan.alpha,
    )
    with transaction.atomic():
        locked = ExperimentRow.objects.select_for_update().get(pk=row.pk)
        if locked.state not in ANALYSABLE:
            raise Conflict(f"{row.key} changed while it was analysed (it is now {locked.state})", field="state")
        last = SnapshotRow.objects.filter(experiment_id=row.pk).order_by("-number").values_list("number", flat=True)
        number = (last.first() or 0) + 1
        content = {
            "experiment": row.key,
            "number": number,
            "through": snapshots.through_text(through),
            "plan_number": row.plan_number,
            "final": final,
            "engine_version": result.engine_version,
            "queries": queries,
            "statistics": rules.stats_to_dict(stats)["metrics"],
            "settings": _settings_dict(settings_),
            "result": rules.result_to_dict(result),
            "recommendation": snapshots.recommendation_to_dict(recommendation),
            "exposures": list(exposures),
            "srm_p": srm_p,
            "peeking": peeking,
        }
        digest = snapshots.result_hash(content)
        snap = SnapshotRow.objects.create(
            experiment_id=row.pk,
            number=number,
            taken_at=clock.now(),
            through=through,
            plan_number=row.plan_number,
            final=final,
            engine_version=result.engine_version,
            queries=queries,
            statistics=content["statistics"],
            settings=content["settings"],
            result=content["result"],
            recommendation=content["recommendation"],
            exposures=content["exposures"],
            srm_p=srm_p,
            peeking=peeking,
            result_hash=digest,
            taken_by_id=actor.person_id,
            extra={"primary": plan.primary.metric, "guardrails": guardrails},
        )
        view = _to_snapshot(snap)
        audit_services.record_change(
            actor=actor,
            verb="analyse",
            subject_type=SUBJECT_TYPE,
            subject_id=row.pk,
            subject_label=row.name,
            after={
                "analysis": number,
                "final": final,
                "through": content["through"],
                "units": sum(exposures),
                "srm_p": srm_p,
                "recommendation": recommendation.decision.value,
                "result_hash": digest,
            },
        )
        _notify_flags(actor, row, view)
    return view


def _final_analysis_after_stop(actor: Actor, row: ExperimentRow) -> SnapshotView | None:
    """Right after a stop's write: the final analysis, through the stop, by whoever stopped it (the team or the
    worker). An experiment no unit was exposed to has nothing to analyse. A data connection that is busy or
    refuses (RuleViolation or Conflict naming `connection`) does not undo the stop (the units must stop seeing
    the treatment whatever the warehouse says): the refusal is logged and the owner and the team are told, and the
    decision waits for an `analyse_experiment` (the machine's guard says so)."""
    row.refresh_from_db()
    if row.state != ExperimentState.STOPPED.value or not ExposureRow.objects.filter(experiment_id=row.pk).exists():
        return None
    try:
        return _take_snapshot(actor, row, through=row.stopped_at or clock.now(), final=True)
    except DomainError as exc:
        logger.warning("experiments: the final analysis of %s failed at the stop: %s", row.key, exc)
        with transaction.atomic():
            notifications_services.notify(
                actor=_SYSTEM,
                recipients=_experiment_people(row),
                kind=KIND_ANALYSIS_FAILED,
                title=f"The final analysis of {row.name} could not be taken"[:200],
                body=(
                    f"The data connection {row.connection!r} did not answer the stop's final analysis of {row.key}."
                    " The stop stands; analyse the experiment again once the connection answers."
                ),
                url=f"/experiments/{row.key}",
                subject_type=SUBJECT_TYPE,
                subject_id=row.pk,
            )
        return None


def _source_query(row: ExperimentRow, metric_id: int, name: str) -> str | None:
    """The metric's source SELECT (fifth part), or None for the events table. A source kept in another data
    connection than the experiment's cannot be joined with its exposures: RuleViolation on `connection`."""
    source = MetricSourceRow.objects.filter(metric_id=metric_id).values_list("connection", "query").first()
    if source is None:
        return None
    if source[0] != row.connection:
        raise RuleViolation(
            f"the events of {name} live in the data connection {source[0]!r}, but {row.key}'s exposures are in"
            f" {row.connection!r}; set the metric's source in {row.connection!r}",
            field="connection",
        )
    return source[1]


def _denominator_source(row: ExperimentRow, spec: MetricSpec) -> str | None:
    if not spec.denominator:
        return None
    metric = metrics_services.get_metric_by_name(actor=_SYSTEM, name=spec.denominator)
    return _source_query(row, metric.id, metric.name)


def _notify_flags(actor: Actor, row: ExperimentRow, snap: SnapshotView) -> None:
    """Tell the owner and the team when an analysis flags SRM or a failed guardrail: the experiment's name and
    the flag only (what every signed-in person may read on its page)."""
    flags = []
    if snap.srm_p < SRM_THRESHOLD:
        flags.append((KIND_SRM, f"Sample-ratio mismatch in {row.name}: the split of units is not the planned one"))
    if snap.recommendation.guardrail_failures:
        names = ", ".join(snap.recommendation.guardrail_failures)
        flags.append((KIND_GUARDRAIL, f"A guardrail failed in {row.name}: {names}"))
    if not flags:
        return
    recipients = _experiment_people(row)
    for kind, title in flags:
        notifications_services.notify(
            actor=actor,
            recipients=recipients,
            kind=kind,
            title=title[:200],
            body=f"Analysis {snap.number} of {row.key}.",
            url=f"/experiments/{row.key}",
            subject_type=SUBJECT_TYPE,
            subject_id=row.pk,
        )


def _experiment_people(row: ExperimentRow) -> set[int]:
    """Whom an experiment's notices go to (the machine's moves, the analysis's flags): the owner, and the owning
    team's members and leader."""
    side = org_services.team_sides(actor=_SYSTEM, team_ids=[row.team_id]).get(row.team_id)
    people = {row.owner_id}
    if side is not None:
        people |= set(side.member_ids) | ({side.leader_id} if side.leader_id else set())
    return people


def _snapshot_content(key: str, snap: SnapshotRow) -> dict[str, Any]:
    return {
        "experiment": key,
        "number": snap.number,
        "through": snapshots.through_text(snap.through),
        "plan_number": snap.plan_number,
        "final": snap.final,
        "engine_version": snap.engine_version,
        "queries": snap.queries,
        "statistics": snap.statistics,
        "settings": snap.settings,
        "result": snap.result,
        "recommendation": snap.recommendation,
        "exposures": snap.exposures,
        "srm_p": snap.srm_p,
        "peeking": snap.peeking,
    }


def _settings_dict(settings: AnalysisSettings) -> dict[str, Any]:
    """The settings in the STATS.json form (rules.stats_to_dict's keys, without the metrics)."""
    return {k: v for k, v in rules.stats_to_dict((), settings=settings).items() if k != "metrics"}


def _stored_stats(snap: SnapshotRow) -> tuple[AnalysisSettings, tuple[MetricStats, ...]]:
    """A snapshot's settings and sufficient statistics, read back through the one STATS.json reader."""
    return rules.stats_from_dict({**snap.settings, "metrics": snap.statistics})


def _to_snapshot(snap: SnapshotRow) -> SnapshotView:
    _, stats = _stored_stats(snap)
    return SnapshotView(
        id=snap.pk,
        number=snap.number,
        taken_at=snap.taken_at,
        through=snap.through,
        plan_number=snap.plan_number,
        final=snap.final,
        engine_version=snap.engine_version,
        queries=dict(snap.queries),
        statistics=stats,
        result=rules.result_from_dict(snap.result),
        recommendation=snapshots.recommendation_from_dict(snap.recommendation),
        exposures=tuple(int(n) for n in snap.exposures),
        srm_p=snap.srm_p,
        peeking=snap.peeking,
        result_hash=snap.result_hash,
        extra=dict(snap.extra or {}),
    )


# ------------------------------------------------------------------------ fourth part: the decision and review

REVIEW_TITLE_MAX = 200


def decide(
    *, actor: Actor, key: str, version: int, decision: Decision | str, variation: str | None = None, rationale: str
) -> ExperimentView:
    """The owner's launch decision on a stopped experiment (MECHANISMS.md §9): ship a variation, keep the control
    or iterate, with a rationale, read against the final analysis. Refused, naming why, when the decision needs an
    independent bar-raiser review first (ask_review): a high-impact experiment, a decision against the engine's
    recommendation, an SRM that fired, a failed guardrail, an early stop. Through the machine (apply_transition).
    Raises NotFound, PermissionDenied (not the owner), RuleViolation (state, analysis, decision, variation,
    rationale), Conflict (a stale version)."""
    values = {"decision": _value(decision), "variation": variation or "", "rationale": rationale}
    return apply_transition(actor=actor, key=key, name="decide", version=version, values=values)


def ask_review(
    *, actor: Actor, key: str, version: int, decision: Decision | str, variation: str | None = None, rationale: str
) -> ExperimentView:
    """The owner asks an independent bar raiser to review the launch decision before it takes effect
    (MECHANISMS.md §4, §9): the decision, its variation and rationale are kept with the reasons a review is needed
    (review_reasons), and a review is requested from bar_raisers (the pool picks an independent bar raiser with
    room: none is a RuleViolation naming why, and nothing changes). The owner's answer to the recommendation
    concludes the decision (accepting or overriding it) or reopens it (accepting a do-not-proceed, withdrawing).
    Raises NotFound, PermissionDenied, RuleViolation, Conflict."""
    values = {"decision": _value(decision), "variation": variation or "", "rationale": rationale}
    return apply_transition(actor=actor, key=key, name="ask_review", version=version, values=values)


def recommendation(*, actor: Actor, key: str) -> Recommendation | None:
    """The engine's recommendation from the experiment's newest final analysis (else its newest analysis), or
    None before any analysis."""
    snap = latest_snapshot(actor=actor, key=key, final=True) or latest_snapshot(actor=actor, key=key)
    return snap.recommendation if snap is not None else None


def _decision_facts(row: ExperimentRow) -> dict[str, Any]:
    """The analysis part's facts for the machine (machines.ExperimentFacts), read by the registry's `_facts`: the
    recommended decision and variation from the newest final analysis, whether there is one, and the standing
    reasons a decision needs a bar-raiser review whatever it is that the analysis knows (SRM fired, a guardrail
    failed; high impact and an early stop are the registry's)."""
    snap = SnapshotRow.objects.filter(experiment_id=row.pk, final=True).order_by("-number").first()
    reasons = []  # high impact and an early stop: the registry's _facts adds them
    if snap is not None and snap.srm_p < SRM_THRESHOLD:
        reasons.append(f"the sample-ratio-mismatch check fired (p = {snap.srm_p:.2g})")
    failures = tuple((snap.recommendation or {}).get("guardrail_failures") or ()) if snap is not None else ()
    if failures:
        reasons.append("a guardrail failed: " + ", ".join(failures))
    facts: dict[str, Any] = {"standing_review_reasons": tuple(reasons), "has_final_analysis": snap is not None}
    if snap is not None:
        facts["recommended"] = snap.recommendation.get("decision")
        facts["recommended_variation"] = snap.recommendation.get("variation")
    return facts


def _request_decision_review(actor: Actor, row: ExperimentRow) -> None:
    """Inside the ask_review write (the row already carries the decision asked and the review reasons): request
    the bar-raiser review for the owner; a refusal (no independent bar raiser with room) undoes the whole write."""
    bar_raisers_services.request_review(actor=actor, subject=_review_subject(row), question=_review_question(row))


def _review_question(row: ExperimentRow) -> str:
    decision = row.decision
    what = {
        Decision.SHIP.value: f"ship {row.decision_variation}",
        Decision.KEEP_CONTROL.value: "keep the control",
        Decision.ITERATE.value: "iterate without a launch",
    }.get(decision, str(decision))
    reasons = "; ".join(row.review_reasons or ())
    return f"Should {row.key} {what}? A review is needed because {reasons}."[:5000]


def _review_subject(row: ExperimentRow) -> Subject:
    return Subject(
        kind=SubjectKind.EXPERIMENT,
        id=row.pk,
        title=f"Experiment {row.key}: {row.name}"[:REVIEW_TITLE_MAX],
        owner_id=row.owner_id,
        team_ids=(row.team_id,),
        url=f"/experiments/{row.key}",
    )


def describe_subject(actor: Actor, subject_id: int) -> Subject:
    """An experiment as the subject of a bar-raiser review (bar_raisers' registry): its owner and owning team,
    whom the bar raiser must be independent of, and its page. Raises NotFound."""
    row = _policy.visible_to(actor, ExperimentRow.objects.all()).filter(pk=subject_id).first()
    if row is None:
        raise NotFound(f"experiment {subject_id} does not exist", field="subject")
    return _review_subject(row)


def acts_for_owner(actor: Actor, subject_id: int) -> bool:
    """Nobody answers an experiment's review for its owner: the single owner accepts or overrides it."""
    return False


def on_review_response(actor: Actor, review: BarRaiserReview) -> None:
    """The owner answered the decision's bar-raiser review (bar_raisers calls this inside that write): accepting
    a recommendation to proceed, or overriding any recommendation, concludes the decision as asked (an override
    stays visible to management through bar_raisers' overrides report); accepting a do-not-proceed, or withdrawing
    the review, reopens the decision (back to stopped, to be taken again). As the product."""
    row = ExperimentRow.objects.filter(pk=review.subject_id, state=ExperimentState.IN_REVIEW.value).first()
    if row is None:
        return
    proceed = review.state is ReviewState.OVERRIDDEN or (
        review.state is ReviewState.ACCEPTED and review.recommendation is not BarRaiserRecommendation.DO_NOT_PROCEED
    )
    words = {
        ReviewState.ACCEPTED: "the owner accepted the bar raiser's recommendation",
        ReviewState.OVERRIDDEN: "the owner overrode the bar raiser's recommendation",
        ReviewState.WITHDRAWN: "the review was withdrawn",
    }.get(review.state, str(review.state))
    recommended = review.recommendation.value.replace("_", " ") if review.recommendation else "none"
    apply_transition(
        actor=Actor.system("experiments"),
        key=row.key,
        name="conclude" if proceed else "reopen",
        version=row.version,
        values={"note": f"{words} (review #{review.id}, recommended: {recommended})"},
    )


def _value(choice: Any) -> str:
    return choice.value if isinstance(choice, enum.Enum) else str(choice or "")


# ------------------------------------------------------------------ fifth part: metric events and sources


def _data_connection(connection: Any) -> str:
    """A data connection's name, known to MECH_METRICS_CONNECTIONS; RuleViolation on `connection` otherwise."""
    name = clean_text(connection, "connection", 80)
    known = _data.connections()
    if name not in known:
        raise RuleViolation(
            f"no data connection named {name!r}; MECH_METRICS_CONNECTIONS has: {', '.join(sorted(known)) or 'none'}",
            field="connection",
        )
    return name


def load_events_csv(*, actor: Actor, content: bytes, file_name: str, connection: str = "default") -> EventsLoadReport:
    """Load a CSV of metric events (docs/experiments.md, Data) into a data connection's `mech_metric_events`:
    columns metric,unit_id,ts,value; ts an ISO 8601 date and time (UTC when it names no zone), value a finite
    number or empty. Every metric named must be in the registry (metrics services) and the actor in its team (or
    an admin) (MECHANISMS.md §9). All or nothing: the whole file is checked first and every problem is reported
    with its line and field (ImportFailed, a RuleViolation listing them); then one transaction in the data
    connection appends the events, and one audit record keeps the counts. A second load of the same file adds its
    events again (events are facts, not values to replace). Raises ImportFailed, RuleViolation (`connection`,
    `file`), PermissionDenied, ConnectionBusy (a 409: the DuckDB file is in use; try again)."""
    org_services.require_signed_in(actor)
    connection = _data_connection(connection)
    file_name = (file_name or "events.csv").strip()[:255] or "events.csv"
    parsed = _events.parse_events(content)
    problems = importing.Problems()
    for line, column, message in parsed.problems:
        problems.add(file_name, f"line {line}: {column}", message)
    metrics: dict[str, Any] = {}
    for name, line in parsed.first_line.items():
        found = metrics_services.find_metric(actor=actor, name=name)
        if found is None:
            problems.add(file_name, f"line {line}: metric", f"no metric is named {name[:80]!r} in the registry")
        else:
            metrics[name] = found
    problems.raise_if_any()
    if not parsed.rows:
        raise RuleViolation(f"{file_name} has no events to load", field="file")
    for name, metric in metrics.items():
        if not _policy.can(actor, "load_events", team_id=metric.team_id, owner_id=metric.owner_id):
            raise PermissionDenied(f"only {metric.team_name} (or an admin) loads events of {name}", field="metric")
    per_metric: dict[str, int] = {}
    for name, *_rest in parsed.rows:
        per_metric[name] = per_metric.get(name, 0) + 1
    times = [row[2] for row in parsed.rows]
    report = EventsLoadReport(
        connection=connection,
        file_name=file_name,
        events=len(parsed.rows),
        per_metric=dict(sorted(per_metric.items())),
        first=min(times),
        last=max(times),
    )
    with transaction.atomic():
        audit_services.record_change(
            actor=actor,
            verb="load_events",
            subject_type=SOURCE_SUBJECT_TYPE,
            subject_id=f"connection:{connection}",
            subject_label=f"events in {connection}",
            after={"file": file_name, "connection": connection, "events": report.events, "metrics": report.per_metric},
        )
        # Last in the transaction: the audit record rolls back when the data connection refuses the events.
        _warehouse.load_events(connection=connection, rows=parsed.rows)
    return report


def set_metric_source(
    *, actor: Actor, metric: str, connection: str, query: str, version: int | None = None
) -> MetricSourceView:
    """Set where a registry metric's per-unit events live for experiments (docs/experiments.md, Data): a data
    connection and one SELECT returning unit_id, ts, value, checked by the query check and run once with no rows in
    that connection (so a missing table or column is named now, not at the analysis). Creating names no version;
    changing names the version read (a stale one is a Conflict). The metric's team or an admin (MECHANISMS.md §9).
    Raises NotFound (`metric`), RuleViolation naming `connection` or `query`, PermissionDenied, Conflict."""
    org_services.require_signed_in(actor)
    found = metrics_services.find_metric(actor=actor, name=clean_text(metric, "metric", 120))
    if found is None:
        raise NotFound(f"no metric is named {str(metric)[:80]!r} in the registry", field="metric")
    if not _policy.can(actor, "set_source", team_id=found.team_id, owner_id=found.owner_id):
        raise PermissionDenied(f"only {found.team_name} (or an admin) sets the source of {found.name}", field="metric")
    connection = _data_connection(connection)
    try:
        query = _warehouse.check_source(connection=connection, query=query)
    except ValueError as exc:
        raise RuleViolation(str(exc), field="query") from None
    fields = {"connection": connection, "query": query, "updated_by_id": actor.person_id}
    with transaction.atomic():
        row = MetricSourceRow.objects.select_for_update().filter(metric_id=found.id).first()
        before = None
        if row is None:
            if version is not None:
                raise Conflict(f"{found.name} has no source yet; create it without a version", field="version")
            row = MetricSourceRow.objects.create(metric_id=found.id, **fields)
        else:
            if version is None:
                raise RuleViolation("name the version of the source you read", field="version")
            before = _source_audit(row, found.name)
            update_versioned(row, expected_version=version, changes=fields, noun="metric source")
        audit_services.record_change(
            actor=actor,
            verb="set_source",
            subject_type=SOURCE_SUBJECT_TYPE,
            subject_id=found.id,
            subject_label=found.name,
            before=before,
            after=_source_audit(row, found.name),
        )
        return _to_source_view(row, found.name)


def find_metric_source(*, actor: Actor, metric: str) -> MetricSourceView | None:
    """The metric's source, or None when its events are read from the connection's events table. Every signed-in
    person. Raises NotFound (`metric`)."""
    org_services.require_signed_in(actor)
    found = metrics_services.find_metric(actor=actor, name=clean_text(metric, "metric", 120))
    if found is None:
        raise NotFound(f"no metric is named {str(metric)[:80]!r} in the registry", field="metric")
    row = MetricSourceRow.objects.filter(metric_id=found.id).first()
    return _to_source_view(row, found.name) if row else None


def list_metric_sources(*, actor: Actor, limit: int | None = None, offset: int | None = None) -> Page[MetricSourceView]:
    """The metric sources, by metric name (every signed-in person may read them). Paginated."""
    org_services.require_signed_in(actor)
    page = paginate(MetricSourceRow.objects.order_by("metric_id"), limit=limit, offset=offset, convert=lambda r: r)
    return page.map(lambda r: _to_source_view(r, _metric_name(actor, r.metric_id)))


def _metric_name(actor: Actor, metric_id: int) -> str:
    try:
        return metrics_services.get_metric(actor=actor, metric_id=metric_id).name
    except NotFound:
        return f"metric {metric_id}"


def _source_audit(row: MetricSourceRow, name: str) -> dict[str, Any]:
    return {"metric": name, "connection": row.connection, "query": row.query}


def _to_source_view(row: MetricSourceRow, name: str) -> MetricSourceView:
    return MetricSourceView(
        metric_id=row.metric_id,
        metric=name,
        connection=row.connection,
        query=row.query,
        version=row.version,
        updated_by_id=row.updated_by_id,
        updated_at=row.updated_at,
    )
