"""API of the metrics app (MECHANISMS.md §8), under /api/v1/: the registry (/metrics), data (/metrics/{id}/values,
/metric-loads, /metrics/{id}/sql-source), decks (/decks), goals (/goals).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpResponse
from ninja import Field, Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import (
    READ_ERRORS,
    WRITE_ERRORS,
    Date,
    Id,
    InSchema,
    OutSchema,
    PageOut,
    QueryText,
    Text,
    Version,
    page_out,
    responses,
)
from mechanisms.kernel.changes import changes_from
from mechanisms.kernel.errors import RuleViolation

from . import services
from . import services as data_services
from .contracts import GoalChanges, MetricChanges, ValuePoint
from .goal_schemas import GoalIn, GoalMixOut, GoalOut, GoalPatch, GoalProgressOut, GoalViewOut
from .schemas import LineageOut, MetricIn, MetricOut, MetricPatch, PlanIn, PlanRowOut, RetireIn, RevisionOut

router = Router(tags=["metrics"])

# --- first part: the registry --------------------------------------------------------------------------------


def _actor(request):
    return request.auth


class MetricFilter(Schema):
    kind: QueryText | None = None
    team_id: Id | None = None
    owner_id: Id | None = None
    text: QueryText | None = None
    retired: bool | None = None
    limit: int = 50
    offset: int = 0


@router.get("/metrics", response=responses(PageOut[MetricOut], 400, *READ_ERRORS))
def list_metrics(request, filters: Query[MetricFilter]):
    """The registry by name: by kind (input, output), team, owner, words of name, title or definition, retired."""
    return page_out(services.list_metrics(actor=_actor(request), **filters.dict()))


@router.post("/metrics", response=responses(MetricOut, 400, 401, 403, 404, 422, status=201))
def define_metric(request, payload: MetricIn):
    """Define a metric (revision 1). An input metric needs a lever and an owner in its team; a compound metric is
    refused (only a ratio of two base metrics' period sums); lineage names the metric it evolved from, and why."""
    return Status(201, services.define_metric(actor=_actor(request), **payload.dict()))


@router.get("/metrics/by-name", response=responses(MetricOut, *READ_ERRORS))
def get_metric_by_name(request, name: QueryText):
    """One metric by its name (`?name=Defects/Million`)."""
    return services.get_metric_by_name(actor=_actor(request), name=name)


@router.get("/metrics/{int:metric_id}", response=responses(MetricOut, *READ_ERRORS))
def get_metric(request, metric_id: Id):
    """One metric by id."""
    return services.get_metric(actor=_actor(request), metric_id=metric_id)


@router.patch("/metrics/{int:metric_id}", response=responses(MetricOut))
def revise_metric(request, metric_id: Id, payload: MetricPatch):
    """Revise a metric's definition (a new revision; the reason is required). `version` is the version you read:
    a stale one gets 409. `formula: null` makes a ratio a base metric again; `evolved_from_id: null` clears it."""
    sent = payload.dict(exclude_unset=True)
    version, reason = sent.pop("version"), sent.pop("reason")
    changes = changes_from(MetricChanges, sent)
    return services.revise_metric(
        actor=_actor(request), metric_id=metric_id, version=version, reason=reason, changes=changes
    )


@router.post("/metrics/{int:metric_id}/retire", response=responses(MetricOut))
def retire_metric(request, metric_id: Id, payload: RetireIn):
    """Retire a metric from today (it stays readable; it is no longer revised or planned)."""
    return services.retire_metric(actor=_actor(request), metric_id=metric_id, **payload.dict())


@router.get("/metrics/{int:metric_id}/revisions", response=responses(PageOut[RevisionOut], *READ_ERRORS))
def list_revisions(request, metric_id: Id, limit: int = 50, offset: int = 0):
    """A metric's revisions, newest first, each with the fields that changed. Paginated."""
    return page_out(services.list_revisions(actor=_actor(request), metric_id=metric_id, limit=limit, offset=offset))


@router.get("/metrics/{int:metric_id}/revisions/{int:number}", response=responses(RevisionOut, *READ_ERRORS))
def get_revision(request, metric_id: Id, number: Id):
    """One revision of a metric's definition: all its fields as they were."""
    return services.get_revision(actor=_actor(request), metric_id=metric_id, number=number)


@router.get("/metrics/{int:metric_id}/lineage", response=responses(LineageOut, *READ_ERRORS))
def get_lineage(request, metric_id: Id):
    """Where a metric comes from (ancestors, oldest first, with why) and what evolved from it."""
    return services.lineage(actor=_actor(request), metric_id=metric_id)


@router.put("/metrics/{int:metric_id}/plan", response=responses(list[PlanRowOut]))
def set_plan(request, metric_id: Id, payload: PlanIn):
    """Replace a metric's plan, all or nothing: weeks (7 days), months, fiscal quarters and years (whole months)."""
    values = [(v.period, v.start, v.end, v.value) for v in payload.values]
    return services.set_plan(actor=_actor(request), metric_id=metric_id, values=values, replace=True)


@router.get("/metrics/{int:metric_id}/plan", response=responses(PageOut[PlanRowOut], 400, *READ_ERRORS))
def list_plan(request, metric_id: Id, period: QueryText | None = None, limit: int = 50, offset: int = 0):
    """A metric's plan values by period and start. Paginated."""
    return page_out(
        services.list_plan(actor=_actor(request), metric_id=metric_id, period=period, limit=limit, offset=offset)
    )


# --- second part: data ---------------------------------------------------------------------------------------


class ValueIn(InSchema):
    day: Date
    value: float | None = Field(description="the value; null is a blank (the source has no figure), never 0")


class ValuesIn(InSchema):
    values: list[ValueIn] = Field(max_length=10_000)


class ValueOut(OutSchema):
    day: dt.date
    value: float | None


class LoadOut(OutSchema):
    id: int
    source: str
    actor_id: int | None
    file_name: str
    metric_ids: list[int]
    metric_names: list[str]
    added: int
    changed: int
    unchanged: int
    created_at: dt.datetime | None = None
    first_day: dt.date | None = None
    last_day: dt.date | None = None


class SeriesOut(OutSchema):
    metric_id: int
    name: str
    grain: str
    start: dt.date
    end: dt.date
    points: list[ValueOut]
    missing: list[dt.date]


class WeekOut(OutSchema):
    week_ending: dt.date
    expected: int
    missing: list[dt.date]
    blank: list[dt.date]
    complete: bool


class CompletenessOut(OutSchema):
    metric_id: int
    name: str
    grain: str
    start: dt.date
    end: dt.date
    week_ends_on: int
    complete: bool
    missing_days: int
    blank_days: int
    weeks: list[WeekOut]


class SqlSourceIn(InSchema):
    engine: str = Field("duckdb", description="duckdb | postgresql (or a configured warehouse engine)")
    connection: str = Field("default", max_length=64, description="a name in MECH_METRICS_CONNECTIONS")
    query: str = Field(max_length=20_000, description="one SELECT (or WITH ... SELECT) returning (day, value) rows")
    every_hours: int = Field(24, ge=1, le=720)
    enabled: bool = True
    version: int | None = Field(None, ge=1, description="the version you read; omit when creating")


class SqlSourceOut(OutSchema):
    metric_id: int
    engine: str
    connection: str
    query: str
    every_hours: int
    enabled: bool
    version: int
    last_run_at: dt.datetime | None = None
    last_status: str = ""
    last_error: str = ""
    last_rows: int | None = None
    next_run_at: dt.datetime | None = None


def _data_actor(request):
    return request.auth


@router.post("/metrics/{int:metric_id}/values", response=responses(LoadOut, 400, 401, 403, 404, 422))
def push_values(request, metric_id: Id, payload: ValuesIn):
    """Push values of one metric: `{"values": [{"day": "2026-03-31", "value": 12.5}, ...]}` (null: a blank).
    Idempotent: values already stored are left alone; the report counts added, changed and unchanged."""
    points = [ValuePoint(day=v.day, value=v.value) for v in payload.values]
    return data_services.push_values(actor=_data_actor(request), metric_id=metric_id, values=points)


@router.get("/metrics/{int:metric_id}/values", response=responses(SeriesOut, 400, *READ_ERRORS))
def get_values(request, metric_id: Id, start: Date | None = None, end: Date | None = None):
    """A metric's values between start and end inclusive (default: the 70 days to today), with the days never
    loaded under `missing`; a blank is a point with value null."""
    return data_services.get_series(actor=_data_actor(request), metric_id=metric_id, start=start, end=end)


@router.get("/metrics/{int:metric_id}/completeness", response=responses(CompletenessOut, 400, *READ_ERRORS))
def get_completeness(
    request,
    metric_id: Id,
    start: Date | None = None,
    end: Date | None = None,
    week_ends_on: int | None = Query(None, ge=0, le=6),
):
    """Per week ending between start and end (default: the last 10 ended weeks): the expected days, the missing
    and the blank ones, and whether the week is complete."""
    return data_services.completeness(
        actor=_data_actor(request), metric_id=metric_id, start=start, end=end, week_ends_on=week_ends_on
    )


_CSV_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
        },
    }
}


