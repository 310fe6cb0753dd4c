"""The experiments API (/api/v1/experiments/...): thin; each endpoint calls one service (docs/experiments.md)."""

from __future__ import annotations

from typing import Annotated

from ninja import Path, Router, Status

from mechanisms.kernel.api import READ_ERRORS, PageOut, QueryText, page_out, responses

from . import schemas as _analysis_schemas
from . import services as _analysis_services
from . import services as _services
from .contracts import Exposure as _Exposure
from .schemas import (
    AssignmentOut,
    AssignmentsIn,
    AssignmentsOut,
    ExposureReportOut,
    ExposuresIn,
    ExposureSummaryOut,
)

router = Router(tags=["experiments"])

# first part: the registry

# --------------------------------------------------------------------------- second part: assignment and exposures
#
# The single assignment is the hot path (every page of a service that embeds an experiment may ask): one indexed
# read after the token's, no audit record, no page of data.


@router.post("/experiments/assignments", response=responses(AssignmentsOut, 400, 401, 403, 404, 422))
def assign_units(request, payload: AssignmentsIn):
    """Each unit's variation in each experiment (`{"units": [...], "experiments": [...]}`), experiment by experiment,
    then unit by unit; at most 1,000 answers per call."""
    items = _services.assign_units(actor=request.auth, keys=payload.experiments, unit_ids=payload.units)
    return {"items": items}


@router.get("/experiments/{key}/assignment", response=responses(AssignmentOut, 400, *READ_ERRORS))
def assign_unit(request, key: str, unit: QueryText):
    """The variation this unit sees (`?unit=...`): GrowthBook's hash of (key, unit) while the experiment runs."""
    return _services.assign_unit(actor=request.auth, key=key, unit_id=unit)


@router.post("/experiments/{key}/exposures", response=responses(ExposureReportOut, 400, 401, 403, 404, 422))
def record_exposures(request, key: str, payload: ExposuresIn):
    """Record units' first exposures in bulk (`{"exposures": [{"unit_id", "at", "variation"}]}`, at most 10,000):
    all or nothing; a unit already exposed keeps its first exposure."""
    exposures = [_Exposure(unit_id=e.unit_id, at=e.at, variation=e.variation) for e in payload.exposures]
    return _services.record_exposures(actor=request.auth, key=key, exposures=exposures)


@router.get("/experiments/{key}/exposures", response=responses(ExposureSummaryOut, *READ_ERRORS))
def exposure_summary(request, key: str):
    """Units exposed per variation, the control first, and the units first exposed each day."""
    summary = _services.exposure_summary(actor=request.auth, key=key)
    return {
        "variations": summary.variations,
        "counts": summary.counts,
        "series": [{"day": day, "counts": counts} for day, counts in summary.series],
    }


# third part: analysis

Key = Annotated[str, Path(max_length=80)]


@router.post(
    "/experiments/{key}/analyses",
    response=responses(_analysis_schemas.SnapshotOut, 400, 401, 403, 404, 409, 422, status=201),
)
def analyse_experiment(request, key: Key, payload: _analysis_schemas.AnalysisIn | None = None):
    """Analyse the experiment where its data lives and keep the analysis as an immutable, numbered snapshot (the
    team; `final` for a stopped experiment is the analysis the decision reads)."""
    body = payload or _analysis_schemas.AnalysisIn()
    view = _analysis_services.analyse_experiment(actor=request.auth, key=key, through=body.through, final=body.final)
    return Status(201, _analysis_schemas.snapshot_out(view))


@router.get(
    "/experiments/{key}/analyses", response=responses(PageOut[_analysis_schemas.SnapshotSummaryOut], *READ_ERRORS)
)
def list_analyses(request, key: Key, final: bool | None = None, limit: int = 50, offset: int = 0):
    """The experiment's analyses, newest first (summaries: the recommendation, exposures, SRM, hash)."""
    page = _analysis_services.list_snapshots(actor=request.auth, key=key, final=final, limit=limit, offset=offset)
    return page_out(page, _analysis_schemas.snapshot_summary)


@router.get("/experiments/{key}/analyses/{int:number}", response=responses(_analysis_schemas.SnapshotOut, *READ_ERRORS))
def get_analysis(request, key: Key, number: int):
    """One analysis: the exact SQL run, the sufficient statistics, the results, the recommendation and the hash."""
    return _analysis_schemas.snapshot_out(_analysis_services.get_snapshot(actor=request.auth, key=key, number=number))


@router.get(
    "/experiments/{key}/analyses/{int:number}/verification",
    response=responses(_analysis_schemas.SnapshotCheckOut, *READ_ERRORS),
)
def verify_analysis(request, key: Key, number: int):
    """Recompute an analysis's hash and re-run its statistics from the stored sufficient statistics."""
    check = _analysis_services.verify_snapshot(actor=request.auth, key=key, number=number)
    return _analysis_schemas.check_out(check)


@router.get("/experiments/{key}/series", response=responses(list[_analysis_schemas.SeriesPointOut], *READ_ERRORS))
def cumulative_series(request, key: Key):
    """The primary metric's cumulative lift and interval per variation, one point a day with an analysis."""
    return [_analysis_schemas.series_out(p) for p in _analysis_services.cumulative_series(actor=request.auth, key=key)]


# fourth part: the decision and review
