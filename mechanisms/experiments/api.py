"""The experiments API (/api/v1/experiments/...): thin; each endpoint calls one service (docs/experiments.md)."""

from __future__ import annotations

from ninja import Router

from mechanisms.kernel.api import READ_ERRORS, QueryText, responses

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
    return _services.exposure_summary(actor=request.auth, key=key)


# third part: analysis

# fourth part: the decision and review
