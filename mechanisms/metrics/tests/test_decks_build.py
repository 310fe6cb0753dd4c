"""Decks built from the database: the same figures as the engine on the same series, N/A for a gap, commentary,
exceptions first, snapshots (idempotent, frozen, compared), exports and the worker's job (services)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from mechanisms.kernel import clock
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.metrics import rules, services
from mechanisms.metrics.contracts import Aggregation, DeckSpec, Operation, RowSpec, Series

from .deck_helpers import load_days, make_metric

WEEK = dt.date(2024, 3, 30)  # a Saturday
START = dt.date(2022, 12, 1)
GAP = dt.date(2024, 3, 27)  # a day of this week never loaded for visits


def orders(day: dt.date) -> float:
    return float(100 + day.toordinal() % 37)


def visits(day: dt.date) -> float:
    return float(1000 + day.toordinal() % 91)


@pytest.fixture
def deck(small_org):
    o = small_org
    m_orders = make_metric(o, "orders", title="Orders")
    m_visits = make_metric(o, "visits", title="Visits", owner="cat")
    m_conv = make_metric(
        o,
        "conversion",
        title="Conversion",
        kind="output",
        owner="eve",
        team="payments",
        numerator=m_orders,
        denominator=m_visits,
    )
    load_days(m_orders, START, WEEK, orders)
    load_days(m_visits, START, WEEK, visits, skip={GAP})
    bob = o.actor("bob")
    d = services.create_deck(actor=bob, slug="checkout", title="Checkout WBR", team_id=o.teams["checkout"].id)
    d = services.set_deck_rows(
        actor=bob,
        deck_id=d.id,
        version=d.version,
        rows=[(m_orders.pk, "", ""), (m_visits.pk, "Site visits", ""), (m_conv.pk, "", "percent:2")],
    )
    return d


def _pinned(day: dt.date):
    return clock.shifted(dt.timedelta(days=(day - clock.today()).days))


def test_the_deck_from_the_database_equals_the_engine_on_the_same_series(small_org, deck):
    built = services.build_deck(actor=small_org.actor("gus"), deck_id=deck.id, week_ending=WEEK)
    day, days = START, {}
    while day <= WEEK:
        days[day] = day
        day += dt.timedelta(days=1)
    spec = DeckSpec(
        week_ending=WEEK,
        rows=(
            RowSpec(name="orders", label="Orders"),
            RowSpec(name="visits", label="Site visits"),
            RowSpec(
                name="conversion",
                label="Conversion",
                operation=Operation.DIVIDE,
                operands=("orders", "visits"),
                number_format="percent:2",
                aggregation=Aggregation.SUM,
            ),
        ),
        series={
            "orders": Series(values={d: orders(d) for d in days}),
            "visits": Series(values={d: visits(d) for d in days if d != GAP}),
        },
        title="Checkout WBR",
    )
    expected = rules.deck_to_dict(rules.build_deck(spec))["metrics"]
    got = rules.deck_to_dict(built.result)["metrics"]
    assert list(got) == ["orders", "visits", "conversion"]
    for name in got:
        for key in ("weeks_cy", "weeks_py", "months_cy", "months_py", "box"):
            assert got[name][key] == expected[name][key], (name, key)
    assert [r.owner_id for r in built.rows] == [small_org.people[h].id for h in ("bob", "cat", "eve")]
    assert built.result.week_number == rules.week_number(WEEK, 12)


def test_a_gap_in_the_database_is_na_never_zero(small_org, deck):
    built = services.build_deck(actor=small_org.actor("gus"), deck_id=deck.id, week_ending=WEEK)
    rows = {r.result.name: r.result for r in built.rows}
    assert rows["orders"].box.last_week == sum(orders(WEEK - dt.timedelta(days=i)) for i in range(7))
    assert rows["visits"].box.last_week is None and rows["visits"].weeks_cy[-1] is None
    assert rows["conversion"].box.last_week is None
    assert any(GAP in g.missing for g in rows["visits"].gaps)


def test_a_week_not_ending_on_the_decks_weekday_is_refused_by_name(small_org, deck):
    with pytest.raises(RuleViolation) as caught:
        services.build_deck(actor=small_org.actor("gus"), deck_id=deck.id, week_ending=WEEK - dt.timedelta(days=1))
    assert caught.value.field == "week_ending"


def test_the_default_week_is_the_last_complete_one(small_org, deck):
    with _pinned(WEEK + dt.timedelta(days=1)):
        assert services.build_deck(actor=small_org.actor("gus"), deck_id=deck.id).result.week_ending == WEEK
    with _pinned(WEEK):  # the Saturday itself has not ended
        view = services.build_deck(actor=small_org.actor("gus"), deck_id=deck.id)
        assert view.result.week_ending == WEEK - dt.timedelta(days=7)
        assert view.next_week is None and view.previous_week == WEEK - dt.timedelta(days=14)


def test_a_deck_builds_in_a_handful_of_queries(small_org, deck, django_assert_max_num_queries):
    gus = small_org.actor("gus")
    services.build_deck(actor=gus, deck_id=deck.id, week_ending=WEEK)  # relations are cached per actor afterwards
    with django_assert_max_num_queries(10):
        services.build_deck(actor=gus, deck_id=deck.id, week_ending=WEEK)


@pytest.mark.parametrize(
    ("handle", "allowed"),
    [("bob", True), ("cat", True), ("ann", True), ("eve", False), ("gus", False), ("admin", False)],
)
def test_who_comments_on_a_metric(small_org, deck, handle, allowed):
    """orders: owner bob, team checkout (ann leads; bob, cat members); the deck's owner is bob."""
    orders_id = deck.rows[0].metric_id
    call = lambda: services.comment_on_metric(  # noqa: E731
        actor=small_org.actor(handle), deck_id=deck.id, metric_id=orders_id, week_ending=WEEK, body="Easter week."
    )
    if allowed:
        assert call().body == "Easter week."
    else:
        with pytest.raises(PermissionDenied):
            call()