@router.post("/metric-loads", response=responses(LoadOut, 400, 401, 403, 413, 422, status=201), openapi_extra=_CSV_BODY)
def load_csv(request, file_name: QueryText = "upload.csv"):
    """Load a CSV of values: the body as `text/csv` (name it with `?file_name=`) or a multipart upload (`file`).
    Long `date,metric,value` or wide `date,<metric>,...`; all or nothing (every problem listed with its line and
    field in `details.problems`); re-loading the same file changes nothing."""
    if (request.content_type or "").startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        if upload is None:
            raise RuleViolation("send the CSV as the multipart field 'file'", field="file")
        content, file_name = upload.read(), upload.name or file_name
    else:
        content = request.body
    report = data_services.load_values_csv(actor=_data_actor(request), content=content, file_name=file_name)
    return Status(201, report)


@router.get("/metric-loads", response=responses(PageOut[LoadOut], 400, *READ_ERRORS))
def list_loads(request, metric_id: Id | None = None, limit: int = 50, offset: int = 0):
    """Loads, newest first (CSV uploads, API pushes, SQL pulls), optionally of one metric. Paginated."""
    return page_out(
        data_services.list_loads(actor=_data_actor(request), metric_id=metric_id, limit=limit, offset=offset)
    )


@router.get("/metrics/{int:metric_id}/sql-source", response=responses(SqlSourceOut, *READ_ERRORS))
def get_sql_source(request, metric_id: Id):
    """The metric's SQL source and how its last run went (404 when it has none)."""
    return data_services.get_sql_source(actor=_data_actor(request), metric_id=metric_id)


