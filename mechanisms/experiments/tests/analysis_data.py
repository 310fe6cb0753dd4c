"""Generated experiment data for the analysis and decision tests, through the public services only: an experiment
started in the past (kernel.clock.shifted), its units exposed through `record_exposures` over its first two days,
and their metric events loaded through `load_events_csv` into the test's own DuckDB data connection (the
experiments conftest). The generator keeps every unit's variation and values, so a test computes the expected
statistics from the rows itself, never with rules.py.

Per unit: the primary `checkout_conversion` (a proportion: one event when the unit converts, 10 minutes after
its exposure) and the guardrail `checkout_latency` (a mean: one event of its latency, a minute after exposure)."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from mechanisms.experiments import assignment, services
from mechanisms.experiments.contracts import ExperimentView, Exposure
from mechanisms.kernel import clock

from . import helpers

DAYS_AGO = 3  # the experiment starts this long before now
SPREAD = dt.timedelta(days=2)  # exposures spread over the first two days


@dataclass
class Unit:
    unit_id: str
    variation: int
    exposed_at: dt.datetime
    converted: bool
    latency: float
    exposed: bool = True  # False: its exposure was never recorded (a planted SRM)


@dataclass
class World:
    view: ExperimentView  # as started
    started_at: dt.datetime
    units: list[Unit] = field(default_factory=list)

    def exposed(self, through: dt.datetime | None = None) -> list[Unit]:
        return [u for u in self.units if u.exposed and (through is None or u.exposed_at <= through)]

    def arm(self, variation: int, through: dt.datetime | None = None) -> list[Unit]:
        return [u for u in self.exposed(through) if u.variation == variation]


def started_in_the_past(o, key: str = "one-click-checkout", **kw) -> ExperimentView:
    """An experiment defined and started DAYS_AGO days ago (its started_at is then)."""
    with clock.shifted(-dt.timedelta(days=DAYS_AGO)):
        return helpers.started(o, key, **kw)


def world(
    o,
    *,
    key: str = "one-click-checkout",
    units: int = 2000,
    rates: tuple[float, ...] = (0.10, 0.16),
    latency: tuple[float, ...] = (300.0, 300.0),
    lose: float = 0.0,
    seed: int = 13,
    **kw,
) -> World:
    """Start an experiment in the past, expose `units` units (variations by the product's hash), and load their
    events: each unit of variation i converts with probability rates[i] and has a latency ~ N(latency[i], 40).
    `lose`: the share of the last variation's units whose exposure is never recorded (a planted SRM)."""
    view = started_in_the_past(o, key, **kw)
    rng = random.Random(seed)
    weights = [v.weight for v in view.plan.variations]
    started_at = services.get_experiment(actor=helpers.SYSTEM, key=key).started_at
    made = World(view=view, started_at=started_at)
    last = len(weights) - 1
    for i in range(units):
        unit_id = f"u{i:05d}"
        variation, _ = assignment.assign(key, unit_id, weights, view.hash_version)
        made.units.append(
            Unit(
                unit_id=unit_id,
                variation=variation,
                exposed_at=started_at + SPREAD * (i + 1) / (units + 1),
                converted=rng.random() < rates[variation],
                latency=round(rng.gauss(latency[variation], 40.0), 3),
                exposed=not (variation == last and rng.random() < lose),
            )
        )
    services.record_exposures(
        actor=o.actor("bob"),
        key=key,
        exposures=[Exposure(unit_id=u.unit_id, at=u.exposed_at) for u in made.units if u.exposed],
    )
    lines = ["metric,unit_id,ts,value"]
    for u in made.units:
        lines.append(
            f"{helpers.GUARDRAIL},{u.unit_id},{(u.exposed_at + dt.timedelta(minutes=1)).isoformat()},{u.latency}"
        )
        if u.converted:
            lines.append(f"{helpers.PRIMARY},{u.unit_id},{(u.exposed_at + dt.timedelta(minutes=10)).isoformat()},1")
    services.load_events_csv(actor=o.actor("bob"), content="\n".join(lines).encode(), file_name="events.csv")
    return made


def stop(o, key: str = "one-click-checkout", by: str = "bob") -> ExperimentView:
    """Stop the experiment through the machine (its final analysis is taken right after)."""
    return helpers.move(o, services.get_experiment(actor=helpers.SYSTEM, key=key), "stop", by=by)