def test_the_deck_owner_comments_on_any_row_and_hears_of_others_notes(small_org, deck):
    from mechanisms.notifications import services as notifications

    conversion_id = deck.rows[2].metric_id  # owned by eve of payments
    services.comment_on_metric(
        actor=small_org.actor("bob"), deck_id=deck.id, metric_id=conversion_id, week_ending=WEEK, body="ok"
    )
    services.comment_on_metric(
        actor=small_org.actor("eve"),
        deck_id=deck.id,
        metric_id=deck.rows[2].metric_id,
        week_ending=WEEK - dt.timedelta(days=7),
        body="Payments outage *Tuesday*.",
    )
    inbox = notifications.list_inbox(actor=small_org.actor("bob")).items
    assert any("commented on Conversion" in item.title for item in inbox)


def test_a_note_is_updated_by_version_and_a_stale_one_is_a_conflict(small_org, deck):
    bob, cat = small_org.actor("bob"), small_org.actor("cat")
    mid = deck.rows[0].metric_id
    note = services.comment_on_metric(actor=bob, deck_id=deck.id, metric_id=mid, week_ending=WEEK, body="*first*")
    assert "<em>first</em>" in note.html
    with pytest.raises(Conflict):
        services.comment_on_metric(actor=cat, deck_id=deck.id, metric_id=mid, week_ending=WEEK, body="blind")
    second = services.comment_on_metric(
        actor=cat, deck_id=deck.id, metric_id=mid, week_ending=WEEK, body="second", version=note.version
    )
    with pytest.raises(Conflict):
        services.comment_on_metric(
            actor=bob, deck_id=deck.id, metric_id=mid, week_ending=WEEK, body="third", version=note.version
        )
    notes = services.list_commentary(actor=small_org.actor("gus"), deck_id=deck.id, week_ending=WEEK).items
    assert [(n.body, n.author_id) for n in notes] == [("second", small_org.people["cat"].id)]
    assert second.version == note.version + 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"body": ""}, "body"),
        ({"metric_id": 999999}, "metric_id"),
        ({"week_ending": WEEK - dt.timedelta(days=2)}, "week_ending"),
    ],
)
def test_bad_notes_are_refused_by_name(small_org, deck, change, field):
    args = {"deck_id": deck.id, "metric_id": deck.rows[0].metric_id, "week_ending": WEEK, "body": "x", **change}
    with pytest.raises(RuleViolation) as caught:
        services.comment_on_metric(actor=small_org.actor("bob"), **args)
    assert caught.value.field == field


