"""The demo's experiments (MECHANISMS.md §9): three finished experiments of the demo teams on generated exposure
data in the default data connection (an embedded DuckDB file), each run for two weeks in the recent past:

- `one-page-checkout` (Checkout, owned by its leader): a winner. Orders placed (an input metric, as a proportion:
  the share of exposed shoppers who placed an order) rises about a quarter with one page, significant; checkout latency
  p99 as a guardrail holds; the owner decided to ship it.
- `cart-save-for-later` (Cart): a flat one. Adds to cart moves by a fraction of a percent, inside its interval;
  the owner kept the control, as the engine recommended.
- `search-autocomplete-v2` (Search): one with a sample-ratio mismatch. A logging bug dropped about one in ten of
  the treatment's exposures, so the split is not the planned 50/50 and the results page shows the SRM banner; the
  decision (keep the control) went to a bar-raiser review, the bar raiser recommended it and the owner accepted.

Everything through the services, each step by the person who holds it, at the time it would have happened (the
clock shifted into the past): defined and started, analysed every few days while running (the cumulative series),
exposures recorded in bulk, events loaded as one CSV per experiment through `load_events_csv`, stopped at the
planned sample size (the final analysis), then decided. Deterministic (seeded random); 3 x 8,000 units, so it
loads in a few seconds. Only once: skipped when any experiment exists or a team or metric it needs is missing."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
from collections.abc import Callable
from dataclasses import dataclass

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import SubjectKind
from mechanisms.experiments import services as experiments_services
from mechanisms.experiments.contracts import Exposure, MetricSpec, Plan, Statistic, Variation
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.metrics import services as metrics_services
from mechanisms.org import services as org_services

UNITS = 8_000
RUN_DAYS = 14
CHUNK = 1_000  # assignments per call (the service's most)
EXPOSURE_CALL = 10_000  # exposures per call (the service's most)


@dataclass(frozen=True)
class DemoExperiment:
    key: str
    name: str
    team: str
    hypothesis: str
    primary: str
    rates: tuple[float, float]  # the primary metric's true conversion in control and treatment
    guardrail: str | None
    started_days_ago: int
    lost_share: float  # the treatment's exposures the "logging bug" drops (SRM)
    outcome: str  # "ship", "keep_control"
    rationale: str
    review: bool = False


EXPERIMENTS = (
    DemoExperiment(
        key="one-page-checkout",
        name="One-page checkout",
        team="checkout",
        hypothesis="Putting address, delivery and payment on one page raises the share of shoppers who place an "
        "order: every extra step loses some of them, and most never change the defaults anyway.",
        primary="orders_placed",
        rates=(0.100, 0.125),
        guardrail="checkout_latency_p99",
        started_days_ago=40,
        lost_share=0.0,
        outcome="ship",
        rationale="Orders placed rose by about a quarter with an interval well clear of zero, the split was as planned "
        "and latency held: ship the one-page checkout to everyone.",
    ),
    DemoExperiment(
        key="cart-save-for-later",
        name="Save for later in the cart",
        team="cart",
        hypothesis="A 'save for later' link in the cart keeps undecided shoppers adding items instead of leaving.",
        primary="add_to_cart",
        rates=(0.300, 0.300),
        guardrail=None,
        started_days_ago=34,
        lost_share=0.0,
        outcome="keep_control",
        rationale="No difference we can tell apart from chance at the planned size: keep the cart as it is and put "
        "the effort into the checkout instead.",
    ),
    DemoExperiment(
        key="search-autocomplete-v2",
        name="Autocomplete v2 in search",
        team="search",
        hypothesis="Suggesting whole product names while typing gets more searches to a click.",
        primary="searches_with_click",
        rates=(0.420, 0.440),
        guardrail="search_latency_p50",
        started_days_ago=28,
        lost_share=0.10,
        outcome="keep_control",
        rationale="The split is 53/47 where we planned 50/50: the new autocomplete's exposures are lost when the "
        "suggestion box closes the page. Keep the control, fix the logging and run it again.",
        review=True,
    ),
)


def plant_experiments(system: Actor, *, password: str) -> None:
    """Plant the three finished experiments (see the module's doc). Needs the demo teams and metrics."""
    if experiments_services.list_experiments(actor=system, limit=1).total:
        return
    teams = {t.slug: t for t in org_services.team_index(actor=system)}
    if any(e.team not in teams for e in EXPERIMENTS):
        return
    names = {e.primary for e in EXPERIMENTS} | {e.guardrail for e in EXPERIMENTS if e.guardrail}
    if any(metrics_services.find_metric(actor=system, name=n) is None for n in names):
        return
    sides = org_services.team_sides(actor=system, team_ids=[teams[e.team].id for e in EXPERIMENTS])
    people = org_services.get_people(actor=system, ids={p for side in sides.values() for p in side.people})
    accounts: dict[int, Actor] = {}

    def acting(person_id: int) -> Actor:
        if person_id not in accounts:
            person = people.get(person_id) or org_services.get_person(actor=system, person_id=person_id)
            if not org_services.account_exists(username=person.handle):
                org_services.create_account(
                    actor=system, username=person.handle, password=password, person_id=person.id
                )
            accounts[person_id] = org_services.actor_for_handle(handle=person.handle)
        return accounts[person_id]

    rng = random.Random(13)
    for spec in EXPERIMENTS:
        team = teams[spec.team]
        _run(system, spec, team=team, owner=acting(sides[team.id].leader_id), acting=acting, rng=rng)


def _plan(spec: DemoExperiment) -> Plan:
    guardrails = (
        (MetricSpec(metric=spec.guardrail, statistic=Statistic.MEAN, tolerance=0.05),) if spec.guardrail else ()
    )
    return Plan(
        variations=(Variation(key="control", name="Control", weight=0.5), Variation(key="b", name="B", weight=0.5)),
        primary=MetricSpec(metric=spec.primary, statistic=Statistic.PROPORTION),
        guardrails=guardrails,
        mde=0.1,
        baseline_mean=spec.rates[0],
        planned_sample_size=int(UNITS * 0.85),
    )


def _run(
    system: Actor,
    spec: DemoExperiment,
    *,
    team,
    owner: Actor,
    acting: Callable[[int], Actor],
    rng: random.Random,
) -> None:
    started = clock.now() - dt.timedelta(days=spec.started_days_ago)
    with clock.shifted(started - clock.now()):
        view = experiments_services.define_experiment(
            actor=owner,
            key=spec.key,
            name=spec.name,
            hypothesis=spec.hypothesis,
            team_id=team.id,
            owner_id=owner.person_id,
            service_id=None,
            high_impact=False,
            plan=_plan(spec),
        )
        view = experiments_services.apply_transition(
            actor=owner, key=spec.key, name="start", version=view.version, values={"note": ""}
        )
    start = view.started_at
    end = start + dt.timedelta(days=RUN_DAYS)
    units = [f"{spec.key[:6]}-{i:05d}" for i in range(UNITS)]
    variation: dict[str, int] = {}
    for i in range(0, UNITS, CHUNK):
        for a in experiments_services.assign_units(actor=system, keys=[spec.key], unit_ids=units[i : i + CHUNK]):
            variation[a.unit_id] = a.index
    exposures: list[Exposure] = []
    events: list[tuple[str, str, dt.datetime, float | None]] = []
    for unit in units:
        arm = variation[unit]
        if arm == 1 and rng.random() < spec.lost_share:
            continue  # the logging bug: the exposure never reaches the product
        at = start + dt.timedelta(seconds=rng.uniform(60, RUN_DAYS * 86400 - 3600))
        exposures.append(Exposure(unit_id=unit, at=at))
        if rng.random() < spec.rates[arm]:
            events.append((spec.primary, unit, at + dt.timedelta(minutes=rng.uniform(1, 60)), 1.0))
        if spec.guardrail:
            level = 420.0 if spec.guardrail == "checkout_latency_p99" else 95.0
            value = round(max(1.0, rng.gauss(level, level * 0.1)), 1)
            events.append((spec.guardrail, unit, at + dt.timedelta(seconds=rng.uniform(1, 300)), value))
    with clock.shifted(end - clock.now()):
        for i in range(0, len(exposures), EXPOSURE_CALL):
            experiments_services.record_exposures(
                actor=system, key=spec.key, exposures=exposures[i : i + EXPOSURE_CALL]
            )
        experiments_services.load_events_csv(
            actor=owner, content=_csv(events), file_name=f"{spec.key}-events.csv", connection="default"
        )
        for day in (4, 7, 10):  # the daily analyses while it ran, for the cumulative series
            experiments_services.analyse_experiment(actor=system, key=spec.key, through=start + dt.timedelta(days=day))
        view = experiments_services.get_experiment(actor=owner, key=spec.key)
        view = experiments_services.apply_transition(
            actor=owner,
            key=spec.key,
            name="stop",
            version=view.version,
            values={"reason": "The planned sample size is reached."},
        )
    with clock.shifted(end + dt.timedelta(days=1) - clock.now()):
        values = {
            "decision": spec.outcome,
            "variation": "b" if spec.outcome == "ship" else "",
            "rationale": spec.rationale,
        }
        name = "ask_review" if spec.review else "decide"
        view = experiments_services.apply_transition(
            actor=owner, key=spec.key, name=name, version=view.version, values=values
        )
    if spec.review:
        _review(system, view, owner=owner, acting=acting, end=end)


def _review(system: Actor, view, *, owner: Actor, acting: Callable[[int], Actor], end: dt.datetime) -> None:
    """The bar raiser the pool picked recommends keeping the control; the owner accepts (the decision concludes)."""
    review = bar_raisers_services.review_for(actor=system, subject_kind=SubjectKind.EXPERIMENT, subject_id=view.id)
    if review is None:
        return
    with clock.shifted(end + dt.timedelta(days=2) - clock.now()):
        review = bar_raisers_services.recommend(
            actor=acting(review.bar_raiser_id),
            review_id=review.id,
            version=review.version,
            recommendation="approve",
            reasoning="Keeping the control is right: with a 53/47 split nothing in these numbers can be trusted. "
            "Fix the exposure logging, check the split in an A/A run, then test autocomplete v2 again.",
        )
    with clock.shifted(end + dt.timedelta(days=3) - clock.now()):
        bar_raisers_services.accept_review(
            actor=owner, review_id=review.id, version=review.version, note="Agreed; the logging fix is planned."
        )


def _csv(rows: list[tuple[str, str, dt.datetime, float | None]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(("metric", "unit_id", "ts", "value"))
    for metric, unit, ts, value in rows:
        moment = ts.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        writer.writerow((metric, unit, moment, "" if value is None else value))
    return out.getvalue().encode("utf-8")
