"""The experiments API (/api/v1/experiments/...): thin; each endpoint calls one service (docs/experiments.md)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Path, Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, WRITE_ERRORS, Id, PageOut, QueryText, page_out, responses
from mechanisms.kernel.errors import NotFound, RuleViolation

from . import plans as _plans
from . import schemas, services
from .contracts import ExperimentChanges, ExperimentView, PlanVersionView
from .contracts import Exposure as _Exposure
from .schemas import (
    AssignmentOut,
    AssignmentsIn,
    AssignmentsOut,
    EventsLoadOut,
    ExperimentDetailOut,
    ExperimentIn,
    ExperimentOut,
    ExperimentPatch,
    ExposureReportOut,
    ExposuresIn,
    ExposureSummaryOut,
    MetricSourceIn,
    MetricSourceOut,
    PlanVersionOut,
    RevisionIn,
)

router = Router(tags=["experiments"])

# The batch assignment is mounted before the first part's /experiments/{key} routes: Django matches in order, and
# "assignments" is a well-formed key (second part's endpoint, placed here for the order only).


@router.post("/experiments/assignments", response=responses(AssignmentsOut, 400, 401, 403, 404, 422))
def assign_units(request, payload: AssignmentsIn):
    """Each unit's variation in each experiment (`{"units": [...], "experiments": [...]}`), experiment by experiment,
    then unit by unit; at most 1,000 answers per call."""
    items = services.assign_units(actor=request.auth, keys=payload.experiments, unit_ids=payload.units)
    return {"items": items}


# first part: the registry

PathKey = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[a-z0-9][a-z0-9-]*$")]


def experiment_out(view: ExperimentView) -> dict[str, Any]:
    """An experiment as the API returns it: its fields, the plan in its JSON form, enums as their values."""
    out = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
    out["plan"] = _plans.plan_to_dict(view.plan)
    out["state"] = view.state.value
    out["decision"] = view.decision.value if view.decision else None
    out["review_reasons"] = list(view.review_reasons)
    return out


def _plan_version_out(view: PlanVersionView) -> dict[str, Any]:
    out = {f.name: getattr(view, f.name) for f in dataclasses.fields(view)}
    out["plan"] = _plans.plan_to_dict(view.plan)
    out["changed"] = list(view.changed)
    return out


def _plan(body: Any):
    return _plans.plan_from_dict(body.model_dump(mode="json"))


class ExperimentFilter(Schema):
    state: QueryText | None = None
    team_id: Id | None = None
    service_id: Id | None = None
    metric: QueryText | None = Field(None, description="the primary metric's registry name")
    text: QueryText | None = None
    limit: int = 50
    offset: int = 0


@router.get("/experiments", response=responses(PageOut[ExperimentOut], 400, *READ_ERRORS))
def list_experiments(request, filters: Query[ExperimentFilter]):
    """Experiments by state, team, service, primary metric and text; newest first. Paginated."""
    page = services.list_experiments(actor=request.auth, **filters.dict())
    return page_out(page, experiment_out)


@router.post("/experiments", response=responses(ExperimentOut, *WRITE_ERRORS, status=201))
def define_experiment(request, payload: ExperimentIn):
    """Register an experiment as a draft with its pre-registered plan (the team, or an admin)."""
    values = payload.dict()
    values["plan"] = _plan(payload.plan)
    return Status(201, experiment_out(services.define_experiment(actor=request.auth, **values)))


@router.get("/experiments/{key}", response=responses(ExperimentDetailOut, *READ_ERRORS))
def get_experiment(request, key: PathKey):
    """One experiment, its current plan, and the moves you may take now."""
    view = services.get_experiment(actor=request.auth, key=key)
    return {
        **experiment_out(view),
        "actions": list(services.experiment_moves(actor=request.auth, key=key)),
        "may_edit": services.may_write(actor=request.auth, key=key),
    }


@router.patch("/experiments/{key}", response=responses(ExperimentOut, *WRITE_ERRORS))
def edit_experiment(request, key: PathKey, payload: ExperimentPatch):
    """Change a draft (its team); `version` is the version you read: a stale one gets 409. After start the plan is
    frozen: file a revision (POST /experiments/{key}/plans)."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    if "plan" in sent:
        sent["plan"] = _plan(payload.plan) if payload.plan is not None else None
    changes = ExperimentChanges(**sent)
    return experiment_out(services.edit_experiment(actor=request.auth, key=key, version=version, changes=changes))


