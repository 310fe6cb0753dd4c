"""Private, pure: what an analysis snapshot keeps and how its hash is made (MECHANISMS.md §9; docs/experiments.md).

A snapshot's `result_hash` is the sha256 of the canonical JSON of everything it keeps: the experiment's key, the
snapshot's number, the data's end, the plan number, final or not, the engine version, the queries run (exact SQL),
the sufficient statistics they returned, the settings, the results, the recommendation, the exposures per
variation, the SRM p-value and the peeking flag. Canonical: keys sorted, no spaces, ASCII, and every number
written as the shortest repr of its float value (so 3, 3.0 and a database's 3 all read "3.0"), which survives a
round trip through any JSON column (PostgreSQL's jsonb rewrites number tokens; their values never change).

No Django here: the services read and write the rows; the statistics, settings and results are kept in rules.py's
JSON forms (stats_to_dict, result_to_dict: the statistics with the settings are a STATS.json that `mech
experiments analyze` reads offline); this module hashes them and keeps the recommendation.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from .contracts import Decision, Recommendation

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
