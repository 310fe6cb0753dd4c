"""The experiments API (/api/v1/experiments/...): thin; each endpoint calls one service (docs/experiments.md)."""

from __future__ import annotations

from typing import Annotated

from ninja import Path, Router, Status

from mechanisms.kernel.api import READ_ERRORS, PageOut, page_out, responses

from . import schemas as _analysis_schemas
from . import services as _analysis_services

router = Router(tags=["experiments"])

# first part: the registry

# second part: assignment and exposures

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
