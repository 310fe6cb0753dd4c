"""API of the metrics app (MECHANISMS.md §8), under /api/v1/: the registry (/metrics), data (/metrics/{id}/values,
/metric-loads, /metrics/{id}/sql-source), decks (/decks), goals (/goals).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from mechanisms.kernel.api import READ_ERRORS, Id, PageOut, QueryText, page_out, responses
from mechanisms.kernel.changes import changes_from

from . import services
from .contracts import MetricChanges
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

# --- third part: decks and snapshots -------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------
