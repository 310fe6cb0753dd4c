"""Data of the metrics app (MECHANISMS.md §8; docs/metrics.md, Data): CSV loads long and wide, all or nothing with
the line and field named, idempotent re-loads, blanks versus missing days, weekly grain, who may load, API pushes
and the completeness check."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from mechanisms.audit import services as audit_services
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.importing import ImportFailed
from mechanisms.metrics import services
from mechanisms.metrics.contracts import Source, ValuePoint

from .data_helpers import DAY0, deck_with, metric, stored, wide_csv

pytestmark = pytest.mark.django_db


def _history(metric_id) -> list[str]:
    page = audit_services.list_changes(
        actor=services_actor(), subject_type="metric", subject_id=str(metric_id), limit=200
    )
    return [c.verb for c in page.items]


def services_actor():
    from mechanisms.kernel.actor import Actor

    return Actor.system("test")


def test_a_long_csv_loads_and_reloading_the_same_file_changes_nothing(small_org):
    orders = metric(small_org, "orders")
    content = b"date,metric,value\n2026-01-01,orders,10\n2026-01-02,orders,12\n2026-01-03,orders,\n"
    first = services.load_values_csv(actor=small_org.actor("ann"), content=content, file_name="orders.csv")
    assert (first.added, first.changed, first.unchanged) == (3, 0, 0)
    assert first.source is Source.CSV and first.metric_names == ("orders",)
    assert stored(orders) == {dt.date(2026, 1, 1): 10.0, dt.date(2026, 1, 2): 12.0, dt.date(2026, 1, 3): None}
    again = services.load_values_csv(actor=small_org.actor("ann"), content=content, file_name="orders.csv")
    assert (again.added, again.changed, again.unchanged) == (0, 0, 3)
    assert stored(orders)[dt.date(2026, 1, 3)] is None  # a blank stays a blank, never 0
    assert _history(orders.pk) == ["load_values"]  # one record for the load that changed something, none per value
    changed = services.load_values_csv(
        actor=small_org.actor("ann"), content=b"date,metric,value\n2026-01-02,orders,13\n", file_name="fix.csv"
    )
    assert (changed.added, changed.changed, changed.unchanged) == (0, 1, 0)
    assert stored(orders)[dt.date(2026, 1, 2)] == 13.0
    assert services.list_loads(actor=small_org.actor("gus")).total == 3


def test_a_wide_csv_with_a_bom_and_thousands_separators_loads_every_column(small_org):
    a, b = metric(small_org, "visits"), metric(small_org, "signups")
    content = '\ufeffdate,visits,signups\n2026-01-01,"1,234.5",3\n2026-01-02,,4\n'.encode()
    report = services.load_values_csv(actor=small_org.actor("bob"), content=content, file_name="wide.csv")
    assert (report.added, report.changed) == (4, 0)
    assert stored(a) == {dt.date(2026, 1, 1): 1234.5, dt.date(2026, 1, 2): None}
    assert stored(b) == {dt.date(2026, 1, 1): 3.0, dt.date(2026, 1, 2): 4.0}
    assert sorted(report.metric_names) == ["signups", "visits"]


@pytest.mark.parametrize(
    ("content", "field", "words"),
    [
        (b"date,metric,value\n2026-01-01,orders,1\n2026-01-02,orders,abc\n", "line 3: value", "not a number"),
        (b"date,metric,value\n2026-01-01,orders,1\n01/02/2026,orders,2\n", "line 3: date", "ISO date"),
        (b"date,metric,value\n2026-01-01,orders,1\n2026-01-01,orders,2\n", "line 3: date", "also on line 2"),
        (b"date,metric,value\n2026-01-01,orders,1\n2026-01-02,nosuch,2\n", "line 3: metric", "no metric"),
        (b"date,orders,nosuch\n2026-01-01,1,2\n", "line 1: header", "no metric"),
        (b"day,orders\n2026-01-01,1\n", "line 1: header", "first column"),
        (b"date,orders\n2026-01-01,1,2\n", "line 2: row", "fields"),
        (b"date,orders\n2026-01-01,nan\n", "line 2: orders", "not a number"),
        (b"", "line 1: header", "empty"),
    ],
)
def test_a_bad_row_is_named_by_line_and_field_and_nothing_is_written(small_org, content, field, words):
    orders = metric(small_org, "orders")
    with pytest.raises(ImportFailed) as refused:
        services.load_values_csv(actor=small_org.actor("ann"), content=content, file_name="bad.csv")
    assert refused.value.field == field
    assert words in str(refused.value.problems[0])
    assert refused.value.problems[0].source == "bad.csv"
    assert stored(orders) == {}
    assert services.list_loads(actor=small_org.actor("ann")).total == 0


def test_every_problem_of_the_file_is_reported_at_once(small_org):
    metric(small_org, "orders")
    content = b"date,metric,value\n2026-01-01,orders,x\n2026-13-01,orders,1\n2026-01-03,orders,y\n"
    with pytest.raises(ImportFailed) as refused:
        services.load_values_csv(actor=small_org.actor("ann"), content=content, file_name="bad.csv")
    assert [p["field"] for p in refused.value.details["problems"]] == [
        "line 2: value",
        "line 3: date",
        "line 4: value",
    ]


def test_blank_and_missing_days_are_both_incomplete_and_told_apart(small_org):
    orders = metric(small_org, "orders")
    saturday = dt.date(2026, 1, 10)  # a week ending on Saturday: 2026-01-04 .. 2026-01-10
    rows = [(saturday - dt.timedelta(days=i), "5") for i in range(7)]
    rows[1] = (rows[1][0], "")  # Friday loaded blank
    del rows[3]  # Wednesday never loaded
    content = ("date,metric,value\n" + "".join(f"{d},orders,{v}\n" for d, v in rows)).encode()
    services.load_values_csv(actor=small_org.actor("ann"), content=content, file_name="w.csv")
    check = services.completeness(actor=small_org.actor("gus"), metric_id=orders.pk, start=saturday, end=saturday)
    (week,) = check.weeks
    assert week.week_ending == saturday and week.expected == 7
    assert week.missing == (dt.date(2026, 1, 7),)
    assert week.blank == (dt.date(2026, 1, 9),)
    assert not week.complete and not check.complete
    series = services.get_series(actor=small_org.actor("gus"), metric_id=orders.pk, start=DAY0, end=saturday)
    assert dt.date(2026, 1, 7) in series.missing
    assert ValuePoint(dt.date(2026, 1, 9), None) in series.points


def test_a_complete_week_is_complete_and_the_default_range_is_the_last_ten_ended_weeks(small_org):
    orders = metric(small_org, "orders")
    services.load_values_csv(actor=small_org.actor("ann"), content=wide_csv(["orders"], 80), file_name="w.csv")
    with time_machine.travel(dt.datetime(2026, 3, 18, 12, tzinfo=dt.UTC), tick=False):  # a Wednesday
        check = services.completeness(actor=small_org.actor("ann"), metric_id=orders.pk)
    assert len(check.weeks) == 10
    assert check.weeks[-1].week_ending == dt.date(2026, 3, 14)  # the last Saturday that has passed
    assert check.complete and check.missing_days == 0


def test_a_weekly_metric_takes_values_only_on_its_decks_week_ends(small_org):
    nps = metric(small_org, "nps", grain="week")
    deck_with(small_org, nps, week_ends_on=5)
    friday = b"date,metric,value\n2026-01-09,nps,40\n"
    with pytest.raises(ImportFailed) as refused:
        services.load_values_csv(actor=small_org.actor("ann"), content=friday, file_name="nps.csv")
    assert refused.value.field == "line 2: value" and "Saturday" in refused.value.message
    services.load_values_csv(
        actor=small_org.actor("ann"), content=b"date,metric,value\n2026-01-10,nps,40\n", file_name="nps.csv"
    )
    check = services.completeness(
        actor=small_org.actor("ann"), metric_id=nps.pk, start=dt.date(2026, 1, 4), end=dt.date(2026, 1, 17)
    )
    assert [(w.week_ending, w.expected, w.missing) for w in check.weeks] == [
        (dt.date(2026, 1, 10), 1, ()),
        (dt.date(2026, 1, 17), 1, (dt.date(2026, 1, 17),)),
    ]


def test_a_weekly_metric_in_no_deck_takes_any_date(small_org):
    nps = metric(small_org, "nps", grain="week")
    report = services.push_values(
        actor=small_org.actor("ann"), metric_id=nps.pk, values=[ValuePoint(dt.date(2026, 1, 9), 40.0)]
    )
    assert report.added == 1


@pytest.mark.parametrize(("handle", "allowed"), [("ann", True), ("bob", True), ("admin", True), ("eve", False)])
def test_who_may_load_a_metric_the_owner_the_team_and_admins(small_org, handle, allowed):
    # owner: dan (payments' leader), team: checkout (ann leads; bob and cat members); eve is in payments only.
    orders = metric(small_org, "orders", owner="dan")
    content = b"date,metric,value\n2026-01-01,orders,1\n"
    if allowed:
        assert services.load_values_csv(actor=small_org.actor(handle), content=content, file_name="o.csv").added == 1
    else:
        with pytest.raises(PermissionDenied):
            services.load_values_csv(actor=small_org.actor(handle), content=content, file_name="o.csv")
        assert stored(orders) == {}


def test_the_owner_outside_the_team_may_load_and_anonymous_may_not_even_read(small_org):
    from mechanisms.kernel.actor import Actor

    orders = metric(small_org, "orders", owner="dan")
    services.push_values(actor=small_org.actor("dan"), metric_id=orders.pk, values=[ValuePoint(DAY0, 1.0)])
    with pytest.raises(PermissionDenied):
        services.get_series(actor=Actor.anonymous(), metric_id=orders.pk)
    with pytest.raises(PermissionDenied):
        services.load_values_csv(actor=Actor.anonymous(), content=b"date,orders\n2026-01-01,1\n", file_name="x.csv")


def test_a_file_touching_one_forbidden_metric_loads_nothing(small_org):
    mine, theirs = metric(small_org, "orders"), metric(small_org, "refunds", team="payments", owner="dan")
    content = b"date,orders,refunds\n2026-01-01,1,2\n"
    with pytest.raises(PermissionDenied):
        services.load_values_csv(actor=small_org.actor("bob"), content=content, file_name="x.csv")
    assert stored(mine) == {} and stored(theirs) == {}


def test_a_push_is_idempotent_and_refuses_duplicates_naming_the_item(small_org):
    orders = metric(small_org, "orders")
    points = [ValuePoint(DAY0, 1.0), ValuePoint(DAY0 + dt.timedelta(days=1), None)]
    assert services.push_values(actor=small_org.actor("cat"), metric_id=orders.pk, values=points).added == 2
    again = services.push_values(actor=small_org.actor("cat"), metric_id=orders.pk, values=points)
    assert (again.added, again.changed, again.unchanged) == (0, 0, 2)
    with pytest.raises(RuleViolation) as refused:
        services.push_values(
            actor=small_org.actor("cat"), metric_id=orders.pk, values=[ValuePoint(DAY0, 1.0), ValuePoint(DAY0, 2.0)]
        )
    assert refused.value.field == "values[1].day"
    with pytest.raises(NotFound):
        services.push_values(actor=small_org.actor("cat"), metric_id=999999, values=points)


def test_a_ratio_metric_takes_no_values_and_is_as_complete_as_its_operands(small_org):
    clicks, views = metric(small_org, "clicks"), metric(small_org, "views")
    ctr = metric(small_org, "ctr", numerator=clicks, denominator=views)
    with pytest.raises(ImportFailed) as refused:
        services.load_values_csv(
            actor=small_org.actor("ann"), content=b"date,ctr\n2026-01-01,0.5\n", file_name="ctr.csv"
        )
    assert "ratio" in refused.value.message
    saturday = dt.date(2026, 1, 10)
    days = [saturday - dt.timedelta(days=i) for i in range(7)]
    services.push_values(actor=small_org.actor("ann"), metric_id=clicks.pk, values=[ValuePoint(d, 1.0) for d in days])
    services.push_values(
        actor=small_org.actor("ann"), metric_id=views.pk, values=[ValuePoint(d, 9.0) for d in days[1:]]
    )
    (week,) = services.completeness(actor=small_org.actor("ann"), metric_id=ctr.pk, start=saturday, end=saturday).weeks
    assert week.missing == (saturday,)


def test_fifty_thousand_rows_load_in_bulk_and_reload_unchanged(small_org, django_assert_max_num_queries):
    names = [f"m{i}" for i in range(50)]
    for name in names:
        metric(small_org, name)
    content = wide_csv(names, 1000)  # 50,000 values
    with django_assert_max_num_queries(400):  # bulk statements, never one per row
        report = services.load_values_csv(actor=small_org.actor("ann"), content=content, file_name="big.csv")
    assert report.added == 50_000
    again = services.load_values_csv(actor=small_org.actor("ann"), content=content, file_name="big.csv")
    assert (again.added, again.changed, again.unchanged) == (0, 0, 50_000)
