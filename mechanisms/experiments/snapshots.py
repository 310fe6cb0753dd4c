"""Private, pure: what an analysis snapshot keeps and how its hash is made (MECHANISMS.md §9; docs/experiments.md).

A snapshot's `result_hash` is the sha256 of the canonical JSON of everything it keeps: the experiment's key, the
snapshot's number, the data's end, the plan number, final or not, the engine version, the queries run (exact SQL),
the sufficient statistics they returned, the settings, the results, the recommendation, the exposures per
variation, the SRM p-value and the peeking flag. Canonical: keys sorted, no spaces, ASCII, and every number
written as the shortest repr of its float value (so 3, 3.0 and a database's 3 all read "3.0"), which survives a
round trip through any JSON column (PostgreSQL's jsonb rewrites number tokens; their values never change).

No Django here: the services read and write the rows, this module turns contracts into JSON-ready dicts and
back, and hashes them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from .contracts import (
    ENGINE_VERSION,
    AnalysisResult,
    AnalysisSettings,
    Correction,
    Decision,
    Difference,
    Engine,
    MetricResult,
    Prior,
    Recommendation,
    ResultError,
    VariationResult,
)

HASHED = (
    "experiment",
    "number",
    "through",
    "plan_number",
    "final",
    "engine_version",
    "queries",
    "statistics",
    "settings",
    "result",
    "recommendation",
    "exposures",
    "srm_p",
    "peeking",
)


def canonical_json(value: Any) -> str:
    """The one canonical text of a JSON-ready value (see the module's docstring)."""
    parts: list[str] = []
    _write(value, parts)
    return "".join(parts)


def _write(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, int | float):
        x = float(value)
        out.append(
            repr(x) if math.isfinite(x) else ("NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity"))
        )
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, Mapping):
        out.append("{")
        for i, key in enumerate(sorted(value, key=str)):
            if i:
                out.append(",")
            out.append(_string(str(key)))
            out.append(":")
            _write(value[key], out)
        out.append("}")
    elif isinstance(value, list | tuple):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, out)
        out.append("]")
    elif isinstance(value, dt.datetime | dt.date):
        out.append(_string(value.isoformat()))
    else:
        raise TypeError(f"not JSON-ready: {type(value).__name__}")


def _string(text: str) -> str:
    return json.dumps(text, ensure_ascii=True)


def result_hash(content: Mapping[str, Any]) -> str:
    """sha256 (hex) of the canonical JSON of the hashed parts of a snapshot's content."""
    missing = [k for k in HASHED if k not in content]
    if missing:
        raise KeyError(f"a snapshot's hash needs {', '.join(missing)}")
    return hashlib.sha256(canonical_json({k: content[k] for k in HASHED}).encode("ascii")).hexdigest()


def through_text(through: dt.datetime) -> str:
    """The data's end as the hash reads it: ISO 8601 in UTC, to the microsecond."""
    return through.astimezone(dt.UTC).isoformat(timespec="microseconds")


# --------------------------------------------------------------------------------------------- settings


def settings_to_dict(settings: AnalysisSettings) -> dict[str, Any]:
    return {
        "alpha": settings.alpha,
        "engine": settings.engine.value,
        "difference": settings.difference.value,
        "sequential_tuning": settings.sequential_tuning,
        "prior": None if settings.prior is None else {"mean": settings.prior.mean, "stddev": settings.prior.stddev},
        "correction": settings.correction.value,
    }


def settings_from_dict(data: Mapping[str, Any]) -> AnalysisSettings:
    prior = data.get("prior")
    return AnalysisSettings(
        alpha=float(data["alpha"]),
        engine=Engine(data["engine"]),
        difference=Difference(data["difference"]),
        sequential_tuning=float(data["sequential_tuning"]),
        prior=None if prior is None else Prior(mean=float(prior["mean"]), stddev=float(prior["stddev"])),
        correction=Correction(data.get("correction", Correction.NONE.value)),
    )


# --------------------------------------------------------------------------------------------- recommendation


def recommendation_to_dict(recommendation: Recommendation) -> dict[str, Any]:
    return {
        "decision": recommendation.decision.value,
        "variation": recommendation.variation,
        "sentence": recommendation.sentence,
        "guardrail_failures": list(recommendation.guardrail_failures),
    }


def recommendation_from_dict(data: Mapping[str, Any]) -> Recommendation:
    return Recommendation(
        decision=Decision(data["decision"]),
        variation=data.get("variation"),
        sentence=str(data.get("sentence", "")),
        guardrail_failures=tuple(data.get("guardrail_failures") or ()),
    )


# --------------------------------------------------------------------------------------------- results


def metric_dicts(result: Any) -> list[dict[str, Any]]:
    """A stored result's metrics as a list of dicts, each with its `name` and its `variations` as a list of dicts
    with their `name` (rules.result_to_dict's layout, whether it keys metrics and variations by name or lists them)."""
    metrics = result.get("metrics", []) if isinstance(result, Mapping) else []
    if isinstance(metrics, Mapping):
        metrics = [{"name": name, **value} for name, value in metrics.items()]
    return [{**m, "variations": _named(m.get("variations", []))} for m in metrics]


def _named(variations: Any) -> list[dict[str, Any]]:
    if isinstance(variations, Mapping):
        return [{"name": name, **value} for name, value in variations.items()]
    return [dict(v) for v in variations]


def result_from_dict(data: Mapping[str, Any], settings: AnalysisSettings, engine_version: str) -> AnalysisResult:
    """The stored result back as the contract (the numbers as kept, never recomputed)."""
    return AnalysisResult(
        settings=settings,
        metrics=tuple(
            MetricResult(
                name=str(m["name"]),
                srm_p=float(m.get("srm_p", 1.0)),
                variations=tuple(_variation(v) for v in m["variations"]),
                units=tuple(int(n) for n in m.get("units") or ()),
            )
            for m in metric_dicts(data)
        ),
        engine_version=engine_version or ENGINE_VERSION,
    )


def _pair(value: Any) -> tuple[float, float] | None:
    return None if value is None else (float(value[0]), float(value[1]))


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _variation(v: Mapping[str, Any]) -> VariationResult:
    return VariationResult(
        name=str(v["name"]),
        lift=_number(v.get("lift")),
        ci=_pair(v.get("ci")),
        p_value=_number(v.get("p_value")),
        p_value_adjusted=_number(v.get("p_value_adjusted")),
        chance_to_win=_number(v.get("chance_to_win")),
        risk=_pair(v.get("risk")),
        error=ResultError(v["error"]) if v.get("error") else None,
        control_mean=_number(v.get("control_mean")),
        mean=_number(v.get("mean")),
        stderr=_number(v.get("stderr")),
        significant=bool(v.get("significant", False)),
    )