@router.get("/experiments/{key}/plans", response=responses(PageOut[PlanVersionOut], *READ_ERRORS))
def list_plan_versions(request, key: PathKey, limit: int = 50, offset: int = 0):
    """The plan's versions: the pre-registered first, then each reasoned revision filed after start."""
    page = services.list_plan_versions(actor=request.auth, key=key, limit=limit, offset=offset)
    return page_out(page, _plan_version_out)


@router.post("/experiments/{key}/plans", response=responses(ExperimentOut, *WRITE_ERRORS, status=201))
def revise_plan(request, key: PathKey, payload: RevisionIn):
    """File a reasoned plan revision after start (the variations, weights, primary metric, engine and difference
    never change)."""
    view = services.revise_plan(
        actor=request.auth, key=key, version=payload.version, plan=_plan(payload.plan), reason=payload.reason
    )
    return Status(201, experiment_out(view))


# One endpoint per declared transition of the experiment machine (machines.py): POST /experiments/{key}/<slug>.
TRANSITION_BODIES = machine_api.mount(
    router,
    services.MACHINE,
    base="/experiments",
    apply=lambda *, request_id, transition, **kw: experiment_out(
        services.apply_transition(key=request_id, name=transition, **kw)
    ),
    response=ExperimentOut,
    module=__name__,
    schema_prefix="Experiment",
    id_type=PathKey,
)

# --------------------------------------------------------------------------- second part: assignment and exposures
#
# The single assignment is the hot path (every page of a service that embeds an experiment may ask): one indexed
# read after the token's, no audit record, no page of data.


@router.get("/experiments/{key}/assignment", response=responses(AssignmentOut, 400, *READ_ERRORS))
def assign_unit(request, key: str, unit: QueryText):
    """The variation this unit sees (`?unit=...`): GrowthBook's hash of (key, unit) while the experiment runs."""
    return services.assign_unit(actor=request.auth, key=key, unit_id=unit)


@router.post("/experiments/{key}/exposures", response=responses(ExposureReportOut, 400, 401, 403, 404, 422))
def record_exposures(request, key: str, payload: ExposuresIn):
    """Record units' first exposures in bulk (`{"exposures": [{"unit_id", "at", "variation"}]}`, at most 10,000):
    all or nothing; a unit already exposed keeps its first exposure."""
    exposures = [_Exposure(unit_id=e.unit_id, at=e.at, variation=e.variation) for e in payload.exposures]
    return services.record_exposures(actor=request.auth, key=key, exposures=exposures)


@router.get("/experiments/{key}/exposures", response=responses(ExposureSummaryOut, *READ_ERRORS))
def exposure_summary(request, key: str):
    """Units exposed per variation, the control first, and the units first exposed each day."""
    summary = services.exposure_summary(actor=request.auth, key=key)
    return {
        "variations": summary.variations,
        "counts": summary.counts,
        "series": [{"day": day, "counts": counts} for day, counts in summary.series],
    }


# third part: analysis

Key = Annotated[str, Path(max_length=80)]


@router.post(
    "/experiments/{key}/analyses",
    response=responses(schemas.SnapshotOut, 400, 401, 403, 404, 409, 422, status=201),
)
def analyse_experiment(request, key: Key, payload: schemas.AnalysisIn | None = None):
    """Analyse the experiment where its data lives and keep the analysis as an immutable, numbered snapshot (the
    team; `final` for a stopped experiment is the analysis the decision reads)."""
    body = payload or schemas.AnalysisIn()
    view = services.analyse_experiment(actor=request.auth, key=key, through=body.through, final=body.final)
    return Status(201, schemas.snapshot_out(view))


