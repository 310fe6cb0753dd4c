"""The demo's metrics, Weekly Business Review decks and goals (MECHANISMS.md §8), for the demo teams: fifteen metrics
(mostly input metrics owned by a team member; a ratio, payment success rate, of two base metrics; a lineage, product
pages -> pages seen -> pages seen in stock; one output metric, revenue), ten weeks of daily values up to the last
ended week AND the same days a year earlier (so year over year shows), ONE planted data gap (two days of "pages seen
in stock" never loaded in the last week: the deck shows N/A and the completeness check flags it), plans for orders
and revenue, two decks (the Consumer unit's WBR and the Checkout team's), the owner's commentary on a variance, a
snapshot of the previous week, and goals per team: approved and proposed, mostly tied to input metrics, the Cart
team's set output-only (so the warning shows).

Everything through the metrics services, each step taken by the person who holds it (an account is made for the
few who act). Deterministic (seeded random); one push per metric, so it loads in well under a second of writes.
Only once: skipped when the registry has any metric."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from mechanisms.kernel.actor import Actor
from mechanisms.metrics import services as metrics_services
from mechanisms.metrics.contracts import ValuePoint
from mechanisms.org import services as org_services

WEEKS = 10
GAP_METRIC = "pages_seen_in_stock"

# name, title, kind, team, unit, definition, level (a day), daily noise, extra: direction, aggregation, comparison,
# a ratio's operands, lineage (evolved from, why)
METRICS: list[tuple[str, str, str, str, str, str, float, float, dict[str, Any]]] = [
    (
        "orders_placed",
        "Orders placed",
        "input",
        "checkout",
        "orders",
        "Orders whose payment was authorized.",
        5200,
        0.04,
        {},
    ),
    (
        "checkout_latency_p99",
        "Checkout latency p99",
        "input",
        "checkout",
        "ms",
        "The 99th percentile of the time from Place order to the confirmation page.",
        420,
        0.05,
        {"direction": "down", "aggregation": "mean"},
    ),
    ("revenue", "Revenue", "output", "checkout", "USD", "Gross merchandise sales, before refunds.", 310_000, 0.05, {}),
    ("add_to_cart", "Adds to cart", "input", "cart", "adds", "Items added to a cart from any page.", 21_000, 0.05, {}),
    (
        "payment_attempts",
        "Payment attempts",
        "input",
        "payments",
        "attempts",
        "Authorizations requested.",
        5600,
        0.04,
        {},
    ),
    (
        "payments_authorized",
        "Payments authorized",
        "input",
        "payments",
        "payments",
        "Authorizations granted.",
        5450,
        0.04,
        {},
    ),
    (
        "payment_success_rate",
        "Payment success rate",
        "input",
        "payments",
        "",
        "Authorized over attempted payments.",
        0,
        0,
        {"ratio": ("payments_authorized", "payment_attempts"), "comparison": "bps", "number_format": "percent"},
    ),
    (
        "chargebacks",
        "Chargebacks",
        "input",
        "fraud",
        "chargebacks",
        "Chargebacks received.",
        12,
        0.25,
        {"direction": "down"},
    ),
    (
        "product_pages",
        "Product pages",
        "input",
        "product-catalog",
        "pages",
        "Product detail pages served.",
        180_000,
        0.04,
        {},
    ),
    (
        "pages_seen",
        "Pages seen",
        "input",
        "product-catalog",
        "pages",
        "Product detail pages rendered above the fold for at least a second.",
        150_000,
        0.04,
        {"evolved": ("product_pages", "a page served but never seen does not help the customer")},
    ),
    (
        "pages_seen_in_stock",
        "Pages seen in stock",
        "input",
        "product-catalog",
        "pages",
        "Pages seen for an item that was in stock and could be delivered in two days.",
        138_000,
        0.04,
        {"evolved": ("pages_seen", "a page seen for an item we cannot deliver does not help the customer either")},
    ),
    (
        "searches_with_click",
        "Searches with a click",
        "input",
        "search",
        "searches",
        "Searches whose results got at least one click.",
        88_000,
        0.04,
        {},
    ),
    (
        "search_latency_p50",
        "Search latency p50",
        "input",
        "search",
        "ms",
        "The median search response time.",
        95,
        0.06,
        {"direction": "down", "aggregation": "mean"},
    ),
    (
        "on_time_deliveries",
        "On-time deliveries",
        "input",
        "shipping",
        "%",
        "The share of parcels delivered by the promised day.",
        96.2,
        0.006,
        {"aggregation": "mean"},
    ),
    (
        "inventory_accuracy",
        "Inventory accuracy",
        "input",
        "inventory",
        "%",
        "The share of cycle counts matching the system's count.",
        98.7,
        0.003,
        {"aggregation": "mean"},
    ),
]


def plant_metrics(system: Actor, *, password: str) -> None:
    """Plant the demo's metrics, data, decks, commentary, snapshot and goals (see the module's doc). Needs the
    hand-written demo teams."""
    if sum(metrics_services.count_metrics(actor=system).values()):
        return
    teams = {t.slug: t for t in org_services.team_index(actor=system)}
    wanted = {m[3] for m in METRICS}
    if any(slug not in teams for slug in wanted):
        return
    sides = org_services.team_sides(actor=system, team_ids=[teams[s].id for s in wanted])
    units = {u.id: u for u in org_services.all_org_units(actor=system)}
    people = org_services.get_people(
        actor=system,
        ids={p for side in sides.values() for p in side.people} | {u.leader_id for u in units.values() if u.leader_id},
    )
    actors: dict[int, Actor] = {}

    def acting(person_id: int) -> Actor:
        if person_id not in actors:
            person = people[person_id]
            if not org_services.account_exists(username=person.handle):
                org_services.create_account(
                    actor=system, username=person.handle, password=password, person_id=person.id
                )
            actors[person_id] = org_services.actor_for_handle(handle=person.handle)
        return actors[person_id]

    def leader(slug: str) -> int:
        return sides[teams[slug].id].leader_id

    def member(slug: str) -> int:
        side = sides[teams[slug].id]
        return sorted(p for p in side.people if p != side.leader_id)[0]

    def above(slug: str) -> int:
        """The nearest leader of a unit containing the team who is not in it (who approves its goals)."""
        unit = units[teams[slug].org_unit_id]
        while unit is not None:
            if unit.leader_id and unit.leader_id not in sides[teams[slug].id].people:
                return unit.leader_id
            unit = units.get(unit.parent_id) if unit.parent_id else None
        raise LookupError(slug)

    ids = _define(acting, leader, member, teams)
    week = metrics_services.last_ended_week()
    _load(acting, leader, member, ids, week)
    _plan(acting, leader, ids, week)
    _plant_decks(system, acting, leader, member, teams, units, ids, week)
    _plant_goals(acting, leader, above, teams, ids, week)


def _define(acting, leader, member, teams) -> dict[str, int]:
    ids: dict[str, int] = {}
    for name, title, kind, team, unit, definition, _level, _noise, extra in METRICS:
        owner = leader(team) if kind == "output" else member(team)
        values: dict[str, Any] = {
            "name": name,
            "title": title,
            "kind": kind,
            "definition": definition,
            "unit": unit,
            "owner_id": owner,
            "team_id": teams[team].id,
            "lever": "" if kind == "output" else f"What the {teams[team].name} team ships and runs moves it.",
            "direction": extra.get("direction", "up"),
            "aggregation": extra.get("aggregation", "sum"),
            "comparison": extra.get("comparison", "percent"),
            "number_format": extra.get("number_format", ""),
        }
        if "ratio" in extra:
            numerator, denominator = extra["ratio"]
            values["formula"] = {"ratio": {"numerator": numerator, "denominator": denominator}}
        if "evolved" in extra:
            values["evolved_from_id"] = ids[extra["evolved"][0]]
            values["evolution_reason"] = extra["evolved"][1]
        ids[name] = metrics_services.define_metric(actor=acting(leader(team)), **values).id
    return ids


def _load(acting, leader, member, ids, week: dt.date) -> None:
    """Ten weeks of daily values up to `week` and the same days a year earlier (364 days: the same weekdays), with
    a gentle trend and weekly seasonality; two days of GAP_METRIC in the last week are never loaded."""
    rng = random.Random(12)
    first = week - dt.timedelta(days=7 * WEEKS - 1)
    days = [first + dt.timedelta(days=i) for i in range(7 * WEEKS)]
    gap = {week - dt.timedelta(days=3), week - dt.timedelta(days=2)}
    attempts: dict[dt.date, float] = {}
    for name, _title, kind, team, _unit, _definition, level, noise, extra in METRICS:
        if "ratio" in extra:
            continue
        points = []
        for year_back, growth in ((364, 0.92), (0, 1.0)):
            for i, day in enumerate(days):
                if year_back == 0 and name == GAP_METRIC and day in gap:
                    continue
                weekly = 1.0 + (0.06 if day.weekday() in (5, 6) else 0.0) * (
                    1 if extra.get("aggregation") != "mean" else 0
                )
                trend = growth * (1 + 0.002 * i) if extra.get("aggregation") != "mean" else 1.0
                value = level * trend * weekly * (1 + rng.gauss(0, noise))
                if name == "payments_authorized":  # a share of the attempts, so the success rate stays a rate
                    value = attempts[day - dt.timedelta(days=year_back)] * (0.973 + rng.gauss(0, 0.003))
                if name == "checkout_latency_p99" and year_back == 0 and day > week - dt.timedelta(days=7):
                    value *= 1.18  # the variance the owner explains in the commentary
                points.append(ValuePoint(day=day - dt.timedelta(days=year_back), value=round(value, 3)))
                if name == "payment_attempts":
                    attempts[points[-1].day] = value
        owner = leader(team) if kind == "output" else member(team)
        metrics_services.push_values(actor=acting(owner), metric_id=ids[name], values=points)


def _plan(acting, leader, ids, week: dt.date) -> None:
    """Weekly plans for orders and revenue over the ten weeks."""
    for name, per_day, team in (("orders_placed", 5300, "checkout"), ("revenue", 318_000, "checkout")):
        values = []
        for k in range(WEEKS):
            end = week - dt.timedelta(days=7 * k)
            values.append(("week", end - dt.timedelta(days=6), end, float(per_day * 7)))
        metrics_services.set_plan(actor=acting(leader(team)), metric_id=ids[name], values=values)


def _plant_decks(system, acting, leader, member, teams, units, ids, week: dt.date) -> None:
    """The Consumer unit's WBR (owned by its leader) and the Checkout team's; a note on the latency variance; the
    previous week's snapshot of both."""
    consumer = next((u for u in units.values() if u.slug == "consumer"), None)
    decks = []
    if consumer is not None and consumer.leader_id:
        deck = metrics_services.create_deck(
            actor=acting(consumer.leader_id),
            slug="consumer-wbr",
            title="Consumer: Weekly Business Review",
            unit_id=consumer.id,
            description="The Consumer org's input metrics first, then revenue.",
        )
        rows = [
            "orders_placed",
            "checkout_latency_p99",
            "payment_success_rate",
            "add_to_cart",
            "pages_seen_in_stock",
            "searches_with_click",
            "search_latency_p50",
            "chargebacks",
            "revenue",
        ]
        decks.append(
            metrics_services.set_deck_rows(
                actor=acting(consumer.leader_id),
                deck_id=deck.id,
                version=deck.version,
                rows=[(ids[n], "", "") for n in rows],
            )
        )
    owner = leader("checkout")
    deck = metrics_services.create_deck(
        actor=acting(owner), slug="checkout-wbr", title="Checkout: weekly review", team_id=teams["checkout"].id
    )
    deck = metrics_services.set_deck_rows(
        actor=acting(owner),
        deck_id=deck.id,
        version=deck.version,
        rows=[(ids[n], "", "") for n in ("orders_placed", "checkout_latency_p99", "payment_success_rate", "revenue")],
    )
    decks.append(deck)
    metrics_services.comment_on_metric(
        actor=acting(member("checkout")),
        deck_id=deck.id,
        metric_id=ids["checkout_latency_p99"],
        week_ending=week,
        body="p99 rose about 18% week over week: the fraud-score call moved in front of the payment call on "
        "Tuesday. We move it back behind a 150 ms budget this week; orders held up.",
    )
    for d in decks:
        metrics_services.take_snapshot(actor=acting(d.owner_id), deck_id=d.id, week_ending=week - dt.timedelta(days=7))


