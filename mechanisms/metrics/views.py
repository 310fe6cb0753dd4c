"""The metrics app's pages (MECHANISMS.md §8): the registry, a metric's page (series, completeness, lineage,
plans), the WBR decks (charts, box, commentary, exceptions first, snapshots, PDF/HTML/JSON), goals per team and
org unit. Thin: parse, call one service, render (kernel.pages). Templates are in `metrics/templates/metrics/`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied
from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, query_int, query_text, show_error
from mechanisms.org import services as org_services

from . import policy as _policy
from . import services
from .contracts import Kind, MetricChanges, MetricView
from .forms import MetricForm, RetireForm, ReviseForm

# --- first part: the registry --------------------------------------------------------------------------------

REVISE_CONFLICT = (
    "Someone else changed this metric while you were looking at it. Reload to see what changed, then try again."
)
FORM_FIELDS = {"owner_id": "owner", "team_id": "team", "formula": "numerator", "evolved_from_id": "evolved_from"}
DATA_WEEKS = 10


def metric_url(name: str) -> str:
    return "/metrics/" + quote(name, safe="")


@page
def registry(request: HttpRequest) -> HttpResponse:
    """The metric registry: every metric by name, filtered by kind, team (slug) and words, with the input vs
    output counts; a page at a time."""
    actor = request.actor
    kind = query_text(request, "kind")
    team_slug = query_text(request, "team")
    text = query_text(request, "q")
    team = org_services.find_team(actor=actor, slug=team_slug) if team_slug else None
    unknown = [f"No team has the slug {team_slug!r}."] if team_slug and team is None else []
    found, counts = None, {k.value: 0 for k in Kind}
    if not unknown:
        filters = {"team_id": team.id if team else None, "text": text or None}
        found = services.list_metrics(
            actor=actor,
            kind=kind if kind in {k.value for k in Kind} else None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
            **filters,
        )
        counts = services.count_metrics(actor=actor, **filters)
    context = {
        "page": found,
        "rows": [{"m": m, "url": metric_url(m.name)} for m in (found.items if found else [])],
        "counts": counts,
        "kinds": [k.value for k in Kind],
        "kind": kind,
        "team": team_slug,
        "q": text,
        "unknown": unknown,
        "filtered": bool(kind or team_slug or text),
        "can_define": _policy.can_define_metric(actor),
    }
    return render(request, "metrics/registry.html", context)


def _definition_values(request: HttpRequest, form: MetricForm) -> dict[str, Any] | None:
    """The form's definition as service arguments (owner handle and team slug resolved), or None with the
    errors on the form."""
    data = form.cleaned_data
    actor = request.actor
    owner = org_services.find_person(actor=actor, handle=data["owner"].lstrip("@"))
    if owner is None:
        form.add_error("owner", f"no person has the handle {data['owner']!r}")
    team = org_services.find_team(actor=actor, slug=data["team"])
    if team is None:
        form.add_error("team", f"no team has the slug {data['team']!r}")
    evolved_from_id = None
    if data["evolved_from"]:
        parent = services.find_metric(actor=actor, name=data["evolved_from"])
        if parent is None:
            form.add_error("evolved_from", f"no metric is named {data['evolved_from']!r}")
        else:
            evolved_from_id = parent.id
    if form.errors:
        return None
    return {
        "title": data["title"],
        "kind": data["kind"],
        "definition": data["definition"],
        "unit": data["unit"],
        "direction": data["direction"],
        "owner_id": owner.id,
        "team_id": team.id,
        "lever": data["lever"],
        "aggregation": data["aggregation"],
        "comparison": data["comparison"],
        "grain": data["grain"],
        "number_format": data["number_format"],
        "formula": form.formula(),
        "evolved_from_id": evolved_from_id,
        "evolution_reason": data["evolution_reason"],
    }


@page
def new_metric(request: HttpRequest) -> HttpResponse:
    """Define a metric: only for people who may define one (the members and leaders of teams, admins)."""
    actor = request.actor
    if not _policy.can_define_metric(actor):
        raise PermissionDenied(_policy.DEFINE_WORDS)
    initial = {"aggregation": "sum", "comparison": "percent", "grain": "day", "kind": "output", "direction": "up"}
    form = MetricForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = _definition_values(request, form)
            if values is not None:
                try:
                    metric = services.define_metric(actor=actor, name=form.cleaned_data["name"], **values)
                except FORM_ERRORS + (NotFound, PermissionDenied) as exc:
                    status = show_error(form, exc, fields=FORM_FIELDS)
                else:
                    messages.success(request, f"Metric {metric.name} defined (revision 1).")
                    return redirect(metric_url(metric.name))
    return render(request, "metrics/registry_new.html", {"form": form}, status=status)


def _metric_by_name(actor: Actor, name: str) -> MetricView:
    found = services.find_metric(actor=actor, name=name)
    if found is None:
        raise NotFound(f"no metric is named {name!r}", field="name")
    return found


def _current(m: MetricView) -> dict[str, Any]:
    """The metric's definition in the shape of `_definition_values` (what the revise form is compared to)."""
    return {
        "title": m.title,
        "kind": m.kind.value,
        "definition": m.definition,
        "unit": m.unit,
        "direction": m.direction.value,
        "owner_id": m.owner_id,
        "team_id": m.team_id,
        "lever": m.lever,
        "aggregation": m.aggregation.value,
        "comparison": m.comparison.value,
        "grain": m.grain.value,
        "number_format": m.number_format,
        "formula": m.formula,
        "evolved_from_id": m.evolved_from_id,
        "evolution_reason": m.evolution_reason,
    }


