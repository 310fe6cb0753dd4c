"""The metrics app's pages (MECHANISMS.md §8): the registry, a metric's page (series, completeness, lineage,
plans), the WBR decks (charts, box, commentary, exceptions first, snapshots, PDF/HTML/JSON), goals per team and
org unit. Thin: parse, call one service, render (kernel.pages). Templates are in `metrics/templates/metrics/`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import DomainError, NotFound, PermissionDenied, RuleViolation
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
from mechanisms.org import services as org_services

from . import policy as _policy
from . import services
from .contracts import Goal, GoalMix, GoalState, GoalStatus, Kind, MetricChanges, MetricView
from .forms import MetricForm, RetireForm, ReviseForm
from .goal_forms import GoalForm

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

DECK_CONFLICT = "Someone else changed this while you were looking at it. Reload to see what changed, then try again."
WEEKDAYS = [
    (0, "Monday"),
    (1, "Tuesday"),
    (2, "Wednesday"),
    (3, "Thursday"),
    (4, "Friday"),
    (5, "Saturday"),
    (6, "Sunday"),
]  # noqa: E501


def _drawn(html: str) -> str:
    """The one place the deck pages take HTML as is: charts.py escapes everything it draws, and the notes come
    from kernel.markdown.render (sanitized)."""
    return mark_safe(html)  # noqa: S308 - charts.py and kernel.markdown escape what they emit


def _deck_by_slug(actor: Actor, slug: str):
    deck = services.find_deck(actor=actor, slug=slug)
    if deck is None:
        raise NotFound(f"deck {slug} does not exist", field="slug")
    return deck


def _week_param(request: HttpRequest, name: str = "week") -> dt.date | None:
    text = (request.GET.get(name) or "").strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RuleViolation(f"{name} must be a date (YYYY-MM-DD)", field="week_ending") from None


@page
def deck_list(request: HttpRequest) -> HttpResponse:
    offset = request.GET.get("offset") or ""
    found = services.list_decks(actor=request.actor, offset=int(offset) if offset.isdigit() else 0)
    return render(request, "metrics/deck_list.html", {"found": found})


class DeckForm(forms.Form):
    slug = forms.SlugField(max_length=80)
    title = forms.CharField(max_length=200)
    team = forms.CharField(max_length=80, required=False, help_text="the team's slug (a team's deck)")
    unit = forms.CharField(max_length=80, required=False, help_text="or the org unit's slug (a unit's deck)")
    week_ends_on = forms.TypedChoiceField(choices=WEEKDAYS, coerce=int, initial=5)
    fiscal_year_end_month = forms.TypedChoiceField(choices=[(m, m) for m in range(1, 13)], coerce=int, initial=12)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)


@page
def deck_new(request: HttpRequest) -> HttpResponse:
    form = DeckForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            team = org_services.find_team(actor=request.actor, slug=data["team"]) if data["team"] else None
            unit = org_services.find_org_unit(actor=request.actor, slug=data["unit"]) if data["unit"] else None
            if data["team"] and team is None:
                raise RuleViolation(f"no team {data['team']}", field="team")
            if data["unit"] and unit is None:
                raise RuleViolation(f"no org unit {data['unit']}", field="unit")
            deck = services.create_deck(
                actor=request.actor,
                slug=data["slug"],
                title=data["title"],
                team_id=team.id if team else None,
                unit_id=unit.id if unit else None,
                week_ends_on=data["week_ends_on"],
                fiscal_year_end_month=data["fiscal_year_end_month"],
                description=data["description"],
            )
            return redirect(f"/wbr/{deck.slug}/edit")
        except DomainError as exc:
            status = show_error(form, exc, fields={"unit_id": "unit", "team_id": "team"})
    elif request.method == "POST":
        status = 400
    return render(request, "metrics/deck_new.html", {"form": form}, status=status)


class NoteForm(forms.Form):
    metric_id = forms.IntegerField(widget=forms.HiddenInput)
    week_ending = forms.DateField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), max_length=10000, label="Commentary")


def _people_names(actor: Actor, ids) -> dict[int, Any]:
    return org_services.get_people(actor=actor, ids=set(ids))


@page
def deck_page(request: HttpRequest, slug: str) -> HttpResponse:
    return _render_deck(request, slug)


def _render_deck(request: HttpRequest, slug: str, *, failed: tuple[int, forms.Form] | None = None, status: int = 200):
    actor = request.actor
    deck = _deck_by_slug(actor, slug)
    exceptions_first = request.GET.get("exceptions") == "1"
    week = _week_param(request)
    if week is None and failed is not None:
        week = failed[1].data.get("week_ending") or None
    view = services.build_deck(actor=actor, deck_id=deck.id, week_ending=week, exceptions_first=exceptions_first)
    from . import charts, policy

    people = _people_names(actor, [r.owner_id for r in view.rows] + [deck.owner_id])
    rows = []
    for i, r in enumerate(view.rows, start=1):
        allowed = policy.can_comment(
            actor, metric_owner_id=r.owner_id, metric_team_id=r.team_id, deck_owner_id=deck.owner_id
        )
        if failed is not None and failed[0] == r.metric_id:
            form = failed[1]
        else:
            form = NoteForm(
                initial={
                    "metric_id": r.metric_id,
                    "week_ending": view.result.week_ending.isoformat(),
                    "version": r.note.version if r.note else None,
                    "body": r.note.body if r.note else "",
                }
            )
        rows.append(
            {
                "r": r,
                "index": i,
                "label": r.result.label or r.result.name,
                "chart": _drawn(charts.svg_chart(r.result)),
                "box": _drawn(charts.box_table(r.result)),
                "note_html": _drawn(r.note.html) if r.note else "",
                "owner": people.get(r.owner_id),
                "form": form if allowed else None,
            }
        )
    context = {
        "deck": deck,
        "view": view,
        "rows": rows,
        "week": view.result.week_ending,
        "exceptions": [row for row in rows if row["r"].result.exception],
        "incomplete": [row for row in rows if row["r"].result.gaps],
        "waiting": [people.get(p) or p for p in view.waiting_on],
        "is_owner": policy.can_change_deck(actor, owner_id=deck.owner_id),
        "few": 0 < len(rows) < services.FEW_DECK_ROWS,
        "owner": people.get(deck.owner_id),
        "exceptions_first": exceptions_first,
    }
    return render(request, "metrics/deck.html", context, status=status)


@page
@require_POST
def deck_note(request: HttpRequest, slug: str) -> HttpResponse:
    deck = _deck_by_slug(request.actor, slug)
    form = NoteForm(request.POST)
    status = 400
    metric_id = None
    if form.is_valid():
        data = form.cleaned_data
        metric_id = data["metric_id"]
        try:
            services.comment_on_metric(
                actor=request.actor,
                deck_id=deck.id,
                metric_id=metric_id,
                week_ending=data["week_ending"],
                body=data["body"],
                version=data["version"],
            )
            return redirect(f"/wbr/{deck.slug}?week={data['week_ending'].isoformat()}#metric-{metric_id}")
        except DomainError as exc:
            status = show_error(form, exc, conflict=DECK_CONFLICT)
    else:
        try:
            metric_id = int(request.POST.get("metric_id") or 0)
        except ValueError:
            metric_id = None
    request.GET = request.GET.copy()
    request.GET["week"] = request.POST.get("week_ending", "")
    return _render_deck(request, slug, failed=(metric_id, form), status=status)


class RowsForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    rows = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}),
        help_text="one metric a line, in order: name | label | number format (label and format optional)",
    )


@page
def deck_edit(request: HttpRequest, slug: str) -> HttpResponse:
    actor = request.actor
    deck = _deck_by_slug(actor, slug)
    status = 200
    if request.method == "POST":
        form = RowsForm(request.POST)
        if form.is_valid():
            try:
                rows = _parse_rows(form.cleaned_data["rows"])
                services.set_deck_rows(actor=actor, deck_id=deck.id, version=form.cleaned_data["version"], rows=rows)
                return redirect(f"/wbr/{deck.slug}")
            except DomainError as exc:
                status = show_error(form, exc, fields={"rows": "rows"}, conflict=DECK_CONFLICT)
                if exc.field and exc.field.startswith("rows"):
                    form.errors.pop("__all__", None)
                    form.add_error("rows", exc.message)
        else:
            status = 400
    else:
        text = "\n".join(
            " | ".join(x for x in (r.metric_name, r.label, r.number_format)).rstrip(" |") for r in deck.rows
        )
        form = RowsForm(initial={"version": deck.version, "rows": text})
    return render(
        request,
        "metrics/deck_edit.html",
        {"deck": deck, "form": form, "max_rows": services.MAX_DECK_ROWS},
        status=status,
    )


def _parse_rows(text: str) -> list[tuple[int, str, str]]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    names = [line.split("|")[0].strip() for line in lines]
    found = services.metric_ids_by_name(names=names)
    rows = []
    for i, line in enumerate(lines):
        parts = [p.strip() for p in line.split("|")] + ["", ""]
        if parts[0] not in found:
            raise RuleViolation(f"line {i + 1}: no metric named {parts[0]!r}", field="rows")
        rows.append((found[parts[0]], parts[1], parts[2]))
    return rows


@page
def deck_export(request: HttpRequest, slug: str, fmt: str) -> HttpResponse:
    deck = _deck_by_slug(request.actor, slug)
    content, media, name = services.export_deck(
        actor=request.actor, deck_id=deck.id, week_ending=_week_param(request), format=fmt
    )
    response = HttpResponse(content, content_type=media)
    disposition = "inline" if fmt == "html" else "attachment"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    if fmt == "html":
        from .charts import DECK_CSP

        response["Content-Security-Policy"] = DECK_CSP
    return response


@page
def snapshot_list(request: HttpRequest, slug: str) -> HttpResponse:
    from . import policy

    actor = request.actor
    deck = _deck_by_slug(actor, slug)
    if request.method == "POST":
        week = (request.POST.get("week_ending") or "").strip() or None
        snap = services.take_snapshot(actor=actor, deck_id=deck.id, week_ending=week)
        return redirect(f"/wbr/{deck.slug}/snapshots/{snap.week_ending.isoformat()}")
    found = services.list_snapshots(actor=actor, deck_id=deck.id)
    context = {
        "deck": deck,
        "found": found,
        "is_owner": policy.can_change_deck(actor, owner_id=deck.owner_id),
        "last_week": services.last_ended_week(deck.week_ends_on),
    }
    return render(request, "metrics/snapshot_list.html", context)


@page
def snapshot_page(request: HttpRequest, slug: str, week: str) -> HttpResponse:
    from . import charts

    actor = request.actor
    deck = _deck_by_slug(actor, slug)
    snap = services.get_snapshot(actor=actor, deck_id=deck.id, week_ending=week)
    result = services.snapshot_result(snap)
    notes = {n["metric_name"]: _drawn(n["html"]) for n in snap.payload.get("commentary", [])}
    rows = [
        {
            "r": row,
            "label": row.label or row.name,
            "chart": _drawn(charts.svg_chart(row)),
            "box": _drawn(charts.box_table(row)),
            "note": notes.get(row.name, ""),
        }
        for row in result.rows
    ]
    return render(request, "metrics/snapshot.html", {"deck": deck, "snap": snap, "result": result, "rows": rows})


@page
def snapshot_compare(request: HttpRequest, slug: str) -> HttpResponse:
    actor = request.actor
    deck = _deck_by_slug(actor, slug)
    a, b = _week_param(request, "a"), _week_param(request, "b")
    if a is None or b is None:
        raise RuleViolation("name two weeks to compare (a and b)", field="week_ending")
    cmp = services.compare_snapshots(actor=actor, deck_id=deck.id, week_a=a, week_b=b)
    from .charts import format_value

    rows = [
        {
            "c": c,
            "cells": [
                (key, format_value((c.box_a or {}).get(key)), format_value((c.box_b or {}).get(key)), key in c.changed)
                for key in ("last_week", "wow", "yoy", "mtd", "qtd", "ytd")
            ],
        }
        for c in cmp.rows
    ]
    return render(request, "metrics/snapshot_compare.html", {"deck": deck, "cmp": cmp, "rows": rows})


def team_decks(request: HttpRequest, team: Any, **bound: Any) -> dict[str, Any] | None:
    """The team page's panel: the team's decks (and its unit's)."""
    ids = {"team_ids": [team.id], "unit_ids": [team.org_unit_id] if getattr(team, "org_unit_id", None) else []}
    found = services.list_decks(actor=request.actor, limit=20, **ids)
    return {"decks": found.items, "team": team} if found.items else None


def home_decks(request: HttpRequest, subject: Any = None, **bound: Any) -> dict[str, Any] | None:
    """The home page's panel: the decks of the viewer's teams and their units."""
    actor = request.actor
    if actor.person_id is None:
        return None
    mine = org_services.person_teams(actor=actor, person_id=actor.person_id)
    team_ids = sorted(set(mine.member_of) | set(mine.leads))
    teams = org_services.get_teams(actor=actor, ids=team_ids)
    unit_ids = sorted({t.org_unit_id for t in teams.values() if t.org_unit_id})
    found = services.list_decks(actor=actor, limit=20, team_ids=team_ids, unit_ids=unit_ids)
    return {"decks": found.items} if found.items else None


# --- fourth part: goals --------------------------------------------------------------------------------------

GOAL_MACHINE = services.GOAL_MACHINE
GOAL_CONFLICT = (
    "Someone else changed this goal while you were looking at it. Reload to see what changed, then try again."
)
GOAL_STATUS_WORDS = {
    GoalStatus.ON_TRACK: "on track",
    GoalStatus.AT_RISK: "at risk",
    GoalStatus.OFF_TRACK: "off track",
    GoalStatus.ACHIEVED: "achieved",
    GoalStatus.MISSED: "missed",
    GoalStatus.NO_DATA: "N/A: incomplete data",
}


def _goal_rows(actor: Actor, goals: list[Goal]) -> list[dict[str, Any]]:
    progress = services.goal_progresses(actor=actor, goal_ids=[g.id for g in goals])
    teams = org_services.get_teams(actor=actor, ids={g.team_id for g in goals})
    return [
        {
            "g": g,
            "team": teams.get(g.team_id),
            "state": GOAL_MACHINE.state_words(g.state.value),
            "p": progress.get(g.id),
            "status": GOAL_STATUS_WORDS[progress[g.id].status] if g.id in progress else "",
        }
        for g in goals
    ]


def _mix_rows(actor: Actor, mix: GoalMix) -> list[dict[str, Any]]:
    teams = org_services.get_teams(actor=actor, ids=[line.team_id for line in mix.teams])
    return [{"line": line, "team": teams.get(line.team_id)} for line in mix.teams]


@page
def goal_list(request: HttpRequest) -> HttpResponse:
    """Goals by team and org unit for a year: each goal's progress status computed from its data, the share tied
    to input versus output metrics, and the output-only warnings."""
    actor = request.actor
    year = query_int(request, "year") or clock.today().year
    team_slug, unit_slug = query_text(request, "team"), query_text(request, "unit")
    state = query_text(request, "state")
    unknown = []
    team = org_services.find_team(actor=actor, slug=team_slug) if team_slug else None
    if team_slug and team is None:
        unknown.append(f"No team has the slug {team_slug!r}.")
    unit = org_services.find_org_unit(actor=actor, slug=unit_slug) if unit_slug else None
    if unit_slug and unit is None:
        unknown.append(f"No org unit has the slug {unit_slug!r}.")
    found, mix = None, None
    if not unknown and 2000 <= year <= 2100:
        filters = {"team_id": team.id if team else None, "unit_id": unit.id if unit else None}
        found = services.list_goals(
            actor=actor,
            year=year,
            state=state if state in {s.value for s in GoalState} else None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
            **filters,
        )
        mix = services.goal_mix(actor=actor, year=year, **filters)
    context = {
        "page": found,
        "rows": _goal_rows(actor, list(found.items)) if found else [],
        "mix": mix,
        "mix_rows": _mix_rows(actor, mix) if mix else [],
        "year": year,
        "team": team_slug,
        "unit": unit_slug,
        "state": state,
        "states": [(s.value, GOAL_MACHINE.state_words(s.value)) for s in GoalState],
        "units": org_services.all_org_units(actor=actor),
        "unknown": unknown,
    }
    return render(request, "metrics/goal_list.html", context)


@page
def goal_new(request: HttpRequest) -> HttpResponse:
    """Draft a team's goal: a registry metric, the measured figure, baseline and target, start and due dates."""
    actor = request.actor
    initial = {"year": clock.today().year, "team": query_text(request, "team")}
    form = GoalForm(request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            team = org_services.find_team(actor=actor, slug=data["team"])
            metric_id = services.metric_id_by_name(actor=actor, name=data["metric"])
            if team is None:
                form.add_error("team", f"no team has the slug {data['team']!r}")
            elif metric_id is None:
                form.add_error("metric", f"there is no metric {data['metric']!r} in the registry")
            else:
                make = services.propose_goal if data["propose"] else services.create_goal
                try:
                    goal = make(
                        actor=actor,
                        team_id=team.id,
                        year=data["year"],
                        title=data["title"],
                        description=data["description"],
                        metric_id=metric_id,
                        measure=data["measure"],
                        baseline=data["baseline"],
                        target=data["target"],
                        start_date=data["start_date"],
                        due_date=data["due_date"],
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields={"team_id": "team", "metric_id": "metric"})
                else:
                    messages.success(request, f"Goal {goal.id} is {GOAL_MACHINE.state_words(goal.state.value)}.")
                    return redirect(goal.url)
    return render(request, "metrics/goal_new.html", {"form": form}, status=status)


@page
def goal_detail(request: HttpRequest, goal_id: int) -> HttpResponse:
    return _render_goal(request, goal_id)


def _render_goal(
    request: HttpRequest, goal_id: int, *, failed: tuple[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    actor = request.actor
    view = services.goal_view(actor=actor, goal_id=goal_id)
    g = view.goal
    progress = services.goal_progress(actor=actor, goal_id=g.id)
    team = org_services.get_teams(actor=actor, ids=[g.team_id]).get(g.team_id)
    people = org_services.get_people(actor=actor, ids={g.owner_id} | ({g.decided_by_id} if g.decided_by_id else set()))
    action_forms = []
    for name in view.actions:
        t = GOAL_MACHINE.transition(name)
        form = (
            failed[1]
            if failed and failed[0] == name
            else machine_forms.action_form(GOAL_MACHINE, name, version=g.version)
        )
        action_forms.append(
            {
                "name": name,
                "url": f"/goals/{g.id}/{t.slug}",
                "title": t.title,
                "help": t.help,
                "form": form,
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
                "fields": list(form),
            }
        )
    changes = audit_services.list_changes(actor=actor, subject_type=services.SUBJECT_GOAL, subject_id=g.id, limit=30)
    context = {
        "g": g,
        "view": view,
        "p": progress,
        "status_words": GOAL_STATUS_WORDS[progress.status],
        "state": GOAL_MACHINE.state_words(g.state.value),
        "team": team,
        "owner": people.get(g.owner_id),
        "decided_by": people.get(g.decided_by_id) if g.decided_by_id else None,
        "missing_days": sorted({d for gap in progress.gaps for d in (*gap.missing, *gap.blank)}),
        "action_forms": action_forms,
        "history": {
            "rows": audit_services.history_lines(records=changes.items),
            "total": changes.total,
            "shown": len(changes.items),
        },
    }
    return render(request, "metrics/goal_detail.html", context, status=status)


@require_POST
@page
def goal_action(request: HttpRequest, goal_id: int, action: str) -> HttpResponse:
    """One move of the goal machine; back to the goal on success, or the page again with the error by its field."""
    name = move_named(GOAL_MACHINE, action, noun="a goal")
    goal = services.get_goal(actor=request.actor, goal_id=goal_id)
    move = make_move(
        GOAL_MACHINE,
        name,
        request.POST,
        version=goal.version,
        conflict=GOAL_CONFLICT,
        apply=lambda version, values: services.apply_goal_transition(
            actor=request.actor, goal_id=goal.id, version=version, transition=name, values=values
        ),
    )
    if move.made:
        messages.success(request, f"Goal {goal.id}: {move.done_words}.")
        return redirect(goal.url)
    return _render_goal(request, goal_id, failed=(name, move.form), status=move.status)


def team_goals_panel(request: HttpRequest, team: Any, **bound: Any) -> dict[str, Any]:
    """The team page's goals for this year: each with its computed status, and the input/output share."""
    year = clock.today().year
    found = services.list_goals(actor=request.actor, team_id=team.id, year=year, limit=20)
    mix = services.goal_mix(actor=request.actor, team_id=team.id, year=year)
    return {
        "team": team,
        "year": year,
        "found": found,
        "rows": _goal_rows(request.actor, list(found.items)),
        "mix": mix,
    }
