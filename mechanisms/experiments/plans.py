"""Private: a plan's shape (MECHANISMS.md §9): to and from its JSON form (PlanVersion.content, the API body, a
plan file), the checks that need no other app (variations, weights, numbers, the stop rule), and the fields that
differ between two plans. Pure: no Django; refusals are RuleViolation naming the field (`plan.variations[1].weight`).

The checks that need the registries (the primary metric is an INPUT metric, guardrails exist, the power
calculation) are the services'."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any

from mechanisms.kernel.errors import RuleViolation

from .contracts import (
    Correction,
    Difference,
    Engine,
    MetricSpec,
    Plan,
    Prior,
    Statistic,
    StopRule,
    Variation,
)

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
MAX_VARIATIONS = 20
MAX_METRICS = 50  # guardrails and secondary metrics, each
MAX_SAMPLE = 10**12
WEIGHT_TOLERANCE = 1e-9
# What never changes after start (a change is a new experiment): the split, what is measured first, and how.
FROZEN_AFTER_START = ("variations", "primary", "engine", "difference")
PLAN_FIELDS = tuple(f.name for f in dataclasses.fields(Plan))


def is_slug(value: Any) -> bool:
    return isinstance(value, str) and bool(SLUG.match(value))


# ------------------------------------------------------------------------------------------------ to JSON


def spec_to_dict(spec: MetricSpec) -> dict[str, Any]:
    return {
        "metric": spec.metric,
        "statistic": spec.statistic.value,
        "cuped": spec.cuped,
        "denominator": spec.denominator,
        "tolerance": spec.tolerance,
    }


def plan_to_dict(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-ready values (what PlanVersion.content keeps and the API returns)."""
    return {
        "variations": [{"key": v.key, "name": v.name, "weight": v.weight} for v in plan.variations],
        "primary": spec_to_dict(plan.primary),
        "guardrails": [spec_to_dict(s) for s in plan.guardrails],
        "secondary": [spec_to_dict(s) for s in plan.secondary],
        "engine": plan.engine.value,
        "difference": plan.difference.value,
        "alpha": plan.alpha,
        "power": plan.power,
        "sequential_tuning": plan.sequential_tuning,
        "prior": None if plan.prior is None else {"mean": plan.prior.mean, "stddev": plan.prior.stddev},
        "correction": plan.correction.value,
        "mde": plan.mde,
        "baseline_mean": plan.baseline_mean,
        "baseline_stddev": plan.baseline_stddev,
        "planned_sample_size": plan.planned_sample_size,
        "stop_rule": plan.stop_rule.value,
        "planned_end": plan.planned_end.isoformat() if plan.planned_end else None,
        "covariate_days": plan.covariate_days,
    }


# ---------------------------------------------------------------------------------------------- from JSON


def plan_from_dict(data: Any, *, prefix: str = "plan") -> Plan:
    """A plan from its JSON form (a plan file, an API body, a stored version). Unknown keys, wrong types and
    impossible values are a RuleViolation naming the field (`plan.variations[0].weight`). Only the shape and the
    types are judged here; `check_plan` judges the values."""
    data = _mapping(data, prefix)
    _known(data, PLAN_FIELDS, prefix)
    if "variations" not in data:
        raise RuleViolation("a plan lists its variations (the first is the control)", field=f"{prefix}.variations")
    if "primary" not in data:
        raise RuleViolation("a plan names its primary metric", field=f"{prefix}.primary")
    raw_variations = _list(data["variations"], f"{prefix}.variations", MAX_VARIATIONS)
    variations = tuple(_variation(v, f"{prefix}.variations[{i}]") for i, v in enumerate(raw_variations))
    values: dict[str, Any] = {
        "variations": variations,
        "primary": _spec(data["primary"], f"{prefix}.primary"),
        "guardrails": tuple(
            _spec(s, f"{prefix}.guardrails[{i}]")
            for i, s in enumerate(_list(data.get("guardrails", []), f"{prefix}.guardrails", MAX_METRICS))
        ),
        "secondary": tuple(
            _spec(s, f"{prefix}.secondary[{i}]")
            for i, s in enumerate(_list(data.get("secondary", []), f"{prefix}.secondary", MAX_METRICS))
        ),
    }
    enums = {
        "engine": Engine,
        "difference": Difference,
        "correction": Correction,
        "stop_rule": StopRule,
    }
    for name, kind in enums.items():
        if name in data:
            values[name] = _enum(kind, data[name], f"{prefix}.{name}")
    for name in ("alpha", "power", "sequential_tuning", "mde"):
        if name in data:
            values[name] = _number(data[name], f"{prefix}.{name}")
    for name in ("baseline_mean", "baseline_stddev"):
        if data.get(name) is not None:
            values[name] = _number(data[name], f"{prefix}.{name}")
    if "planned_sample_size" in data:
        values["planned_sample_size"] = _int(data["planned_sample_size"], f"{prefix}.planned_sample_size")
    if "covariate_days" in data:
        values["covariate_days"] = _int(data["covariate_days"], f"{prefix}.covariate_days")
    if data.get("prior") is not None:
        prior = _mapping(data["prior"], f"{prefix}.prior")
        _known(prior, ("mean", "stddev"), f"{prefix}.prior")
        values["prior"] = Prior(
            mean=_number(prior.get("mean", 0.0), f"{prefix}.prior.mean"),
            stddev=_number(prior.get("stddev", 0.3), f"{prefix}.prior.stddev"),
        )
    if data.get("planned_end") is not None:
        values["planned_end"] = _date(data["planned_end"], f"{prefix}.planned_end")
    return Plan(**values)