def _form_initial(m: MetricView, people: dict, teams: dict) -> dict[str, Any]:
    owner, team = people.get(m.owner_id), teams.get(m.team_id)
    return {
        "name": m.name,
        "title": m.title,
        "kind": m.kind.value,
        "definition": m.definition,
        "unit": m.unit,
        "direction": m.direction.value,
        "owner": owner.handle if owner else "",
        "team": team.slug if team else "",
        "lever": m.lever,
        "aggregation": m.aggregation.value,
        "comparison": m.comparison.value,
        "grain": m.grain.value,
        "number_format": m.number_format,
        "numerator": m.numerator or "",
        "denominator": m.denominator or "",
        "evolved_from": m.evolved_from or "",
        "evolution_reason": m.evolution_reason,
        "version": m.version,
    }


def _data_context(actor: Actor, m: MetricView) -> dict[str, Any]:
    """The series of the last 10 weeks and the completeness per week (the data part's services)."""
    get_series = getattr(services, "get_series", None)
    completeness = getattr(services, "completeness", None)
    if get_series is None or completeness is None:
        return {}
    end = clock.today()
    start = end - dt.timedelta(days=7 * DATA_WEEKS - 1)
    check = completeness(actor=actor, metric_id=m.id)
    series = None if m.is_ratio else get_series(actor=actor, metric_id=m.id, start=start, end=end)
    return {"series": series, "completeness": check}


@page
def metric_page(request: HttpRequest, name: str) -> HttpResponse:
    """A metric: its definition (Markdown), kind, owner, team, lever, aggregation, comparison, plan, data of the
    last 10 weeks with the completeness per week, revisions with what changed, lineage; the revise and retire
    forms for those who may change it. POST `action=revise|retire`."""
    actor = request.actor
    m = _metric_by_name(actor, name)
    may_change = m.retired_on is None and _policy.can_change_metric(actor, m)
    revise_form = retire_form = None
    status = 200
    if request.method == "POST":
        if not _policy.can_change_metric(actor, m):
            raise PermissionDenied(_policy.METRIC_WORDS)
        action = request.POST.get("action", "")
        status = 400
        if action == "retire":
            retire_form = RetireForm(request.POST)
            if retire_form.is_valid():
                try:
                    services.retire_metric(actor=actor, metric_id=m.id, **retire_form.cleaned_data)
                except FORM_ERRORS as exc:
                    status = show_error(retire_form, exc, conflict=REVISE_CONFLICT)
                else:
                    messages.success(request, f"Metric {m.name} retired.")
                    return redirect(metric_url(m.name))
        elif action == "revise":
            revise_form = ReviseForm(request.POST, initial={"name": m.name})
            if revise_form.is_valid():
                values = _definition_values(request, revise_form)
                if values is not None:
                    current = _current(m)
                    changes = {k: v for k, v in values.items() if current.get(k) != v}
                    try:
                        services.revise_metric(
                            actor=actor,
                            metric_id=m.id,
                            version=revise_form.cleaned_data["version"],
                            reason=revise_form.cleaned_data["reason"],
                            changes=MetricChanges(**changes),
                        )
                    except FORM_ERRORS + (NotFound, PermissionDenied) as exc:
                        status = show_error(
                            revise_form, exc, fields={**FORM_FIELDS, "changes": "reason"}, conflict=REVISE_CONFLICT
                        )
                    else:
                        messages.success(request, f"Metric {m.name} revised.")
                        return redirect(metric_url(m.name))
        else:
            raise NotFound(f"there is no action {action!r} on a metric", field="action")
    people = org_services.get_people(actor=actor, ids=[m.owner_id])
    teams = org_services.get_teams(actor=actor, ids=[m.team_id])
    if may_change:
        initial = _form_initial(m, people, teams)
        revise_form = revise_form or ReviseForm(initial=initial)
        retire_form = retire_form or RetireForm(initial={"version": m.version})
    revisions = services.list_revisions(actor=actor, metric_id=m.id, limit=20)
    changes = audit_services.list_changes(actor=actor, subject_type="metric", subject_id=m.id, limit=30)
    context = {
        "m": m,
        "owner": people.get(m.owner_id),
        "team": teams.get(m.team_id),
        "plan": services.list_plan(actor=actor, metric_id=m.id, limit=100),
        "revisions": revisions,
        "lineage": services.lineage(actor=actor, metric_id=m.id),
        "metric_url": metric_url,
        "revise_form": revise_form if may_change else None,
        "retire_form": retire_form if may_change else None,
        "history": {
            "rows": audit_services.history_lines(records=changes.items),
            "total": changes.total,
            "shown": len(changes.items),
        },
        "reload_url": metric_url(m.name),
        **_data_context(actor, m),
    }
    return render(request, "metrics/metric.html", context, status=status)