@router.get("/experiments/{key}/analyses", response=responses(PageOut[schemas.SnapshotSummaryOut], *READ_ERRORS))
def list_analyses(request, key: Key, final: bool | None = None, limit: int = 50, offset: int = 0):
    """The experiment's analyses, newest first (summaries: the recommendation, exposures, SRM, hash)."""
    page = services.list_snapshots(actor=request.auth, key=key, final=final, limit=limit, offset=offset)
    return page_out(page, schemas.snapshot_summary)


@router.get("/experiments/{key}/analyses/{int:number}", response=responses(schemas.SnapshotOut, *READ_ERRORS))
def get_analysis(request, key: Key, number: int):
    """One analysis: the exact SQL run, the sufficient statistics, the results, the recommendation and the hash."""
    return schemas.snapshot_out(services.get_snapshot(actor=request.auth, key=key, number=number))


@router.get(
    "/experiments/{key}/analyses/{int:number}/verification",
    response=responses(schemas.SnapshotCheckOut, *READ_ERRORS),
)
def verify_analysis(request, key: Key, number: int):
    """Recompute an analysis's hash and re-run its statistics from the stored sufficient statistics."""
    check = services.verify_snapshot(actor=request.auth, key=key, number=number)
    return schemas.check_out(check)


@router.get("/experiments/{key}/series", response=responses(list[schemas.SeriesPointOut], *READ_ERRORS))
def cumulative_series(request, key: Key):
    """The primary metric's cumulative lift and interval per variation, one point a day with an analysis."""
    return [schemas.series_out(p) for p in services.cumulative_series(actor=request.auth, key=key)]


# fourth part: the decision and review

# ------------------------------------------------------------------ fifth part: metric events and sources

_EVENTS_BODY = {
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


@router.post(
    "/experiment-events",
    response=responses(EventsLoadOut, 400, 401, 403, 409, 413, 422, status=201),
    openapi_extra=_EVENTS_BODY,
)
def load_events(request: HttpRequest, file_name: QueryText = "events.csv", connection: QueryText = "default"):
    """Load a CSV of metric events (metric,unit_id,ts,value) into a data connection: the body as `text/csv` (name
    it with `?file_name=`) or a multipart upload (`file`). All or nothing: every problem is listed with its line and
    field in `details.problems`. 409 `connection_busy` while the DuckDB file is in use: try again."""
    if (request.content_type or "").startswith("multipart/form-data"):
        upload = request.FILES.get("file")
        if upload is None:
            raise RuleViolation("send the CSV as the multipart field 'file'", field="file")
        content, file_name = upload.read(), upload.name or file_name
    else:
        content = request.body
    report = services.load_events_csv(actor=request.auth, content=content, file_name=file_name, connection=connection)
    return Status(201, report)


@router.get("/experiment-metric-sources", response=responses(PageOut[MetricSourceOut], 400, *READ_ERRORS))
def list_metric_sources(request: HttpRequest, limit: int = 50, offset: int = 0):
    """Metric sources (where a metric's per-unit events live for experiments), by metric. Paginated."""
    return page_out(services.list_metric_sources(actor=request.auth, limit=limit, offset=offset))


@router.get("/experiment-metric-sources/{metric}", response=responses(MetricSourceOut, *READ_ERRORS))
def get_metric_source(request: HttpRequest, metric: str):
    """A metric's source (404 when it has none: its events are read from the connection's events table)."""
    found = services.find_metric_source(actor=request.auth, metric=metric)
    if found is None:
        raise NotFound(f"{metric[:80]} has no source; its events are read from mech_metric_events", field="metric")
    return found


@router.put("/experiment-metric-sources/{metric}", response=responses(MetricSourceOut))
def set_metric_source(request: HttpRequest, metric: str, payload: MetricSourceIn):
    """Set a metric's source: a data connection and one SELECT returning unit_id, ts, value (run once with no rows
    to check it); changing it names the `version` you read (a stale one is 409)."""
    return services.set_metric_source(actor=request.auth, metric=metric, **payload.dict())
