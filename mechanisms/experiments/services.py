"""Public services of the experiments app (MECHANISMS.md §9; docs/experiments.md). Keyword-only, typed; every
write is one transaction with its audit record; reads go through policy.visible_to.

Sections, each owned by one part of the work:
- first part: the registry (define, edit a draft, plan versions, the power calculation, the machine's binding);
- second part: assignment and exposures (the pure function served, bulk exposures);
- third part: analysis (sufficient statistics in the data connection -> rules -> immutable snapshots);
- fourth part: the launch decision and its bar-raiser review.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog_services
from mechanisms.kernel import clock, machine_apply
from mechanisms.kernel import machines as kernel_machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text
from mechanisms.metrics import services as metrics_services
from mechanisms.metrics.contracts import Kind as MetricKind
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import plans as _plans
from . import policy as _policy
from . import rules
from .contracts import (
    HASH_VERSIONS,
    Decision,
    ExperimentChanges,
    ExperimentId,
    ExperimentState,
    ExperimentView,
    Plan,
    PlanVersionView,
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

# ----------------------------------------------------------------------------------------- third part: analysis

# ------------------------------------------------------------------------ fourth part: the decision and review
