"""The experiments pages (MECHANISMS.md §9; docs/experiments.md): the list, the plan form (new and a draft's edit,
with the power calculation's planned sample size live by htmx and on submit without JavaScript), the results page
(state and moves, the SRM banner, the peeking warning, each metric's lift with its interval drawn around zero, the
plain-language sentences, the recommendation, the exposures, the cumulative series, the plan's versions, the
analyses, the decision and its review), the glossary, the team and service panels and the search section.

Thin: parse, call one service, render (kernel.pages). Templates are in `experiments/templates/experiments/`."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import SubjectKind
from mechanisms.catalog import services as catalog_services
from mechanisms.kernel import machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pages import (
    FORM_ERRORS,
    PAGE_SIZE,
    make_move,
    move_named,
    page,
    query_int,
    query_text,
    show_error,
)
from mechanisms.metrics import services as metrics_services
from mechanisms.metrics.contracts import Kind
from mechanisms.org import services as org_services

from . import drawing, rules, services
from .contracts import (
    SRM_THRESHOLD,
    Difference,
    Engine,
    ExperimentChanges,
    ExperimentState,
    ExperimentView,
    SnapshotView,
    Statistic,
    VariationResult,
)
from .forms import EditForm, PlanForm, RevisionForm, plan_initial
from .machines import MACHINE

CONFLICT = (
    "Someone else changed this experiment while you were looking at it. Reload to see what changed, then try again."
)
FORM_FIELDS = {"team_id": "team", "owner_id": "owner", "service_id": "service", "plan": "variations"}
STATE_WORDS = {s.value: MACHINE.state_words(s.value) for s in ExperimentState}
SRM_WORDS = "The split is not what was planned: do not trust these results until you know why."
MAX_METRIC_CHOICES = 200


def experiment_url(key: str) -> str:
    return f"/experiments/{key}"


def _plan_field(field: str | None) -> str | None:
    """A service error's field on a plan (`plan.variations[1].weight`, `plan.primary`) as the form's field."""
    if not field:
        return field
    name = field.removeprefix("plan.").split("[")[0].split(".")[0]
    return {"primary_metric": "primary", "weights": "variations"}.get(name, name)


def _show(form: Any, exc: Any) -> int:
    exc.field = _plan_field(FORM_FIELDS.get(exc.field or "", exc.field))
    return show_error(form, exc, fields=FORM_FIELDS, conflict=CONFLICT)


# --------------------------------------------------------------------------------------------------- the list


@page
def experiment_list(request: HttpRequest) -> HttpResponse:
    """Every experiment, newest first: filtered by state, team (slug), primary metric (name) and words of the
    name, key or hypothesis; each with its state, primary metric and the lift so far. A page at a time."""
    actor = request.actor
    state, team_slug = query_text(request, "state"), query_text(request, "team")
    metric_name, text = query_text(request, "metric"), query_text(request, "q")
    unknown = []
    team = org_services.find_team(actor=actor, slug=team_slug) if team_slug else None
    if team_slug and team is None:
        unknown.append(f"No team has the slug {team_slug!r}.")
    metric = metrics_services.find_metric(actor=actor, name=metric_name) if metric_name else None
    if metric_name and metric is None:
        unknown.append(f"No metric is named {metric_name!r}.")
    found = None
    if not unknown:
        found = services.list_experiments(
            actor=actor,
            state=state if state in STATE_WORDS else None,
            team_id=team.id if team else None,
            metric=metric.name if metric else None,
            text=text or None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
        )
    context = {
        "page": found,
        "rows": [_row(actor, e) for e in (found.items if found else [])],
        "states": list(STATE_WORDS.items()),
        "state": state,
        "team": team_slug,
        "metric": metric_name,
        "q": text,
        "unknown": unknown,
        "filtered": bool(state or team_slug or metric_name or text),
    }
    return render(request, "experiments/list.html", context)


def _row(actor: Actor, e: ExperimentView) -> dict[str, Any]:
    """One experiment in a list: its state and the primary metric's lift so far (the latest analysis)."""
    snap = None if e.state in (ExperimentState.DRAFT, ExperimentState.CANCELLED) else _latest(actor, e.key)
    lift = None
    if snap is not None:
        primary = _metric_result(snap, e.plan.primary.metric)
        if primary is not None and primary.variations:
            best = primary.variations[0]
            lift = {
                "words": drawing.percent(best.lift, relative=e.plan.difference is Difference.RELATIVE),
                "tone": drawing.tone(lift=best.lift, significant=best.significant, inverse=_inverse(snap, e)),
                "variation": best.name,
            }
    return {"e": e, "url": experiment_url(e.key), "state": STATE_WORDS.get(e.state.value, e.state.value), "lift": lift}


