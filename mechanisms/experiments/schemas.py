"""Pydantic schemas of the experiments API (parts add theirs)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mechanisms.kernel.api import InSchema, OutSchema

from . import rules
from .contracts import SeriesPoint, SnapshotCheck, SnapshotView

# third part: analysis


class AnalysisIn(InSchema):
    through: dt.datetime | None = None  # the data's end (default: now, or the stop)
    final: bool | None = None  # default: the experiment is stopped


class RecommendationOut(OutSchema):
    decision: str
    variation: str | None
    sentence: str
    guardrail_failures: list[str]


class SnapshotSummaryOut(OutSchema):
    number: int
    taken_at: dt.datetime
    through: dt.datetime
    plan_number: int
    final: bool
    engine_version: str
    exposures: list[int]
    srm_p: float
    peeking: bool
    recommendation: RecommendationOut
    result_hash: str


class SnapshotOut(SnapshotSummaryOut):
    queries: dict[str, str]
    statistics: list[dict[str, Any]]
    result: dict[str, Any]


class SnapshotCheckOut(OutSchema):
    number: int
    ok: bool
    hash_ok: bool
    results_ok: bool
    stored_hash: str
    computed_hash: str
    engine_version: str
    current_engine_version: str
    differences: list[str]


class SeriesPointOut(OutSchema):
    day: dt.date
    snapshot: int
    variation: str
    lift: float | None
    ci: tuple[float, float] | None
    units: int
    significant: bool


def snapshot_summary(view: SnapshotView) -> dict[str, Any]:
    rec = view.recommendation
    return {
        "number": view.number,
        "taken_at": view.taken_at,
        "through": view.through,
        "plan_number": view.plan_number,
        "final": view.final,
        "engine_version": view.engine_version,
        "exposures": list(view.exposures),
        "srm_p": view.srm_p,
        "peeking": view.peeking,
        "recommendation": {
            "decision": rec.decision.value,
            "variation": rec.variation,
            "sentence": rec.sentence,
            "guardrail_failures": list(rec.guardrail_failures),
        },
        "result_hash": view.result_hash,
    }


def snapshot_out(view: SnapshotView) -> dict[str, Any]:
    return {
        **snapshot_summary(view),
        "queries": dict(view.queries),
        "statistics": rules.stats_to_dict(view.statistics)["metrics"],
        "result": rules.result_to_dict(view.result),
    }


def check_out(check: SnapshotCheck) -> dict[str, Any]:
    return {
        "number": check.number,
        "ok": check.ok,
        "hash_ok": check.hash_ok,
        "results_ok": check.results_ok,
        "stored_hash": check.stored_hash,
        "computed_hash": check.computed_hash,
        "engine_version": check.engine_version,
        "current_engine_version": check.current_engine_version,
        "differences": list(check.differences),
    }


def series_out(point: SeriesPoint) -> dict[str, Any]:
    return {
        "day": point.day,
        "snapshot": point.snapshot,
        "variation": point.variation,
        "lift": point.lift,
        "ci": point.ci,
        "units": point.units,
        "significant": point.significant,
    }
