"""API schemas of the metrics app (entry point only). Each part adds its schemas under its own heading."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from ninja import Field

from mechanisms.kernel.api import Date, Id, InSchema, OutSchema, Text, Version, choice

from .contracts import Aggregation, Comparison, Direction, Grain, Kind, Period

# --- first part: the registry ----------------------------------------------------------------------------------

MetricName = Annotated[Text, Field(min_length=1, max_length=120, description="letters, digits, spaces and ._-/")]
LongText = Annotated[Text, Field(max_length=20000)]
Formula = Annotated[
    dict[str, Any] | None,
    Field(description='only a ratio: {"ratio": {"numerator": NAME, "denominator": NAME}}; blends are refused'),
]


class MetricIn(InSchema):
    name: MetricName
    title: Annotated[Text, Field(min_length=1, max_length=200)]
    kind: choice(Kind)
    definition: Annotated[LongText, Field(min_length=1, description="what exactly is counted (Markdown)")]
    unit: Annotated[Text, Field(max_length=40)] = ""
    direction: choice(Direction) = Direction.UP
    owner_id: Id
    team_id: Id
    lever: LongText = Field("", description="an input metric: how its team moves it (required for input metrics)")
    aggregation: choice(Aggregation) = Aggregation.SUM
    comparison: choice(Comparison) = Comparison.PERCENT
    grain: choice(Grain) = Grain.DAY
    number_format: Annotated[Text, Field(max_length=24)] = ""
    formula: Formula = None
    evolved_from_id: Id | None = None
    evolution_reason: LongText = ""


class MetricPatch(InSchema):
    version: Version
    reason: Annotated[LongText, Field(description="why the definition changes (required)")]
    title: Annotated[Text, Field(min_length=1, max_length=200)] | None = None
    kind: choice(Kind) | None = None
    definition: LongText | None = None
    unit: Annotated[Text, Field(max_length=40)] | None = None
    direction: choice(Direction) | None = None
    owner_id: Id | None = None
    team_id: Id | None = None
    lever: LongText | None = None
    aggregation: choice(Aggregation) | None = None
    comparison: choice(Comparison) | None = None
    grain: choice(Grain) | None = None
    number_format: Annotated[Text, Field(max_length=24)] | None = None
    formula: Formula = None
    evolved_from_id: Id | None = None
    evolution_reason: LongText | None = None


class RetireIn(InSchema):
    version: Version
    reason: LongText = ""


class PlanValueIn(InSchema):
    period: choice(Period)
    start: Date
    end: Date
    value: float


class PlanIn(InSchema):
    values: list[PlanValueIn] = Field(max_length=1000)


class MetricOut(OutSchema):
    id: int
    name: str
    title: str
    kind: Kind
    definition: str
    unit: str
    direction: Direction
    owner_id: int
    owner_name: str
    team_id: int
    team_name: str
    lever: str
    aggregation: Aggregation
    comparison: Comparison
    grain: Grain
    number_format: str
    numerator_id: int | None
    numerator: str | None
    denominator_id: int | None
    denominator: str | None
    formula: dict[str, Any] | None
    evolved_from_id: int | None
    evolved_from: str | None
    evolution_reason: str
    revision: int
    retired_on: dt.date | None
    version: int


class RevisionOut(OutSchema):
    metric_id: int
    number: int
    fields: dict[str, Any]
    changed: dict[str, list[Any]]
    reason: str
    author_id: int | None
    author_name: str
    created_at: dt.datetime


class LineageLinkOut(OutSchema):
    metric_id: int
    name: str
    title: str
    evolved_from: str | None
    reason: str
    retired_on: dt.date | None


class LineageOut(OutSchema):
    metric: LineageLinkOut
    ancestors: list[LineageLinkOut]
    descendants: list[LineageLinkOut]


class PlanRowOut(OutSchema):
    metric_id: int
    period: Period
    start: dt.date
    end: dt.date
    value: float


# --- second part: data -----------------------------------------------------------------------------------------

# --- third part: decks -----------------------------------------------------------------------------------------

# --- fourth part: goals ----------------------------------------------------------------------------------------