def _latest(actor: Actor, key: str) -> SnapshotView | None:
    return services.latest_snapshot(actor=actor, key=key)


def _metric_result(snap: SnapshotView, name: str):
    return next((m for m in snap.result.metrics if m.name == name), None)


def _inverse(snap: SnapshotView, e: ExperimentView, name: str | None = None) -> bool:
    name = name or e.plan.primary.metric
    return next((s.inverse for s in snap.statistics if s.name == name), False)


# ----------------------------------------------------------------------------------------------- the plan form


def _input_metrics(actor: Actor) -> list[tuple[str, str]]:
    found = metrics_services.list_metrics(actor=actor, kind=Kind.INPUT, retired=False, limit=MAX_METRIC_CHOICES)
    return [(m.name, f"{m.name} — {m.title}") for m in found.items]


def _planned_size(form: PlanForm) -> dict[str, Any]:
    """The power calculation's answer for the form's figures (rules.sample_size), or the field it cannot read."""
    data = getattr(form, "cleaned_data", {})
    variations = data.get("variations")
    if not variations or data.get("mde") is None or data.get("baseline_mean") is None:
        return {"missing": "Give the baseline mean and the MDE to see the planned sample size."}
    try:
        total = rules.sample_size(
            statistic=Statistic(data.get("primary_statistic") or Statistic.MEAN.value),
            baseline_mean=data["baseline_mean"],
            baseline_stddev=data.get("baseline_stddev"),
            mde=data["mde"],
            alpha=data.get("alpha") or 0.05,
            power=data.get("power") or 0.8,
            weights=[v.weight for v in variations],
        )
    except rules.InvalidStats as exc:
        return {"problem": str(exc), "field": getattr(exc, "field", None)}
    return {"total": total, "per_variation": [(v.name, math.ceil(total * v.weight)) for v in variations]}


def _size_form(request: HttpRequest, form_class: type[PlanForm], **kwargs: Any) -> PlanForm:
    form = form_class(request.POST, metrics=_input_metrics(request.actor), **kwargs)
    form.is_valid()
    return form


@require_POST
@page
def sample_size(request: HttpRequest) -> HttpResponse:
    """The plan form's live power calculation (htmx posts the form here; the partial replaces #sample-size)."""
    form = _size_form(request, PlanForm)
    return render(request, "experiments/_sample_size.html", {"size": _planned_size(form)})


def _resolve(request: HttpRequest, form: PlanForm, *, people: bool = True) -> dict[str, Any] | None:
    """The form's team, owner and service as ids (errors on their fields), or None."""
    actor, data = request.actor, form.cleaned_data
    found: dict[str, Any] = {}
    if people:
        team = org_services.find_team(actor=actor, slug=data["team"])
        if team is None:
            form.add_error("team", f"no team has the slug {data['team']!r}")
        owner = org_services.find_person(actor=actor, handle=data["owner"].lstrip("@"))
        if owner is None:
            form.add_error("owner", f"no person has the handle {data['owner']!r}")
        if team is not None and owner is not None:
            found.update(team_id=team.id, owner_id=owner.id)
    found["service_id"] = None
    if data.get("service"):
        service = catalog_services.find_service(actor=actor, name=data["service"])
        if service is None:
            form.add_error("service", f"no service is named {data['service']!r}")
        else:
            found["service_id"] = service.id
    return None if form.errors else found


@page
def experiment_new(request: HttpRequest) -> HttpResponse:
    """Write a draft experiment and its plan (a member or the leader of the owning team). "Calculate" shows the
    planned sample size without saving (the page without JavaScript); htmx shows it as the figures are typed."""
    actor = request.actor
    metrics = _input_metrics(actor)
    initial = {"team": query_text(request, "team")}
    if actor.person_id is not None:
        me = org_services.get_people(actor=actor, ids=[actor.person_id]).get(actor.person_id)
        initial["owner"] = me.handle if me else ""
    form = PlanForm(request.POST or None, metrics=metrics, initial=initial)
    status, size = 200, {}
    if request.method == "POST":
        status = 400
        if form.is_valid():
            size = _planned_size(form)
            if "calculate" in request.POST:
                status = 200
            elif (ids := _resolve(request, form)) is not None:
                data = form.cleaned_data
                try:
                    e = services.define_experiment(
                        actor=actor,
                        key=data["key"],
                        name=data["name"],
                        hypothesis=data["hypothesis"],
                        high_impact=data["high_impact"],
                        plan=form.plan(),
                        **ids,
                    )
                except FORM_ERRORS + (NotFound, PermissionDenied) as exc:
                    status = _show(form, exc)
                else:
                    messages.success(request, f"Experiment {e.key} drafted (plan version 1).")
                    return redirect(experiment_url(e.key))
    return render(request, "experiments/plan_form.html", {"form": form, "size": size, "editing": None}, status=status)