def test_exceptions_come_first_and_the_owner_sees_whom_they_wait_on(small_org, deck):
    gus, bob = small_org.actor("gus"), small_org.actor("bob")
    orders_id = deck.rows[0].metric_id
    # orders' plan for the week is far above what it did: an exception (off plan); it is the deck's last row, and
    # the exceptions-first view moves it to the front
    services.set_plan(actor=bob, metric_id=orders_id, values=[("week", WEEK - dt.timedelta(days=6), WEEK, 10**5)])
    others = [(r.metric_id, r.label, r.number_format) for r in deck.rows[1:]]
    deck = services.set_deck_rows(actor=bob, deck_id=deck.id, version=deck.version, rows=[*others, (orders_id, "", "")])
    plain = services.build_deck(actor=gus, deck_id=deck.id, week_ending=WEEK)
    assert [r.result.name for r in plain.rows][-1] == "orders"
    first = services.build_deck(actor=gus, deck_id=deck.id, week_ending=WEEK, exceptions_first=True)
    flagged = [r.result.name for r in plain.rows if r.result.exception]
    assert flagged == ["orders"]
    assert [r.result.name for r in first.rows][: len(flagged)] == flagged
    assert sorted(r.result.name for r in first.rows) == sorted(r.result.name for r in plain.rows)
    assert set(plain.waiting_on) == {r.owner_id for r in plain.rows if r.result.exception}
    for row in plain.rows:
        if row.result.exception:
            services.comment_on_metric(
                actor=small_org.actor("bob"), deck_id=deck.id, metric_id=row.metric_id, week_ending=WEEK, body="why"
            )
    after = services.build_deck(actor=gus, deck_id=deck.id, week_ending=WEEK)
    assert after.waiting_on == () and not any(r.needs_note for r in after.rows)


def test_a_snapshot_is_idempotent_and_frozen(small_org, deck):
    from mechanisms.metrics.models import DataPoint

    bob = small_org.actor("bob")
    services.comment_on_metric(
        actor=bob, deck_id=deck.id, metric_id=deck.rows[1].metric_id, week_ending=WEEK, body="Lost a day"
    )
    first = services.take_snapshot(actor=bob, deck_id=deck.id, week_ending=WEEK)
    assert set(first.payload) >= {"deck", "result", "commentary", "completeness"}
    assert first.payload["deck"]["metrics"]["visits"]["box"]["last_week"] is None
    # later loads fill the gap and change the data: the snapshot stays as it was presented
    DataPoint.objects.create(metric_id=deck.rows[1].metric_id, day=GAP, value=5.0)
    DataPoint.objects.filter(metric_id=deck.rows[0].metric_id, day=WEEK).update(value=10**6)
    again = services.take_snapshot(actor=bob, deck_id=deck.id, week_ending=WEEK)
    assert again.id == first.id and again.payload == first.payload
    frozen = services.snapshot_result(
        services.get_snapshot(actor=small_org.actor("gus"), deck_id=deck.id, week_ending=WEEK)
    )
    assert frozen.rows[1].box.last_week is None and frozen.rows[1].gaps
    live = services.build_deck(actor=bob, deck_id=deck.id, week_ending=WEEK)
    assert live.rows[1].result.box.last_week is not None
    assert [s.week_ending for s in services.list_snapshots(actor=small_org.actor("gus"), deck_id=deck.id).items] == [
        WEEK
    ]
    with pytest.raises(PermissionDenied):
        services.take_snapshot(actor=small_org.actor("cat"), deck_id=deck.id, week_ending=WEEK - dt.timedelta(days=7))
    with pytest.raises(NotFound):
        services.get_snapshot(actor=bob, deck_id=deck.id, week_ending=WEEK - dt.timedelta(days=7))