def _variation(data: Any, field: str) -> Variation:
    data = _mapping(data, field)
    _known(data, ("key", "name", "weight"), field)
    key = data.get("key")
    if not isinstance(key, str):
        raise RuleViolation("a variation's key is text (a slug)", field=f"{field}.key")
    name = data.get("name", key)
    if not isinstance(name, str):
        raise RuleViolation("a variation's name is text", field=f"{field}.name")
    if "weight" not in data:
        raise RuleViolation("a variation has a weight (the weights sum to 1)", field=f"{field}.weight")
    return Variation(key=key, name=name.strip() or key, weight=_number(data["weight"], f"{field}.weight"))


def _spec(data: Any, field: str) -> MetricSpec:
    if isinstance(data, str):
        data = {"metric": data}
    data = _mapping(data, field)
    _known(data, ("metric", "statistic", "cuped", "denominator", "tolerance"), field)
    metric = data.get("metric")
    if not isinstance(metric, str) or not metric.strip():
        raise RuleViolation("name a registry metric", field=f"{field}.metric")
    denominator = data.get("denominator")
    if denominator is not None and (not isinstance(denominator, str) or not denominator.strip()):
        raise RuleViolation("a ratio's denominator is a registry metric's name", field=f"{field}.denominator")
    cuped = data.get("cuped", False)
    if not isinstance(cuped, bool):
        raise RuleViolation("cuped is true or false", field=f"{field}.cuped")
    return MetricSpec(
        metric=metric.strip(),
        statistic=_enum(Statistic, data.get("statistic", Statistic.MEAN.value), f"{field}.statistic"),
        cuped=cuped,
        denominator=denominator.strip() if denominator else None,
        tolerance=_number(data.get("tolerance", 0.0), f"{field}.tolerance"),
    )


