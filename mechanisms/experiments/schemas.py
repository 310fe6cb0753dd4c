"""Pydantic schemas of the experiments API (parts add theirs)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from mechanisms.kernel.api import InSchema, OutSchema, Text

# --------------------------------------------------------------------------- second part: assignment and exposures


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
