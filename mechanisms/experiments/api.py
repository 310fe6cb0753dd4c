"""The experiments API (/api/v1/experiments/...): thin; each endpoint calls one service (docs/experiments.md)."""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

from ninja import Field, Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, WRITE_ERRORS, Id, PageOut, QueryText, page_out, responses

from . import plans as _plans
from . import services
from .contracts import ExperimentChanges, ExperimentView, PlanVersionView
from .contracts import Exposure as _Exposure
from .schemas import (
    AssignmentOut,
    AssignmentsIn,
    AssignmentsOut,
    ExperimentDetailOut,
    ExperimentIn,
    ExperimentOut,
    ExperimentPatch,
    ExposureReportOut,
    ExposuresIn,
    ExposureSummaryOut,
    PlanVersionOut,
    RevisionIn,
)

router = Router(tags=["experiments"])

# --------------------------------------------------------------------------- second part: assignment and exposures
#
# The single assignment is the hot path (every page of a service that embeds an experiment may ask): one indexed
# read after the token's, no audit record, no page of data. Its routes come before the registry's: POST
# /experiments/assignments would otherwise meet GET/PATCH /experiments/{key} first (405).


@router.post("/experiments/assignments", response=responses(AssignmentsOut, 400, 401, 403, 404, 422))
def assign_units(request, payload: AssignmentsIn):
    """Each unit's variation in each experiment (`{"units": [...], "experiments": [...]}`), experiment by experiment,
    then unit by unit; at most 1,000 answers per call."""
    items = services.assign_units(actor=request.auth, keys=payload.experiments, unit_ids=payload.units)
    return {"items": items}


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


# third part: analysis

# fourth part: the decision and review