def _mapping(value: Any, field: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RuleViolation(f"{field} must be an object", field=field)
    return value


def _known(data: Mapping[str, Any], names: tuple[str, ...], field: str) -> None:
    unknown = sorted(str(k) for k in data if k not in names)
    if unknown:
        raise RuleViolation(f"unknown field {unknown[0]!r} (known: {', '.join(names)})", field=f"{field}.{unknown[0]}")


def _list(value: Any, field: str, most: int) -> list[Any]:
    if not isinstance(value, list | tuple):
        raise RuleViolation(f"{field} must be a list", field=field)
    if len(value) > most:
        raise RuleViolation(f"{field} has more than {most} entries", field=field)
    return list(value)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RuleViolation(f"{field} must be a finite number", field=field)
    return float(value)


def _int(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise RuleViolation(f"{field} must be a whole number", field=field)
    return value


def _enum(kind: type, value: Any, field: str) -> Any:
    try:
        return kind(value)
    except ValueError:
        raise RuleViolation(f"{field} must be one of {', '.join(m.value for m in kind)}", field=field) from None


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise RuleViolation(f"{field} must be a date (2026-03-31)", field=field)


# ------------------------------------------------------------------------------------------------ checks


def check_shape(plan: Plan, *, prefix: str = "plan") -> None:
    """The plan's own rules (MECHANISMS.md §9, issue 13 "Bad input"): at least two variations with unique slug
    keys; each weight > 0 and the weights summing to 1 (within 1e-9); a ratio names its denominator and is not
    CUPED; the minimum detectable effect > 0; alpha and power in (0, 1); the sequential tuning > 0; a prior's
    stddev > 0; the planned sample size >= 0; an end-date stop rule names its planned end; CUPED's window 1-365
    days. Raises RuleViolation naming the first field that breaks one."""
    if len(plan.variations) < 2:
        raise RuleViolation(
            "an experiment has at least two variations (the first is the control)", field=f"{prefix}.variations"
        )
    seen: set[str] = set()
    for i, v in enumerate(plan.variations):
        if not is_slug(v.key):
            raise RuleViolation(
                "a variation's key is a slug: lower-case letters, digits and dashes",
                field=f"{prefix}.variations[{i}].key",
            )
        if v.key in seen:
            raise RuleViolation(f"two variations share the key {v.key!r}", field=f"{prefix}.variations[{i}].key")
        seen.add(v.key)
        if len(v.name) > 200:
            raise RuleViolation("a variation's name is at most 200 characters", field=f"{prefix}.variations[{i}].name")
        if not v.weight > 0:
            raise RuleViolation("each weight is above 0", field=f"{prefix}.variations[{i}].weight")
    total = math.fsum(v.weight for v in plan.variations)
    if abs(total - 1.0) > WEIGHT_TOLERANCE:
        raise RuleViolation(f"the weights sum to {total:.12g}, not 1", field=f"{prefix}.variations")
    specs = [("primary", plan.primary)]
    specs += [(f"guardrails[{i}]", s) for i, s in enumerate(plan.guardrails)]
    specs += [(f"secondary[{i}]", s) for i, s in enumerate(plan.secondary)]
    for where, spec in specs:
        field = f"{prefix}.{where}"
        if spec.statistic is Statistic.RATIO and not spec.denominator:
            raise RuleViolation("a ratio names its denominator metric", field=f"{field}.denominator")
        if spec.statistic is not Statistic.RATIO and spec.denominator:
            raise RuleViolation("only a ratio has a denominator", field=f"{field}.denominator")
        if spec.cuped and spec.statistic is Statistic.RATIO:
            raise RuleViolation("CUPED does not apply to a ratio", field=f"{field}.cuped")
        if spec.tolerance < 0:
            raise RuleViolation("a tolerance is 0 or more", field=f"{field}.tolerance")
    if not plan.mde > 0:
        raise RuleViolation("the minimum detectable effect is above 0", field=f"{prefix}.mde")
    if not 0 < plan.alpha < 1:
        raise RuleViolation("alpha is between 0 and 1", field=f"{prefix}.alpha")
    if not 0 < plan.power < 1:
        raise RuleViolation("power is between 0 and 1", field=f"{prefix}.power")
    if not plan.sequential_tuning > 0:
        raise RuleViolation("the sequential tuning is above 0", field=f"{prefix}.sequential_tuning")
    if plan.prior is not None and not plan.prior.stddev > 0:
        raise RuleViolation("a prior's stddev is above 0", field=f"{prefix}.prior.stddev")
    if plan.baseline_stddev is not None and not plan.baseline_stddev > 0:
        raise RuleViolation("the baseline's stddev is above 0", field=f"{prefix}.baseline_stddev")
    if not 0 <= plan.planned_sample_size <= MAX_SAMPLE:
        raise RuleViolation(f"the planned sample size is 0 to {MAX_SAMPLE}", field=f"{prefix}.planned_sample_size")
    if plan.stop_rule is StopRule.END_DATE and plan.planned_end is None:
        raise RuleViolation("an end-date stop rule names the planned end", field=f"{prefix}.planned_end")
    if not 1 <= plan.covariate_days <= 365:
        raise RuleViolation("CUPED's window is 1 to 365 days", field=f"{prefix}.covariate_days")


def changed_fields(before: Plan, after: Plan) -> tuple[str, ...]:
    """The plan fields that differ, in the plan's order."""
    return tuple(name for name in PLAN_FIELDS if getattr(before, name) != getattr(after, name))


def metric_names(plan: Plan) -> tuple[str, ...]:
    """Every registry metric the plan reads (primary first), each once."""
    names: list[str] = []
    for spec in (plan.primary, *plan.guardrails, *plan.secondary):
        for name in (spec.metric, spec.denominator):
            if name and name not in names:
                names.append(name)
    return tuple(names)