def _plant_goals(acting, leader, above, teams, ids, week: dt.date) -> None:
    """Goals per team for the year of the last ended week: approved and proposed, mostly input; the Cart team's set
    is output-only (revenue), so the mix warns."""
    year = week.year
    start, due = dt.date(year, 1, 1), dt.date(year, 12, 31)
    goals = [
        ("checkout", "Orders placed to 40,000 a week", "orders_placed", 36_000.0, 40_000.0, "approve"),
        ("checkout", "Checkout p99 under 380 ms", "checkout_latency_p99", 430.0, 380.0, "approve"),
        ("payments", "Payment success rate to 98.5%", "payment_success_rate", 0.97, 0.985, "approve"),
        (
            "product-catalog",
            "Pages seen in stock to 1.05M a week",
            "pages_seen_in_stock",
            900_000.0,
            1_050_000.0,
            "approve",
        ),
        ("search", "Searches with a click to 650,000 a week", "searches_with_click", 600_000.0, 650_000.0, "propose"),
        ("search", "Search p50 under 80 ms", "search_latency_p50", 100.0, 80.0, "approve"),
        ("shipping", "On-time deliveries at 97.5%", "on_time_deliveries", 96.0, 97.5, "approve"),
        ("fraud", "Chargebacks under 60 a week", "chargebacks", 90.0, 60.0, "propose"),
        ("cart", "Revenue to $2.3M a week", "revenue", 2_100_000.0, 2_300_000.0, "approve"),
    ]
    for team, title, metric, baseline, target, step in goals:
        proposer = acting(leader(team))
        goal = metrics_services.propose_goal(
            actor=proposer,
            team_id=teams[team].id,
            year=year,
            title=title,
            description="The team owns the how; see its narrative.",
            metric_id=ids[metric],
            measure="last_week",
            baseline=baseline,
            target=target,
            start_date=start,
            due_date=due,
        )
        if step == "approve":
            metrics_services.apply_goal_transition(
                actor=acting(above(team)),
                goal_id=goal.id,
                version=goal.version,
                transition="approve",
                values={"note": "Approved at the planning review."},
            )
