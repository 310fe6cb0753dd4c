"""Pydantic schemas of the experiments API (parts add theirs)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from ninja import Field
from pydantic import BeforeValidator

from mechanisms.kernel.api import Date, Id, InSchema, OutSchema, Text, Version

# ------------------------------------------------------------------------------------- first part: the registry

Key = Annotated[str, Field(min_length=1, max_length=80, description="a slug: the assignment seed")]
Name = Annotated[str, Field(min_length=1, max_length=200)]
LongText = Annotated[str, Field(max_length=20000)]
Number = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]
StatisticIn = Literal["proportion", "mean", "ratio"]


class VariationIn(InSchema):
    key: Key
    name: Annotated[str, Field(max_length=200)] = ""
    weight: Number = Field(description="above 0; the weights sum to 1")


class MetricSpecIn(InSchema):
    metric: Annotated[str, Field(min_length=1, max_length=200, description="a registry metric's name")]
    statistic: StatisticIn = "mean"
    cuped: bool = False
    denominator: Annotated[str, Field(max_length=200)] | None = Field(None, description="a ratio's denominator")
    tolerance: Number = Field(0.0, description="a guardrail's tolerated relative harm")


class PriorIn(InSchema):
    mean: Number = 0.0
    stddev: Number = 0.3


class PlanIn(InSchema):
    """The pre-registered plan (docs/experiments.md): the first variation is the control; the primary metric is an
    input metric of the registry; planned_sample_size 0 with a baseline asks the power calculation."""

    variations: Annotated[list[VariationIn], Field(max_length=20)]
    primary: MetricSpecIn
    guardrails: Annotated[list[MetricSpecIn], Field(max_length=50)] = []
    secondary: Annotated[list[MetricSpecIn], Field(max_length=50)] = []
    engine: Literal["frequentist", "sequential", "bayesian"] = "frequentist"
    difference: Literal["relative", "absolute"] = "relative"
    alpha: Number = 0.05
    power: Number = 0.8
    sequential_tuning: Number = 5000.0
    prior: PriorIn | None = None
    correction: Literal["none", "holm", "bh"] = "holm"
    mde: Number = Field(0.02, description="the minimum detectable effect, relative to the control mean")
    baseline_mean: Number | None = None
    baseline_stddev: Number | None = None
    planned_sample_size: Annotated[int, Field(ge=0, le=10**12)] = 0
    stop_rule: Literal["sample_size", "end_date", "sequential"] = "sample_size"
    planned_end: Date | None = None
    covariate_days: Annotated[int, Field(ge=1, le=365)] = 14


class ExperimentIn(InSchema):
    key: Key
    name: Name
    hypothesis: Annotated[str, Field(min_length=1, max_length=20000)]
    team_id: Id
    owner_id: Id = Field(description="a member or the leader of the team")
    service_id: Id | None = Field(None, description="a service the team owns")
    high_impact: bool = False
    plan: PlanIn
    connection: Annotated[str, Field(min_length=1, max_length=80)] = "default"
    hash_version: Literal[1, 2] = 2


class ExperimentPatch(InSchema):
    """A draft's changes; after start the plan is frozen (file a revision)."""

    version: Version
    name: Name | None = None
    hypothesis: LongText | None = None
    service_id: Id | None = None
    high_impact: bool | None = None
    plan: PlanIn | None = None


class RevisionIn(InSchema):
    version: Version
    plan: PlanIn
    reason: Annotated[str, Field(min_length=1, max_length=20000)]


class ExperimentOut(OutSchema):
    id: int
    key: str
    name: str
    hypothesis: str
    team_id: int
    team_name: str
    owner_id: int
    owner_name: str
    service_id: int | None
    service_name: str | None
    state: str
    high_impact: bool
    hash_version: int
    connection: str
    plan: dict[str, Any]
    plan_number: int
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    stop_reason: str
    stopped_early: bool
    decision: str | None
    decision_variation: str | None
    decision_rationale: str
    decided_by_id: int | None
    decided_at: dt.datetime | None
    review_reasons: list[str]
    created_at: dt.datetime
    version: int


class ExperimentDetailOut(ExperimentOut):
    actions: list[str] = Field(description="the transitions you may take now")
    may_edit: bool


class PlanVersionOut(OutSchema):
    number: int
    plan: dict[str, Any]
    reason: str
    after_start: bool
    changed: list[str]
    created_by_id: int | None
    created_by_name: str
    created_at: dt.datetime


# ------------------------------------------------------------------------ second part: assignment and exposures


def _iso_datetime(value: Any) -> Any:
    """A moment is an ISO 8601 string (`2026-03-31T09:15:00Z`); a number is not read as seconds since 1970."""
    if value is None or isinstance(value, dt.datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date and time as an ISO 8601 string, e.g. 2026-03-31T09:15:00Z")
    try:
        return dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date and time as an ISO 8601 string, e.g. 2026-03-31T09:15:00Z") from None


Moment = Annotated[dt.datetime, BeforeValidator(_iso_datetime)]


class AssignmentOut(OutSchema):
    """A unit's variation: null while the experiment is not running (show the control), or after a decision to
    ship, the shipped variation for every unit (bucket null). `hash_version` and `bucket` are the hash's."""

    experiment: str
    unit_id: str
    variation: str | None
    index: int | None
    hash_version: int
    bucket: float | None


class AssignmentsIn(InSchema):
    """Every unit in every experiment: at most 1,000 answers (units x experiments), 100 experiments."""

    units: list[Text] = Field(min_length=1, max_length=1000)
    experiments: list[Text] = Field(min_length=1, max_length=100)


class AssignmentsOut(OutSchema):
    items: list[AssignmentOut]


class ExposureIn(InSchema):
    unit_id: Text
    at: Moment | None = Field(None, description="ISO 8601 with a time zone; default now")
    variation: Text | None = Field(None, description="the variation key shown; refused when it disagrees")


class ExposuresIn(InSchema):
    exposures: list[ExposureIn] = Field(min_length=1, max_length=10_000)


class ExposureReportOut(OutSchema):
    recorded: int
    repeated: int


class ExposureDayOut(OutSchema):
    day: dt.date
    counts: list[int]


class ExposureSummaryOut(OutSchema):
    """Units exposed per variation (control first) and the units first exposed each day."""

    variations: list[str]
    counts: list[int]
    series: list[ExposureDayOut]


# ----------------------------------------------------------------------------------------- third part: analysis

# ------------------------------------------------------------------------ fourth part: the decision and review