def team_metrics(request: HttpRequest, team: Any, **bound: Any) -> dict[str, Any] | None:
    """The team page's panel: the metrics this team owns, inputs first."""
    found = services.list_metrics(actor=request.actor, team_id=team.id, retired=False, limit=PAGE_SIZE)
    rows = sorted(found.items, key=lambda m: (m.kind is not Kind.INPUT, m.name.lower()))
    return {
        "team": team,
        "rows": [{"m": m, "url": metric_url(m.name)} for m in rows],
        "total": found.total,
        "more": "/metrics?" + urlencode({"team": team.slug}),
    }


def search_metrics(actor: Actor, text: str, limit: int, offset: int | None):
    from mechanisms.kernel.mounts import SearchHits

    found = services.list_metrics(actor=actor, text=text, limit=limit, offset=offset)
    found = found.map(lambda m: {"m": m, "url": metric_url(m.name)})
    return SearchHits(page=found, template="metrics/_search_metric.html", more_url="/metrics?" + urlencode({"q": text}))


# --- second part: data ---------------------------------------------------------------------------------------


def metric_data_context(request, metric_view) -> dict:
    """The context of `metrics/_metric_data.html` on a metric's page: the last 10 ended weeks' figures (N/A and
    a visible flag for an incomplete week, never 0), the completeness table, the SQL source with its last run, and
    whether the viewer may upload values. `metric_view` is the registry's MetricView (its `id`, `name`)."""
    from . import services as data_services

    actor = request.actor
    weeks = data_services.weekly_figures(actor=actor, metric_id=metric_view.id)
    return {
        "data_metric": metric_view,
        "data_weeks": [{"week": week, "figure": figure} for week, figure in weeks],
        "data_incomplete": sum(1 for week, _ in weeks if not week.complete),
        "data_sql": data_services.find_sql_source(actor=actor, metric_id=metric_view.id),
        "data_loads": data_services.list_loads(actor=actor, metric_id=metric_view.id, limit=5).items,
        "data_may_load": data_services.may_change_data(actor=actor, metric_id=metric_view.id),
    }


@page
def metric_loads(request: HttpRequest) -> HttpResponse:
    """Recent loads (CSV uploads, API pushes, SQL pulls), newest first; POST uploads a CSV (all or nothing: a bad
    file comes back with every problem's line and field, and nothing is loaded)."""
    from . import services as data_services

    report, problems, error, status = None, [], "", 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, status = "Choose a CSV file to upload.", 400
        else:
            try:
                report = data_services.load_values_csv(
                    actor=request.actor, content=upload.read(), file_name=upload.name or "upload.csv"
                )
            except FORM_ERRORS as exc:
                status = 400
                error = exc.message
                details = exc.details if isinstance(exc.details, dict) else {}
                problems = details.get("problems") or []
    found = data_services.list_loads(actor=request.actor, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    context = {"page": found, "loads": found.items, "report": report, "problems": problems, "error": error}
    return render(request, "metrics/loads.html", context, status=status)


# --- third part: decks and snapshots -------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------