@page
def experiment_edit(request: HttpRequest, key: str) -> HttpResponse:
    """Change a draft: its name, hypothesis, service, impact and plan (the team's). After start the plan is
    frozen: a change is a reasoned plan version (the API and CLI), shown beside the results."""
    actor = request.actor
    e = services.get_experiment(actor=actor, key=key)
    if e.state is not ExperimentState.DRAFT:
        raise RuleViolation(
            f"{e.key} is {STATE_WORDS[e.state.value]}: its plan is frozen; a change is a new, reasoned plan version",
            field="state",
        )
    if not services.may_write(actor=actor, key=e.key):
        raise PermissionDenied("only the experiment's team changes its draft", field="actor")
    metrics = _input_metrics(actor)
    if request.method == "POST":
        form = EditForm(request.POST, metrics=metrics, initial=_edit_initial(actor, e))
    else:
        form = EditForm(metrics=metrics, initial=_edit_initial(actor, e))
    status, size = 200, {}
    if request.method == "POST":
        status = 400
        if form.is_valid():
            size = _planned_size(form)
            if "calculate" in request.POST:
                status = 200
            elif (ids := _resolve(request, form, people=False)) is not None:
                data = form.cleaned_data
                changes = ExperimentChanges(
                    name=data["name"],
                    hypothesis=data["hypothesis"],
                    service_id=ids["service_id"],
                    high_impact=data["high_impact"],
                    plan=form.plan(),
                )
                try:
                    services.edit_experiment(actor=actor, key=e.key, version=data["version"], changes=changes)
                except FORM_ERRORS + (NotFound, PermissionDenied) as exc:
                    status = _show(form, exc)
                else:
                    messages.success(request, f"Experiment {e.key} saved.")
                    return redirect(experiment_url(e.key))
    return render(request, "experiments/plan_form.html", {"form": form, "size": size, "editing": e}, status=status)


def _edit_initial(actor: Actor, e: ExperimentView) -> dict[str, Any]:
    people = org_services.get_people(actor=actor, ids=[e.owner_id])
    teams = org_services.get_teams(actor=actor, ids=[e.team_id])
    owner, team = people.get(e.owner_id), teams.get(e.team_id)
    return {
        "key": e.key,
        "name": e.name,
        "hypothesis": e.hypothesis,
        "team": team.slug if team else "",
        "owner": owner.handle if owner else "",
        "service": e.service_name or "",
        "high_impact": e.high_impact,
        "version": e.version,
        **plan_initial(e.plan),
    }


# -------------------------------------------------------------------------------------------- the results page


@page
def experiment_detail(request: HttpRequest, key: str) -> HttpResponse:
    return _render_detail(request, key)


def _moves(actor: Actor, e: ExperimentView, failed: tuple[str, Any] | None) -> list[dict[str, Any]]:
    """The machine's moves this person may take now (services.experiment_moves: exactly what the apply lets
    through before reading input), each with its form (the failed one bound, with its errors)."""
    found = []
    for name in services.experiment_moves(actor=actor, key=e.key):
        t = MACHINE.transition(name)
        if failed and failed[0] == name:
            form = failed[1]
        else:
            form = machine_forms.action_form(MACHINE, name, version=e.version)
        found.append(
            {
                "name": name,
                "url": f"/experiments/{e.key}/{t.slug}",
                "title": t.title or t.name,
                "help": t.help,
                "form": form,
                "fields": list(form),
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
            }
        )
    return found


def _sentence(snap: SnapshotView, plan, metric: str, v: VariationResult, inverse: bool) -> str:
    try:
        return rules.sentence(
            v, metric=metric, engine=plan.engine, difference=plan.difference, alpha=plan.alpha, inverse=inverse
        )
    except (ValueError, TypeError):  # a result without an estimate: its error code says why
        return ""


