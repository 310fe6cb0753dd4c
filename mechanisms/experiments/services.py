"""Public services of the experiments app (MECHANISMS.md §9; docs/experiments.md). Keyword-only, typed; every
write is one transaction with its audit record; reads go through policy.visible_to.

Sections, each owned by one part of the work:
- first part: the registry (define, edit a draft, plan versions, the power calculation, the machine's binding);
- second part: assignment and exposures (the pure function served, bulk exposures);
- third part: analysis (sufficient statistics in the data connection -> rules -> immutable snapshots);
- fourth part: the launch decision and its bar-raiser review.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import logging
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import Recommendation as BarRaiserRecommendation
from mechanisms.bar_raisers.contracts import ReviewRecord as BarRaiserReview
from mechanisms.bar_raisers.contracts import ReviewState, Subject, SubjectKind
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.metrics import services as metrics_services
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import policy as _policy
from . import rules, snapshots, warehouse
from .contracts import (
    ENGINE_VERSION,
    SRM_THRESHOLD,
    AnalysisSettings,
    Decision,
    ExperimentState,
    ExperimentView,
    MetricSpec,
    MetricStats,
    Plan,
    Recommendation,
    SeriesPoint,
    SnapshotCheck,
    SnapshotView,
)
from .history import SOURCE_SUBJECT_TYPE, SUBJECT_TYPE
from .models import Experiment as ExperimentRow
from .models import Exposure as ExposureRow
from .models import MetricSource as MetricSourceRow
from .models import Snapshot as SnapshotRow

logger = logging.getLogger(__name__)

__all__ = ["SOURCE_SUBJECT_TYPE", "SUBJECT_TYPE"]

# ------------------------------------------------------------------------------------- first part: the registry

# ------------------------------------------------------------------------ second part: assignment and exposures

# ----------------------------------------------------------------------------------------- third part: analysis

KIND_SRM = "experiment.srm"  # an analysis flagged a sample-ratio mismatch
KIND_GUARDRAIL = "experiment.guardrail"  # an analysis found a guardrail failed
notifications_services.declare_kinds(kinds=[KIND_SRM, KIND_GUARDRAIL])
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
    row = _analysis_row(actor, key)
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
    row = _analysis_row(actor, key)
    qs = SnapshotRow.objects.filter(experiment_id=row.pk)
    if final is not None:
        qs = qs.filter(final=final)
    return paginate(qs.order_by("-number"), limit=limit, offset=offset, convert=_to_snapshot)


def get_snapshot(*, actor: Actor, key: str, number: int) -> SnapshotView:
    """One analysis of an experiment by its number. Raises NotFound (naming `number`), PermissionDenied."""
    row = _analysis_row(actor, key)
    snap = SnapshotRow.objects.filter(experiment_id=row.pk, number=number).first()
    if snap is None:
        raise NotFound(f"{row.key} has no analysis number {number}", field="number")
    return _to_snapshot(snap)


def latest_snapshot(*, actor: Actor, key: str, final: bool = False) -> SnapshotView | None:
    """The newest analysis of an experiment (the newest final one with `final`), or None."""
    row = _analysis_row(actor, key)
    qs = SnapshotRow.objects.filter(experiment_id=row.pk)
    if final:
        qs = qs.filter(final=True)
    snap = qs.order_by("-number").first()
    return _to_snapshot(snap) if snap is not None else None


def verify_snapshot(*, actor: Actor, key: str, number: int) -> SnapshotCheck:
    """Check an analysis is what it says: the sha256 recomputed from its stored content equals its `result_hash`,
    and the statistics re-run from its stored sufficient statistics and settings (rules.analyze, rules.recommend)
    equal its stored results and recommendation. Reads only. Raises NotFound, PermissionDenied."""
    row = _analysis_row(actor, key)
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
    row = _analysis_row(actor, key)
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


def _analysis_row(actor: Actor, key: str) -> ExperimentRow:
    row = _policy.visible_to(actor, ExperimentRow.objects.all()).filter(key=str(key or "")[:80]).first()
    if row is None:
        raise NotFound(f"no experiment has the key {key!r}", field="key")
    return row


def _plan_metrics(plan: Plan) -> list[MetricSpec]:
    """The plan's metrics, primary first, then guardrails and secondary, each metric once."""
    seen: dict[str, MetricSpec] = {}
    for spec in (plan.primary, *plan.guardrails, *plan.secondary):
        seen.setdefault(spec.metric, spec)
    return list(seen.values())


