"""API schemas of goals (entry point only; the machine's transition bodies are generated from metrics/machines.py)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from ninja import Field

from mechanisms.kernel.api import Date, Id, InSchema, OutSchema, Version, choice

from .contracts import GoalMeasure, GoalState, GoalStatus, Kind

Title = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(max_length=20000)]
Number = Annotated[float, Field(ge=-1e15, le=1e15, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=2000, le=2100)]


class GoalIn(InSchema):
    team_id: Id
    year: Year
    title: Title
    description: LongText = ""
    metric_id: Id = Field(description="the registry metric the goal moves")
    measure: choice(GoalMeasure) = GoalMeasure.LAST_WEEK
    baseline: Number | None = None
    target: Number
    start_date: Date
    due_date: Date = Field(description="within the goal's year")
    propose: bool = Field(False, description="propose it to leadership at once")


class GoalPatch(InSchema):
    version: Version
    title: Title | None = None
    description: LongText | None = None
    metric_id: Id | None = None
    measure: choice(GoalMeasure) | None = None
    baseline: Number | None = None
    target: Number | None = None
    start_date: Date | None = None
    due_date: Date | None = None


class GoalOut(OutSchema):
    id: int
    team_id: int
    year: int
    title: str
    description: str
    metric_id: int
    metric_name: str
    metric_kind: Kind
    metric_revision: int
    measure: GoalMeasure
    baseline: float | None
    target: float
    start_date: dt.date
    due_date: dt.date
    state: GoalState
    owner_id: int
    decided_by_id: int | None
    decided_at: dt.datetime | None
    decision_note: str
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class GoalViewOut(OutSchema):
    goal: GoalOut
    actions: list[str]
    can_change: bool
    held: str


class GapOut(OutSchema):
    period: str
    missing: list[dt.date]
    blank: list[dt.date]


class GoalProgressOut(OutSchema):
    goal_id: int
    measure: GoalMeasure
    as_of: dt.date
    measured: float | None
    baseline: float | None
    target: float
    progress: float | None
    elapsed: float
    status: GoalStatus
    reason: str
    gaps: list[GapOut]
    goal_revision: int
    metric_revision: int
    revision_note: str | None


class GoalMixLineOut(OutSchema):
    team_id: int
    input: int
    output: int
    total: int
    input_share: float | None
    output_only: bool


class GoalMixOut(OutSchema):
    year: int
    teams: list[GoalMixLineOut]
    input: int
    output: int
    total: int
    input_share: float | None
    warnings: list[str]