def _results(snap: SnapshotView, e: ExperimentView) -> list[dict[str, Any]]:
    """Each metric's comparisons, primary first: lift, interval bar (one axis for the page), colour, sentence."""
    relative = e.plan.difference is Difference.RELATIVE
    roles = {e.plan.primary.metric: "primary"}
    roles.update({g.metric: "guardrail" for g in e.plan.guardrails})
    bounds = [
        abs(b)
        for m in snap.result.metrics
        for v in m.variations
        if v.ci
        for b in v.ci
        if b is not None and math.isfinite(b)
    ]
    scale = max(bounds, default=0.0) * 1.1
    order = {e.plan.primary.metric: 0, **{g.metric: 1 for g in e.plan.guardrails}}
    rows = []
    for m in sorted(snap.result.metrics, key=lambda m: order.get(m.name, 2)):
        inverse = _inverse(snap, e, m.name)
        comparisons = []
        for v in m.variations:
            t = drawing.tone(lift=v.lift, significant=v.significant, inverse=inverse)
            label = f"{v.name} against the control on {m.name}: lift {drawing.percent(v.lift, relative=relative)}"
            if v.ci:
                low, high = (drawing.percent(b, relative=relative) for b in v.ci)
                label += f", interval {low} to {high}"
            comparisons.append(
                {
                    "v": v,
                    "tone": t,
                    "lift": drawing.percent(v.lift, relative=relative),
                    "ci": [drawing.percent(b, relative=relative) for b in v.ci] if v.ci else None,
                    "bar": mark_safe(drawing.interval_bar(lift=v.lift, ci=v.ci, scale=scale, tone_name=t, label=label)),
                    "sentence": _sentence(snap, e.plan, m.name, v, inverse),
                }
            )
        rows.append({"m": m, "role": roles.get(m.name, "secondary"), "inverse": inverse, "comparisons": comparisons})
    return rows


def _series(actor: Actor, e: ExperimentView) -> list[dict[str, Any]]:
    points = services.cumulative_series(actor=actor, key=e.key)
    by_variation: dict[str, list] = {}
    for p in points:
        by_variation.setdefault(p.variation, []).append((p.day, p.lift, p.ci))
    return [
        {
            "variation": name,
            "svg": mark_safe(
                drawing.cumulative_chart(points=rows, label=f"Cumulative lift of {name} on {e.plan.primary.metric}")
            ),
        }
        for name, rows in by_variation.items()
    ]


def _exposures(actor: Actor, e: ExperimentView, snap: SnapshotView | None) -> dict[str, Any] | None:
    """The units exposed per variation (services.exposure_summary) against the planned weights, and the daily chart
    of the units exposed so far; before any exposure, the latest analysis's counts (or nothing)."""
    summary = services.exposure_summary(actor=actor, key=e.key)
    units = list(summary.counts) if sum(summary.counts) else list(snap.exposures) if snap is not None else []
    if not units:
        return None
    total = sum(units)
    rows = [
        {
            "name": v.name,
            "units": units[i] if i < len(units) else 0,
            "planned": v.weight,
            "share": f"{units[i] / total:.1%}" if total and i < len(units) else None,
        }
        for i, v in enumerate(e.plan.variations)
    ]
    chart = drawing.exposure_chart(
        days=[day for day, _ in summary.series],
        counts=[counts for _, counts in summary.series],
        names=[v.name for v in e.plan.variations],
        label=f"Units exposed so far per variation of {e.name}, day by day",
    )
    return {"rows": rows, "total": total, "chart": mark_safe(chart)}


REVISABLE = (ExperimentState.RUNNING, ExperimentState.STOPPED)
REVISION_PREFIX = "revise"


def _revision_form(actor: Actor, e: ExperimentView, data: Any = None) -> RevisionForm:
    initial = {**plan_initial(e.plan), "version": e.version}
    return RevisionForm(data, metrics=_input_metrics(actor), initial=initial, prefix=REVISION_PREFIX)


def _render_detail(
    request: HttpRequest,
    key: str,
    *,
    failed: tuple[str, Any] | None = None,
    revision: RevisionForm | None = None,
    status: int = 200,
) -> HttpResponse:
    actor = request.actor
    e = services.get_experiment(actor=actor, key=key)
    started = e.state not in (ExperimentState.DRAFT, ExperimentState.CANCELLED)
    snap = _latest(actor, e.key) if started else None
    snapshots = services.list_snapshots(actor=actor, key=e.key, limit=20) if started else None
    review = bar_raisers_services.review_for(actor=actor, subject_kind=SubjectKind.EXPERIMENT, subject_id=e.id)
    versions = services.list_plan_versions(actor=actor, key=e.key)
    people = org_services.get_people(actor=actor, ids={e.owner_id} | ({e.decided_by_id} if e.decided_by_id else set()))
    context = {
        "e": e,
        "state": STATE_WORDS.get(e.state.value, e.state.value),
        "owner": people.get(e.owner_id),
        "decided_by": people.get(e.decided_by_id) if e.decided_by_id else None,
        "team": org_services.get_teams(actor=actor, ids=[e.team_id]).get(e.team_id),
        "snap": snap,
        "srm": bool(snap and snap.srm_p < SRM_THRESHOLD),
        "srm_words": SRM_WORDS,
        "results": _results(snap, e) if snap else [],
        "series": _series(actor, e) if snap else [],
        "exposures": _exposures(actor, e, snap) if started else None,
        "snapshots": snapshots,
        "versions": getattr(versions, "items", versions),
        "review": review,
        "moves": _moves(actor, e, failed),
        "may_edit": e.state is ExperimentState.DRAFT and services.may_write(actor=actor, key=e.key),
        "revision": revision
        or (_revision_form(actor, e) if e.state in REVISABLE and services.may_write(actor=actor, key=e.key) else None),
        "bayesian": e.plan.engine is Engine.BAYESIAN,
        "relative": e.plan.difference is Difference.RELATIVE,
    }
    return render(request, "experiments/detail.html", context, status=status)


