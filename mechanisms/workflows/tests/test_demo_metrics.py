"""The demo's metrics (MECHANISMS.md §8): fifteen metrics, mostly input, with a ratio and a lineage; ten weeks of
data and the same weeks a year earlier (so year over year shows); the planted gap shown as N/A in the deck and
flagged by the completeness check; two decks with a note and a snapshot; goals per team with the output-only
warning; loading twice changes nothing."""

from __future__ import annotations

import pytest

from mechanisms.kernel.actor import Actor
from mechanisms.metrics import services as metrics
from mechanisms.metrics.contracts import GoalState, GoalStatus
from mechanisms.workflows.demo import load_demo
from mechanisms.workflows.demo_metrics import GAP_METRIC

pytestmark = pytest.mark.django_db


def test_the_demo_metrics_decks_and_goals(db):
    load_demo()
    system = Actor.system("test")
    counts = metrics.count_metrics(actor=system)
    assert counts["input"] >= 12 and counts["output"] == 1 and 12 <= sum(counts.values()) <= 16
    seen_in_stock = metrics.get_metric_by_name(actor=system, name=GAP_METRIC)
    assert [link.name for link in metrics.lineage(actor=system, metric_id=seen_in_stock.id).ancestors] == [
        "product_pages",
        "pages_seen",
    ]

    deck = metrics.find_deck(actor=system, slug="consumer-wbr")
    view = metrics.build_deck(actor=system, deck_id=deck.id)
    rows = {r.result.name: r.result for r in view.rows}
    gap = rows[GAP_METRIC]
    assert gap.box.last_week is None and gap.weeks_cy[-1] is None and gap.gaps  # N/A, never 0
    orders = rows["orders_placed"]
    assert None not in orders.weeks_cy and None not in orders.weeks_py and orders.box.yoy is not None
    assert rows["payment_success_rate"].box.last_week == pytest.approx(0.97, abs=0.03)
    check = metrics.completeness(actor=system, metric_id=seen_in_stock.id)
    assert not check.complete and check.missing_days == 2
    assert metrics.completeness(
        actor=system, metric_id=metrics.get_metric_by_name(actor=system, name="revenue").id
    ).complete

    team_deck = metrics.find_deck(actor=system, slug="checkout-wbr")
    built = metrics.build_deck(actor=system, deck_id=team_deck.id)
    assert any(r.note is not None for r in built.rows)
    assert metrics.list_snapshots(actor=system, deck_id=team_deck.id).total == 1

    year = view.result.week_ending.year
    goals = metrics.list_goals(actor=system, year=year, limit=50).items
    assert {g.state for g in goals} == {GoalState.APPROVED, GoalState.PROPOSED}
    mix = metrics.goal_mix(actor=system, year=year)
    assert mix.input > 3 * mix.output and len(mix.warnings) == 1 and "Cart" in mix.warnings[0]
    progress = metrics.goal_progresses(actor=system, goal_ids=[g.id for g in goals])
    by_metric = {g.metric_name: progress[g.id] for g in goals}
    assert by_metric[GAP_METRIC].status is GoalStatus.NO_DATA
    assert by_metric["orders_placed"].measured is not None

    load_demo()  # a second load changes nothing
    assert metrics.count_metrics(actor=system) == counts
    assert metrics.list_goals(actor=system, year=year, limit=50).total == len(goals)
