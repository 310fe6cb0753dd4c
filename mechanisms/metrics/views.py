"""The metrics app's pages (MECHANISMS.md §8): the registry, a metric's page (series, completeness, lineage,
plans), the WBR decks (charts, box, commentary, exceptions first, snapshots, PDF/HTML/JSON), goals per team and
org unit. Thin: parse, call one service, render (kernel.pages). Templates are in `metrics/templates/metrics/`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import DomainError, NotFound, RuleViolation
from mechanisms.kernel.pages import page, show_error
from mechanisms.org import services as org_services

from . import services

# --- first part: the registry --------------------------------------------------------------------------------

# --- second part: data ---------------------------------------------------------------------------------------

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