@require_POST
@page
def experiment_action(request: HttpRequest, key: str, action: str) -> HttpResponse:
    """One move of the experiment machine (start, stop, cancel, decide, ask for a review); back to the results on
    success, or the page again with the refusal next to the field it names."""
    name = move_named(MACHINE, action, noun="an experiment")
    e = services.get_experiment(actor=request.actor, key=key)
    move = make_move(
        MACHINE,
        name,
        request.POST,
        version=e.version,
        conflict=CONFLICT,
        apply=lambda version, values: services.apply_transition(
            actor=request.actor, key=e.key, name=name, version=version, values=values
        ),
    )
    if move.made:
        messages.success(request, f"Experiment {e.key}: {move.done_words}.")
        return redirect(experiment_url(e.key))
    return _render_detail(request, key, failed=(name, move.form), status=move.status)


@require_POST
@page
def experiment_revise(request: HttpRequest, key: str) -> HttpResponse:
    """A reasoned plan revision after start (services.revise_plan; the team's): back to the results with the new
    version beside the first, or the results page again with the refusal next to its field."""
    actor = request.actor
    e = services.get_experiment(actor=actor, key=key)
    if not services.may_write(actor=actor, key=e.key):
        raise PermissionDenied("only the experiment's team revises its plan", field="actor")
    form = _revision_form(actor, e, request.POST)
    status = 400
    if form.is_valid():
        try:
            view = services.revise_plan(
                actor=actor,
                key=e.key,
                version=form.cleaned_data["version"],
                plan=form.plan(),
                reason=form.cleaned_data["reason"],
            )
        except FORM_ERRORS as exc:
            status = _show(form, exc)
        else:
            messages.success(request, f"Experiment {view.key}: plan version {view.plan_number} filed.")
            return redirect(experiment_url(view.key))
    return _render_detail(request, key, revision=form, status=status)


@page
def glossary(request: HttpRequest) -> HttpResponse:
    """The words of the results page, in plain English (linked next to each term)."""
    return render(request, "experiments/glossary.html", {})


# ------------------------------------------------------------------------------------ panels and the search


def team_panel(request: HttpRequest, team: Any, **bound: Any) -> dict[str, Any] | None:
    """The team page's panel: the team's running experiments and its most recent others."""
    if not request.actor.is_authenticated:
        return None
    found = services.list_experiments(actor=request.actor, team_id=team.id, limit=10)
    rows = sorted(found.items, key=lambda e: e.state is not ExperimentState.RUNNING)
    return {
        "team": team,
        "rows": [_row(request.actor, e) for e in rows],
        "total": found.total,
        "more": "/experiments?" + urlencode({"team": team.slug}),
    }


def service_panel(request: HttpRequest, service: Any, **bound: Any) -> dict[str, Any] | None:
    """The service page's panel: the experiments on this service (none: the panel is left out)."""
    if not request.actor.is_authenticated:
        return None
    found = services.list_experiments(actor=request.actor, service_id=service.id, limit=10)
    if not found.items:
        return None
    return {"service": service, "rows": [_row(request.actor, e) for e in found.items], "total": found.total}


def search_experiments(actor: Actor, text: str, limit: int, offset: int | None):
    """The search page's section: experiments whose name, key or hypothesis hold the words."""
    from mechanisms.kernel.mounts import SearchHits

    found = services.list_experiments(actor=actor, text=text, limit=limit, offset=offset)
    found = found.map(lambda e: {"e": e, "url": experiment_url(e.key), "state": STATE_WORDS.get(e.state.value)})
    return SearchHits(
        page=found, template="experiments/_search_experiment.html", more_url="/experiments?" + urlencode({"q": text})
    )
