"""The one set-up of the experiments tests: registry metrics defined through the metrics services, experiments
defined and moved through this app's services, so every test's records pass the rules a person's would.

With the root `small_org` fixture (`o`): the checkout team (leader ann; members ann, bob, cat) owns checkout-api;
payments (dan, eve) owns payments-api. `experiment(o)` is a draft of checkout's owned by bob, on checkout-api,
with an input primary metric `checkout_conversion`, a guardrail `checkout_latency` (lower is better) and an output
metric `revenue` in the registry (`metrics(o)` defines the three once)."""

from __future__ import annotations

import dataclasses
from typing import Any

from mechanisms.experiments import services
from mechanisms.experiments.contracts import (
    Engine,
    ExperimentView,
    MetricSpec,
    Plan,
    Statistic,
    StopRule,
    Variation,
)
from mechanisms.kernel.actor import Actor
from mechanisms.metrics import services as metrics_services
from mechanisms.metrics.tests.helpers import define

SYSTEM = Actor.system("test")
PRIMARY, GUARDRAIL, OUTPUT = "checkout_conversion", "checkout_latency", "revenue"


def metrics(o) -> None:
    """The registry metrics the experiments read (once per test): an input proportion, a lower-is-better input
    guardrail, and an output metric (refused as a primary metric)."""
    if metrics_services.find_metric(actor=SYSTEM, name=PRIMARY) is not None:
        return
    define(o, PRIMARY, kind="input")
    define(o, GUARDRAIL, kind="input", direction="down", aggregation="mean")
    define(o, OUTPUT, kind="output", owner="ann")


def plan(
    *,
    weights: tuple[float, ...] = (0.5, 0.5),
    keys: tuple[str, ...] | None = None,
    primary: str = PRIMARY,
    statistic: Statistic = Statistic.PROPORTION,
    guardrails: tuple[str, ...] = (GUARDRAIL,),
    engine: Engine = Engine.FREQUENTIST,
    planned_sample_size: int = 20000,
    **fields: Any,
) -> Plan:
    """A plan: control then treatments (`control`, `b`, `c`, ...) with these weights, the primary metric as a
    proportion, the guardrail as a mean, a fixed planned sample size (0 with `baseline_mean=...` asks the power
    calculation); any other Plan field by keyword."""
    keys = keys or tuple(["control", *("bcdefghij"[: len(weights) - 1])])
    return Plan(
        variations=tuple(Variation(key=k, name=k.capitalize(), weight=w) for k, w in zip(keys, weights, strict=True)),
        primary=MetricSpec(metric=primary, statistic=statistic),
        guardrails=tuple(MetricSpec(metric=g, statistic=Statistic.MEAN, tolerance=0.05) for g in guardrails),
        engine=engine,
        planned_sample_size=planned_sample_size,
        **fields,
    )


def experiment(
    o,
    key: str = "one-click-checkout",
    *,
    by: str = "bob",
    team: str = "checkout",
    owner: str = "bob",
    service: str | None = "checkout-api",
    high_impact: bool = False,
    connection: str = "default",
    plan_: Plan | None = None,
    **plan_fields: Any,
) -> ExperimentView:
    """A draft experiment defined through `services.define_experiment` by `by` (a handle, or "system")."""
    metrics(o)
    actor = SYSTEM if by == "system" else o.actor(by)
    return services.define_experiment(
        actor=actor,
        key=key,
        name=key.replace("-", " ").capitalize(),
        hypothesis="One click at checkout raises conversion: fewer steps, fewer abandoned carts.",
        team_id=o.teams[team].id,
        owner_id=o.people[owner].id,
        service_id=o.services[service].id if service else None,
        high_impact=high_impact,
        connection=connection,
        plan=plan_ or plan(**plan_fields),
    )


def move(o, view: ExperimentView, name: str, *, by: str = "bob", **values: Any) -> ExperimentView:
    """One transition of the machine through `services.apply_transition` (`by` "system": the product)."""
    actor = SYSTEM if by == "system" else o.actor(by)
    defaults = {"reason": "enough data"} if name in ("stop", "cancel") else {}
    return services.apply_transition(
        actor=actor, key=view.key, name=name, version=view.version, values={**defaults, **values}
    )


def started(o, key: str = "one-click-checkout", **kw: Any) -> ExperimentView:
    """A running experiment: defined, then started by its team."""
    return move(o, experiment(o, key, **kw), "start")


def revised(view: ExperimentView, **fields: Any) -> Plan:
    """The experiment's current plan with these fields changed."""
    return dataclasses.replace(view.plan, **fields)


__all__ = ["StopRule", "experiment", "metrics", "move", "plan", "revised", "started"]