def test_a_snapshot_of_a_week_not_ended_is_refused(small_org, deck):
    with _pinned(WEEK), pytest.raises(RuleViolation) as caught:
        services.take_snapshot(actor=small_org.actor("bob"), deck_id=deck.id, week_ending=WEEK)
    assert caught.value.field == "week_ending"


def test_two_snapshots_compare_figures_rows_and_commentary(small_org, deck):
    bob = small_org.actor("bob")
    earlier = WEEK - dt.timedelta(days=7)
    services.take_snapshot(actor=bob, deck_id=deck.id, week_ending=earlier)
    d = services.get_deck(actor=bob, deck_id=deck.id)
    services.set_deck_rows(
        actor=bob, deck_id=d.id, version=d.version, rows=[(d.rows[0].metric_id, "", ""), (d.rows[1].metric_id, "", "")]
    )
    services.comment_on_metric(actor=bob, deck_id=deck.id, metric_id=d.rows[0].metric_id, week_ending=WEEK, body="up")
    services.take_snapshot(actor=bob, deck_id=deck.id, week_ending=WEEK)
    cmp = services.compare_snapshots(actor=small_org.actor("gus"), deck_id=deck.id, week_a=earlier, week_b=WEEK)
    assert cmp.removed == ("conversion",) and cmp.added == ()
    rows = {r.name: r for r in cmp.rows}
    assert "last_week" in rows["orders"].changed and "commentary" in rows["orders"].changed
    assert rows["orders"].note_b == "up" and rows["orders"].note_a == ""
    assert rows["conversion"].box_b is None and rows["conversion"].box_a is not None


def test_exports_json_html_and_pdf(small_org, deck):
    from mechanisms.kernel.testing import pdf_text

    gus = small_org.actor("gus")
    services.comment_on_metric(
        actor=small_org.actor("bob"),
        deck_id=deck.id,
        metric_id=deck.rows[0].metric_id,
        week_ending=WEEK,
        body="**Bold** note",
    )
    body, media, name = services.export_deck(actor=gus, deck_id=deck.id, week_ending=WEEK, format="json")
    data = json.loads(body)
    assert media == "application/json" and name == "checkout-2024-03-30.json"
    box = data["metrics"]["orders"]["box"]
    assert set(box) >= {"last_week", "wow", "yoy", "mtd", "mtd_yoy", "qtd", "qtd_yoy", "ytd", "ytd_yoy"}
    assert len(data["metrics"]["orders"]["weeks_cy"]) == 6 and len(data["metrics"]["orders"]["months_py"]) == 12
    assert data["metrics"]["visits"]["box"]["last_week"] is None
    html, media, _ = services.export_deck(actor=gus, deck_id=deck.id, week_ending=WEEK, format="html")
    text = html.decode()
    assert media.startswith("text/html") and "<svg" in text and "<strong>Bold</strong> note" in text
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org", "")
    pdf, media, _ = services.export_deck(actor=gus, deck_id=deck.id, week_ending=WEEK, format="pdf")
    assert media == "application/pdf" and pdf.startswith(b"%PDF") and "Checkout WBR" in pdf_text(pdf)
    with pytest.raises(RuleViolation):
        services.export_deck(actor=gus, deck_id=deck.id, week_ending=WEEK, format="xls")


def test_the_worker_takes_each_decks_snapshot_once(small_org, deck):
    from mechanisms.metrics import tasks

    with _pinned(WEEK + dt.timedelta(days=2)):
        assert tasks.take_snapshots.call() == {"taken": 1}
        assert tasks.take_snapshots.call() == {"taken": 0}
        snap = services.get_snapshot(actor=small_org.actor("gus"), deck_id=deck.id, week_ending=WEEK)
    assert snap.taken_by_id is None
    with pytest.raises(PermissionDenied):
        services.take_due_snapshots(actor=small_org.actor("bob"))