@router.put("/metrics/{int:metric_id}/sql-source", response=responses(SqlSourceOut))
def set_sql_source(request, metric_id: Id, payload: SqlSourceIn):
    """Set the metric's SQL source (engine, named connection, one SELECT returning (day, value), every N hours);
    changing it names the `version` you read (a stale one is 409)."""
    return data_services.set_sql_source(actor=_data_actor(request), metric_id=metric_id, **payload.dict())


@router.post("/metrics/{int:metric_id}/sql-source/run", response=responses(LoadOut))
def run_sql_source(request, metric_id: Id):
    """Run the metric's SQL query now and load its rows; a failure is stored on the source, told to the owner and
    answered 400 on `query`."""
    return data_services.run_sql_source(actor=_data_actor(request), metric_id=metric_id)


# --- third part: decks and snapshots -------------------------------------------------------------------------


class DeckIn(InSchema):
    slug: Text
    title: Text
    unit_id: Id | None = None
    team_id: Id | None = None
    week_ends_on: int | None = None  # default: settings.MECH_WEEK_ENDS_ON
    fiscal_year_end_month: int | None = None  # default: settings.MECH_FISCAL_YEAR_END_MONTH
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


class GoalFilter(Schema):
    team_id: Id | None = None
    unit_id: Id | None = None
    year: int | None = None
    state: QueryText | None = None
    metric_id: Id | None = None
    limit: int = 50
    offset: int = 0


@router.get("/goals", response=responses(PageOut[GoalOut], 400, *READ_ERRORS))
def list_goals(request, filters: Query[GoalFilter]):
    """Teams' goals, by team, org unit (its subtree), year, state and metric. Paginated."""
    return page_out(services.list_goals(actor=request.auth, **filters.dict()))


@router.post("/goals", response=responses(GoalOut, *WRITE_ERRORS, status=201))
def create_goal(request, payload: GoalIn):
    """Draft a team's goal (its members or leader): a registry metric, a numeric target and measure, a start and a
    due date within the year; `propose` proposes it to leadership at once."""
    values = payload.dict()
    make = services.propose_goal if values.pop("propose") else services.create_goal
    return Status(201, make(actor=request.auth, **values))


@router.get("/goals/mix", response=responses(GoalMixOut, 400, *READ_ERRORS))
def goal_mix(request, year: int, team_id: Id | None = None, unit_id: Id | None = None):
    """The share of a year's goals tied to input versus output metrics, per team and for the team or unit subtree,
    with a warning for each output-only goal set."""
    return services.goal_mix(actor=request.auth, team_id=team_id, unit_id=unit_id, year=year)


@router.get("/goals/{int:goal_id}", response=responses(GoalViewOut, *READ_ERRORS))
def get_goal(request, goal_id: Id):
    """One goal and the moves you may take now."""
    return services.goal_view(actor=request.auth, goal_id=goal_id)


@router.patch("/goals/{int:goal_id}", response=responses(GoalOut, *WRITE_ERRORS))
def change_goal(request, goal_id: Id, payload: GoalPatch):
    """Change a draft goal (its team); `version` is the version you read: a stale one gets 409."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    changes = changes_from(GoalChanges, sent)
    return services.change_goal(actor=request.auth, goal_id=goal_id, version=version, changes=changes)


@router.get("/goals/{int:goal_id}/progress", response=responses(GoalProgressOut, *READ_ERRORS))
def goal_progress(request, goal_id: Id):
    """A goal's progress from its metric's data and the date: the measured figure, the share of the way and of the
    time, and the status (no_data, naming the missing days, when the measured period is incomplete)."""
    return services.goal_progress(actor=request.auth, goal_id=goal_id)


# One endpoint per declared transition of the goal machine (metrics/machines.py): POST /goals/{goal_id}/<slug>.
GOAL_TRANSITION_BODIES = machine_api.mount(
    router,
    services.GOAL_MACHINE,
    base="/goals",
    apply=lambda *, request_id, **kw: services.apply_goal_transition(goal_id=request_id, **kw),
    response=GoalOut,
    module=__name__,
    schema_prefix="Goal",
)