def _take_snapshot(actor: Actor, row: ExperimentRow, *, through: dt.datetime, final: bool) -> SnapshotView:
    """Compute an analysis and keep it (see analyse_experiment). The warehouse is read before the write opens; the
    write itself is one transaction (the number, the row, the audit record, the notices)."""
    plan = _plan_of(row)
    system = Actor.system("experiments")
    warehouse.sync_exposures(row)
    stats: list[MetricStats] = []
    queries: dict[str, str] = {}
    for spec in _plan_metrics(plan):
        metric = metrics_services.get_metric_by_name(actor=system, name=spec.metric)
        source = MetricSourceRow.objects.filter(metric_id=metric.id).values_list("query", flat=True).first()
        metric_stats, sql = warehouse.sufficient_statistics(
            connection=row.connection,
            experiment_key=row.key,
            hash_version=row.hash_version,
            metric=spec,
            source=source,
            through=through,
            variations=plan.variations,
        )
        stats.append(dataclasses.replace(metric_stats, name=spec.metric, inverse=metric.direction == "down"))
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
    exposures = _exposure_units(row, through, len(plan.variations))
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


def _exposure_units(row: ExperimentRow, through: dt.datetime, variations: int) -> tuple[int, ...]:
    """Units exposed per variation through the data's end, control first (the SRM check's observed counts)."""
    counted = dict(
        ExposureRow.objects.filter(experiment_id=row.pk, exposed_at__lte=through)
        .values_list("variation")
        .annotate(n=Count("id"))
        .values_list("variation", "n")
    )
    return tuple(int(counted.get(i, 0)) for i in range(variations))


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
    """The owner and the owning team's members and leader."""
    sides = org_services.team_sides(actor=Actor.system("experiments"), team_ids=[row.team_id])
    side = sides.get(row.team_id)
    return {row.owner_id} | (set(side.people) if side is not None else set())


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
    """The analysis part's facts for the machine (machines.ExperimentFacts): the recommended decision and
    variation from the final analysis, whether there is one, and the standing reasons a decision needs a
    bar-raiser review whatever it is (high impact, SRM fired, a guardrail failed, an early stop)."""
    snap = SnapshotRow.objects.filter(experiment_id=row.pk, final=True).order_by("-number").first()
    reasons = []
    if row.high_impact:
        reasons.append("the experiment is high impact")
    if snap is not None and snap.srm_p < SRM_THRESHOLD:
        reasons.append(f"the sample-ratio-mismatch check fired (p = {snap.srm_p:.2g})")
    failures = tuple((snap.recommendation or {}).get("guardrail_failures") or ()) if snap is not None else ()
    if failures:
        reasons.append("a guardrail failed: " + ", ".join(failures))
    if row.stopped_early:
        reasons.append("the experiment stopped early, before its planned sample size")
    facts: dict[str, Any] = {"standing_review_reasons": tuple(reasons), "has_final_analysis": snap is not None}
    if snap is not None:
        facts["recommended"] = snap.recommendation.get("decision")
        facts["recommended_variation"] = snap.recommendation.get("variation")
    return facts


def _after_ask_review(actor: Actor, row: ExperimentRow, values: Mapping[str, Any]) -> None:
    """Inside the ask_review write: request the bar-raiser review for the owner (nothing is kept if it fails)."""
    bar_raisers_services.request_review(
        actor=actor,
        subject=_review_subject(row),
        question=_review_question(row, values),
    )


def _review_question(row: ExperimentRow, values: Mapping[str, Any]) -> str:
    decision = values.get("decision")
    what = {
        Decision.SHIP.value: f"ship {values.get('variation')}",
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
