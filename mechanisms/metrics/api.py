"""API of the metrics app (MECHANISMS.md §8), under /api/v1/: the registry (/metrics), data (/metrics/{id}/values,
/metric-loads, /metrics/{id}/sql-source), decks (/decks), goals (/goals).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from ninja import Router, Status

from mechanisms.kernel.api import (
    READ_ERRORS,
    Date,
    Id,
    InSchema,
    OutSchema,
    PageOut,
    Text,
    Version,
    page_out,
    responses,
)

from . import services

router = Router(tags=["metrics"])

# --- first part: the registry --------------------------------------------------------------------------------

# --- second part: data ---------------------------------------------------------------------------------------

# --- third part: decks and snapshots -------------------------------------------------------------------------


class DeckIn(InSchema):
    slug: Text
    title: Text
    unit_id: Id | None = None
    team_id: Id | None = None
    week_ends_on: int = 5
    fiscal_year_end_month: int = 12
    description: Text = ""
    owner_id: Id | None = None


class DeckPatch(InSchema):
    version: Version
    slug: Text | None = None
    title: Text | None = None
    description: Text | None = None
    week_ends_on: int | None = None
    fiscal_year_end_month: int | None = None


class DeckRowIn(InSchema):
    metric_id: Id
    label: Text = ""
    number_format: Text = ""


class DeckRowsIn(InSchema):
    version: Version
    rows: list[DeckRowIn]


class DeckLineOut(OutSchema):
    position: int
    metric_id: int
    metric_name: str
    label: str
    number_format: str


class DeckOut(OutSchema):
    id: int
    slug: str
    title: str
    unit_id: int | None
    team_id: int | None
    owner_id: int
    week_ends_on: int
    fiscal_year_end_month: int
    description: str
    version: int
    rows: list[DeckLineOut]


class NoteIn(InSchema):
    metric_id: Id
    week_ending: Date
    body: Text
    version: Version | None = None


class NoteOut(OutSchema):
    id: int
    deck_id: int
    metric_id: int
    week_ending: dt.date
    author_id: int
    body: str
    html: str
    version: int


class SnapshotIn(InSchema):
    week_ending: Date | None = None


class SnapshotSummaryOut(OutSchema):
    id: int
    deck_id: int
    week_ending: dt.date
    taken_by_id: int | None
    created_at: dt.datetime


class SnapshotOut(SnapshotSummaryOut):
    payload: dict[str, Any]


class RowComparisonOut(OutSchema):
    name: str
    label: str
    box_a: dict[str, float | None] | None
    box_b: dict[str, float | None] | None
    changed: list[str]
    note_a: str
    note_b: str


class ComparisonOut(OutSchema):
    deck_id: int
    week_a: dt.date
    week_b: dt.date
    rows: list[RowComparisonOut]
    added: list[str]
    removed: list[str]


def _deck_actor(request):
    return request.auth


def _built(view) -> dict[str, Any]:
    from .rules import deck_to_dict

    body = deck_to_dict(view.result)
    return {
        "deck": DeckOut.model_validate(view.deck).model_dump(),
        "week_ending": view.result.week_ending,
        "week_number": view.result.week_number,
        "previous_week": view.previous_week,
        "next_week": view.next_week,
        "waiting_on": list(view.waiting_on),
        "rows": [
            {
                "name": r.result.name,
                "metric_id": r.metric_id,
                "owner_id": r.owner_id,
                "exception": r.result.exception,
                "needs_note": r.needs_note,
                "note": NoteOut.model_validate(r.note).model_dump() if r.note else None,
            }
            for r in view.rows
        ],
        **body,
    }


@router.get("/decks", response=responses(PageOut[DeckOut], *READ_ERRORS))
def list_decks(request, team_id: Id | None = None, unit_id: Id | None = None, limit: int = 50, offset: int = 0):
    """The WBR decks, by title; by team or org unit. Paginated."""
    kw: dict[str, Any] = {}
    if team_id is not None or unit_id is not None:
        kw = {"team_ids": [team_id] if team_id else [], "unit_ids": [unit_id] if unit_id else []}
    return page_out(services.list_decks(actor=_deck_actor(request), limit=limit, offset=offset, **kw))


@router.post("/decks", response=responses(DeckOut, status=201))
def create_deck(request, payload: DeckIn):
    """Create a deck (a unit's by its leader or a leader above; a team's by its members or leader; admins)."""
    return Status(201, services.create_deck(actor=_deck_actor(request), **payload.dict()))


@router.get("/decks/{int:deck_id}", response=responses(DeckOut, *READ_ERRORS))
def get_deck(request, deck_id: Id):
    """One deck and its rows in order."""
    return services.get_deck(actor=_deck_actor(request), deck_id=deck_id)


@router.patch("/decks/{int:deck_id}", response=responses(DeckOut))
def change_deck(request, deck_id: Id, payload: DeckPatch):
    """Change a deck (its owner or an admin); a stale version is a 409."""
    sent = {k: v for k, v in payload.dict().items() if v is not None}
    return services.change_deck(actor=_deck_actor(request), deck_id=deck_id, **sent)


@router.put("/decks/{int:deck_id}/rows", response=responses(DeckOut))
def set_deck_rows(request, deck_id: Id, payload: DeckRowsIn):
    """Set the deck's rows in order (1-12 metrics, each once); a stale version is a 409."""
    rows = [(r.metric_id, r.label, r.number_format) for r in payload.rows]
    return services.set_deck_rows(actor=_deck_actor(request), deck_id=deck_id, version=payload.version, rows=rows)


@router.get("/decks/{int:deck_id}/build", response=responses(dict[str, Any], 400, *READ_ERRORS))
def build_deck(request, deck_id: Id, week_ending: Date | None = None, exceptions_first: bool = False):
    """The deck built for a week (default: the last complete one): under `metrics` per metric name the 6 weeks,
    12 months and the box (null where a period is incomplete), with each row's owner, note and exception."""
    view = services.build_deck(
        actor=_deck_actor(request), deck_id=deck_id, week_ending=week_ending, exceptions_first=exceptions_first
    )
    return _built(view)


@router.get("/decks/{int:deck_id}/export.{fmt}", response=responses(None, 400, *READ_ERRORS))
def export_deck(request, deck_id: Id, fmt: str, week_ending: Date | None = None):
    """The deck as a file: json (issue 12's keys), html (one self-contained file) or pdf."""
    content, media, name = services.export_deck(
        actor=_deck_actor(request), deck_id=deck_id, week_ending=week_ending, format=fmt
    )
    response = HttpResponse(content, content_type=media)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/decks/{int:deck_id}/commentary", response=responses(PageOut[NoteOut], 400, *READ_ERRORS))
def list_commentary(request, deck_id: Id, week_ending: Date | None = None, limit: int = 50, offset: int = 0):
    """The deck's notes, newest week first (one week's when asked). Paginated."""
    found = services.list_commentary(
        actor=_deck_actor(request), deck_id=deck_id, week_ending=week_ending, limit=limit, offset=offset
    )
    return page_out(found)


@router.post("/decks/{int:deck_id}/commentary", response=responses(NoteOut))
def comment_on_metric(request, deck_id: Id, payload: NoteIn):
    """Write (no version) or change (the version you read) the note on one metric of one week's deck: the metric's
    owner, its team's members, or the deck's owner."""
    return services.comment_on_metric(actor=_deck_actor(request), deck_id=deck_id, **payload.dict())


@router.get("/decks/{int:deck_id}/snapshots", response=responses(PageOut[SnapshotSummaryOut], *READ_ERRORS))
def list_snapshots(request, deck_id: Id, limit: int = 50, offset: int = 0):
    """The deck's frozen weeks, newest first. Paginated."""
    return page_out(services.list_snapshots(actor=_deck_actor(request), deck_id=deck_id, limit=limit, offset=offset))


@router.post("/decks/{int:deck_id}/snapshots", response=responses(SnapshotOut, status=201))
def take_snapshot(request, deck_id: Id, payload: SnapshotIn):
    """Freeze the deck of an ended week (default: the last one); a second call returns the first snapshot."""
    snap = services.take_snapshot(actor=_deck_actor(request), deck_id=deck_id, week_ending=payload.week_ending)
    return Status(201, snap)


@router.get("/decks/{int:deck_id}/snapshots/compare", response=responses(ComparisonOut, 400, *READ_ERRORS))
def compare_snapshots(request, deck_id: Id, week_a: Date, week_b: Date):
    """Two frozen weeks side by side: each row's box, what changed, added and removed rows, the notes."""
    return services.compare_snapshots(actor=_deck_actor(request), deck_id=deck_id, week_a=week_a, week_b=week_b)


@router.get("/decks/{int:deck_id}/snapshots/{week_ending}", response=responses(SnapshotOut, 400, *READ_ERRORS))
def get_snapshot(request, deck_id: Id, week_ending: Date):
    """One frozen week: the deck as it was presented (payload: deck, result, commentary, completeness)."""
    return services.get_snapshot(actor=_deck_actor(request), deck_id=deck_id, week_ending=week_ending)


# --- fourth part: goals --------------------------------------------------------------------------------------
