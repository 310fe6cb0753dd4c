"""The deck engine on series built here: every figure against a plain day-by-day reference written from the
definitions (docs/wbr.md), function rows, N/A and gaps (never 0), weekly series, plans and the exceptions rule."""

from __future__ import annotations

import datetime as dt
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.metrics.contracts import (
    Aggregation,
    Comparison,
    DeckSpec,
    Direction,
    Grain,
    Operation,
    Period,
    PlanValue,
    RowSpec,
    Series,
)
from mechanisms.metrics.rules import (
    DeckSpecError,
    build_deck,
    deck_to_dict,
    evaluation_order,
    fiscal_quarter_start,
    fiscal_year_start,
    month_end,
    period_gap,
    shift_months,
    year_earlier,
)

ONE = dt.timedelta(days=1)
EXAMPLES = settings(max_examples=40, deadline=None)
weeks_ending = st.dates(min_value=dt.date(2003, 1, 1), max_value=dt.date(2096, 12, 31))
months = st.integers(min_value=1, max_value=12)


def daily(first: dt.date, last: dt.date, value=lambda day: 1.0) -> dict[dt.date, float | None]:
    return {first + k * ONE: value(first + k * ONE) for k in range((last - first).days + 1)}


def deck(w, rows, series, fyem=12, **kw):
    return build_deck(DeckSpec(week_ending=w, rows=tuple(rows), series=series, fiscal_year_end_month=fyem, **kw))


def periods(w: dt.date, fyem: int) -> dict[str, list[tuple[dt.date, dt.date]]]:
    """The definitions, written out plainly."""
    ends = [w - dt.timedelta(days=7 * k) for k in range(5, -1, -1)]
    firsts = [shift_months(w, k) for k in range(-11, 1)]
    py = year_earlier(w)
    return {
        "weeks_cy": [(e - 6 * ONE, e) for e in ends],
        "weeks_py": [(e - 370 * ONE, e - 364 * ONE) for e in ends],
        "months_cy": [(f, min(month_end(f), w)) for f in firsts],
        "months_py": [(year_earlier(f), month_end(year_earlier(f))) for f in firsts],
        "mtd": [(w.replace(day=1), w), (py.replace(day=1), py)],
        "qtd": [(fiscal_quarter_start(w, fyem), w), (fiscal_quarter_start(py, fyem), py)],
        "ytd": [(fiscal_year_start(w, fyem), w), (fiscal_year_start(py, fyem), py)],
    }


def reference(values, start, end, aggregation):
    xs = [values.get(start + k * ONE) for k in range((end - start).days + 1)]
    if any(x is None for x in xs):
        return None
    return {
        Aggregation.SUM: lambda: math.fsum(xs),
        Aggregation.MEAN: lambda: math.fsum(xs) / len(xs),
        Aggregation.MIN: lambda: min(xs),
        Aggregation.MAX: lambda: max(xs),
        Aggregation.LAST: lambda: xs[-1],
    }[aggregation]()


def figures_of(row):
    return {
        "weeks_cy": list(row.weeks_cy),
        "weeks_py": list(row.weeks_py),
        "months_cy": list(row.months_cy),
        "months_py": list(row.months_py),
        "mtd": [row.box.mtd],
        "qtd": [row.box.qtd],
        "ytd": [row.box.ytd],
    }


# ---------------------------------------------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------------------------------------------


@EXAMPLES
@given(weeks_ending, months)
def test_a_constant_series_of_ones_counts_days(w, fyem):
    """Weeks of ones are 7, MTD is the day of the month, QTD/YTD the days since the quarter/year began, a full month
    its length; leap years, any weekday and any fiscal year end included."""
    values = daily(w - 800 * ONE, w)
    row = deck(w, [RowSpec(name="ones")], {"ones": Series(values=values)}, fyem).rows[0]
    assert row.weeks_cy == (7.0,) * 6 and row.weeks_py == (7.0,) * 6
    assert row.box.mtd == w.day
    assert row.box.qtd == (w - fiscal_quarter_start(w, fyem)).days + 1
    assert row.box.ytd == (w - fiscal_year_start(w, fyem)).days + 1
    assert row.months_cy[-1] == w.day and row.partial_month == (w != month_end(w))
    for first, figure in zip(row.months[:-1], row.months_cy[:-1], strict=True):
        assert figure == month_end(first).day
    assert row.box.wow == 0 and row.box.yoy == 0
    py = year_earlier(w)
    assert row.box.mtd_yoy == pytest.approx((w.day / py.day - 1) * 100)
    assert row.gaps == ()


@EXAMPLES
@given(weeks_ending, months, st.sampled_from(list(Aggregation)), st.integers(min_value=0, max_value=2**32))
def test_every_figure_matches_the_day_by_day_reference(w, fyem, aggregation, seed):
    rng = random.Random(seed)
    values = daily(w - 800 * ONE, w, lambda day: float(rng.randint(-50, 1000)))
    for day in rng.sample(sorted(values), 12):  # a few holes and blanks anywhere
        if rng.random() < 0.5:
            del values[day]
        else:
            values[day] = None
    row = deck(w, [RowSpec(name="m", aggregation=aggregation)], {"m": Series(values=values)}, fyem).rows[0]
    got = figures_of(row)
    for key, bounds in periods(w, fyem).items():
        expected = [reference(values, s, e, aggregation) for s, e in bounds]
        assert got[key] == expected[: len(got[key])], key
    # Each incomplete shown period has a gap naming exactly its missing and blank days.
    for gap in row.gaps:
        assert not gap.before_first_day
        for day in gap.missing:
            assert day not in values
        for day in gap.blank:
            assert values[day] is None


@EXAMPLES
@given(weeks_ending, st.integers(min_value=0, max_value=2**32))
def test_none_never_becomes_0(w, seed):
    rng = random.Random(seed)
    values = daily(w - 800 * ONE, w, lambda day: rng.uniform(1, 100))
    holes = rng.sample(sorted(values), 30)
    for day in holes:
        values[day] = None
    rows = [
        RowSpec(name="a"),
        RowSpec(name="b", aggregation=Aggregation.MEAN),
        RowSpec(name="ratio", operation=Operation.DIVIDE, operands=("a", "b")),
        RowSpec(name="total", operation=Operation.SUM, operands=("a", "b")),
    ]
    result = deck(w, rows, {"a": Series(values=values), "b": Series(values=values)})
    for row in result.rows:
        for key, bounds in periods(w, 12).items():
            for (start, end), figure in zip(bounds, figures_of(row)[key], strict=False):
                incomplete = period_gap(Series(values=values), start, end) is not None
                assert (figure is None) == incomplete
                assert figure != 0  # all values are >= 1: a 0 could only be a hole read as 0
    for key in ("last_week", "mtd", "qtd", "ytd"):
        if getattr(result.rows[0].box, key) is None:
            assert getattr(result.rows[2].box, key) is None


@EXAMPLES
@given(weeks_ending, months, st.integers(min_value=0, max_value=2**32))
def test_function_rows_combine_their_operands_period_figures(w, fyem, seed):
    rng = random.Random(seed)
    a = daily(w - 800 * ONE, w, lambda day: float(rng.randint(1, 1000)))
    b = daily(w - 800 * ONE, w, lambda day: float(rng.randint(1, 1000)))
    c = daily(w - 800 * ONE, w, lambda day: float(rng.randint(1, 1000)))
    rows = [
        RowSpec(name="a"),
        RowSpec(name="b"),
        RowSpec(name="c", aggregation=Aggregation.MEAN),
        # Declared before its operands: the engine orders them by dependency.
        RowSpec(name="nested", operation=Operation.DIFFERENCE, operands=("ratio", "c")),
        RowSpec(name="ratio", operation=Operation.DIVIDE, operands=("a", "b"), comparison=Comparison.BPS),
        RowSpec(name="product", operation=Operation.PRODUCT, operands=("a", "c")),
        RowSpec(name="sum", operation=Operation.SUM, operands=("a", "b", "c")),
    ]
    series = {"a": Series(values=a), "b": Series(values=b), "c": Series(values=c)}
    result = {r.name: r for r in deck(w, rows, series, fyem).rows}
    fa, fb, fc = (figures_of(result[n]) for n in "abc")
    for key in fa:
        for i in range(len(fa[key])):
            ratio = fa[key][i] / fb[key][i]
            assert figures_of(result["ratio"])[key][i] == ratio
            assert figures_of(result["nested"])[key][i] == ratio - fc[key][i]
            assert figures_of(result["product"])[key][i] == fa[key][i] * fc[key][i]
            assert figures_of(result["sum"])[key][i] == pytest.approx(fa[key][i] + fb[key][i] + fc[key][i])
    # A ratio compares its period ratios; in bps: (cy - py) x 10,000.
    ratio = result["ratio"]
    assert ratio.box.wow == (ratio.weeks_cy[-1] - ratio.weeks_cy[-2]) * 10_000
    assert ratio.box.yoy == (ratio.weeks_cy[-1] - ratio.weeks_py[-1]) * 10_000
    assert result["a"].box.yoy == (result["a"].weeks_cy[-1] / result["a"].weeks_py[-1] - 1) * 100


@EXAMPLES
@given(weeks_ending, months, st.integers(min_value=0, max_value=2**32))
def test_a_weekly_series_reads_the_value_dated_on_each_weeks_last_day(w, fyem, seed):
    rng = random.Random(seed)
    weekly = {w - dt.timedelta(days=7 * k): float(rng.randint(1, 100)) for k in range(120)}
    row = deck(w, [RowSpec(name="m")], {"m": Series(values=weekly, grain=Grain.WEEK)}, fyem).rows[0]
    assert row.weeks_cy == tuple(weekly[w - dt.timedelta(days=7 * k)] for k in range(5, -1, -1))
    assert row.weeks_py[-1] == weekly[w - dt.timedelta(days=364)]
    # A month (or MTD, QTD, YTD) is the aggregation of the weeks ending inside it.
    for key, bounds in periods(w, fyem).items():
        for (start, end), figure in zip(bounds, figures_of(row)[key], strict=False):
            inside = [v for day, v in weekly.items() if start <= day <= end]
            expected = math.fsum(inside) if inside else None
            assert figure == expected, key


# ---------------------------------------------------------------------------------------------------------------
# Gaps, the first day, errors
# ---------------------------------------------------------------------------------------------------------------

W = dt.date(2021, 9, 25)  # a Saturday, as wbr-app's sample 1


def test_a_missing_day_and_a_blank_day_make_periods_not_available_with_their_gaps():
    values = daily(dt.date(2019, 1, 1), W, lambda day: 10.0)
    del values[dt.date(2021, 9, 22)]
    values[dt.date(2021, 9, 14)] = None
    rows = [RowSpec(name="a"), RowSpec(name="b"), RowSpec(name="r", operation=Operation.DIVIDE, operands=("a", "b"))]
    result = {
        r.name: r for r in deck(W, rows, {"a": Series(values=values), "b": Series(values=daily(W - 900 * ONE, W))}).rows
    }
    a = result["a"]
    assert a.box.last_week is None and a.box.wow is None and a.box.yoy is None
    assert a.weeks_cy[-2] is None  # the week ending 18-Sep holds the blank 14-Sep
    assert a.weeks_cy[-3] == 70.0
    assert a.box.mtd is None and a.box.qtd is None and a.box.ytd is None and a.box.ytd_yoy is None
    assert a.months_cy[-1] is None and a.months_cy[-2] == 310.0
    gaps = {g.period: g for g in a.gaps}
    assert gaps["week 2021-09-25"].missing == (dt.date(2021, 9, 22),) and gaps["week 2021-09-25"].blank == ()
    assert gaps["week 2021-09-18"].blank == (dt.date(2021, 9, 14),)
    assert gaps["mtd"].missing == (dt.date(2021, 9, 22),) and gaps["mtd"].blank == (dt.date(2021, 9, 14),)
    assert set(gaps) == {"week 2021-09-25", "week 2021-09-18", "month 2021-09", "mtd", "qtd", "ytd"}
    # The ratio is not available where its numerator is not, and names the numerator's gaps.
    r = result["r"]
    assert r.box.last_week is None and r.weeks_cy[-3] == 10.0
    assert {(g.metric, g.period) for g in r.gaps} == {("a", p) for p in gaps}
    out = deck_to_dict(deck(W, rows, {"a": Series(values=values), "b": Series(values=daily(W - 900 * ONE, W))}))
    assert out["metrics"]["a"]["box"]["last_week"] is None
    assert out["metrics"]["a"]["gaps"][0]["metric"] == "a"


def test_nan_counts_as_blank():
    values = daily(dt.date(2019, 1, 1), W, lambda day: 1.0)
    values[W] = float("nan")
    row = deck(W, [RowSpec(name="a")], {"a": Series(values=values)}).rows[0]
    assert row.box.last_week is None
    assert {g.period: g.blank for g in row.gaps}["week 2021-09-25"] == (W,)


def test_a_period_before_the_first_observation():
    """Data from 05-Jan-2021: the YTD counts from the 5th (wbr-app's figure), flagged; the prior year has no data."""
    values = daily(dt.date(2021, 1, 5), W, lambda day: 2.0)
    row = deck(W, [RowSpec(name="a")], {"a": Series(values=values)}).rows[0]
    assert row.box.ytd == 2.0 * ((W - dt.date(2021, 1, 5)).days + 1)
    flagged = {g.period: g for g in row.gaps if g.before_first_day}
    assert set(flagged) == {"ytd", "month 2021-01"}
    assert flagged["ytd"].missing == tuple(dt.date(2021, 1, d) for d in range(1, 5))
    assert row.box.ytd_yoy is None and row.box.yoy is None and row.weeks_py == (None,) * 6
    assert row.months_cy[:3] == (None, None, None)  # Oct-Dec 2020
    strict = deck(W, [RowSpec(name="a")], {"a": Series(values=values)}, count_from_first_day=False).rows[0]
    assert strict.box.ytd is None and strict.box.qtd == row.box.qtd


def test_a_series_absent_from_the_spec_is_not_available_and_noted():
    result = deck(W, [RowSpec(name="a", source="nowhere")], {})
    assert result.rows[0].box.last_week is None
    assert result.notes == ("a: no series named 'nowhere'; its figures are not available.",)


def test_zero_is_a_figure_and_dividing_by_it_is_not_available():
    values = daily(dt.date(2019, 1, 1), W, lambda day: 0.0)
    rows = [RowSpec(name="z"), RowSpec(name="r", operation=Operation.DIVIDE, operands=("z", "z"))]
    result = {r.name: r for r in deck(W, rows, {"z": Series(values=values)}).rows}
    assert result["z"].box.last_week == 0.0 and result["z"].box.wow is None  # 0 / 0 - 1: no percent
    assert result["r"].box.last_week is None


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([RowSpec(name="a"), RowSpec(name="a")], "two rows are named 'a'"),
        ([RowSpec(name="r", operation=Operation.DIVIDE, operands=("a", "b"))], "unknown row 'a'"),
        ([RowSpec(name="a"), RowSpec(name="r", operation=Operation.DIVIDE, operands=("a",))], "exactly 2"),
        (
            [
                RowSpec(name="x", operation=Operation.SUM, operands=("y",)),
                RowSpec(name="y", operation=Operation.SUM, operands=("z",)),
                RowSpec(name="z", operation=Operation.SUM, operands=("x",)),
            ],
            "cycle: x -> y -> z -> x",
        ),
    ],
)
def test_bad_specs_are_refused(rows, message):
    with pytest.raises(DeckSpecError, match=message):
        deck(W, rows, {})
    with pytest.raises(DeckSpecError):
        evaluation_order(rows)


def test_a_bad_fiscal_year_end_is_refused():
    with pytest.raises(DeckSpecError) as caught:
        deck(W, [RowSpec(name="a")], {}, fyem=0)
    assert caught.value.field == "fiscal_year_end_month"


def test_week_number_given_by_the_caller_wins():
    assert deck(W, [], {}, week_number=7).week_number == 7
    assert deck(W, [], {}).week_number == 38
    assert deck(dt.date(2022, 2, 26), [], {}).week_number == 8


def test_only_shown_rows_are_results():
    series = {"a": Series(values=daily(W - 800 * ONE, W))}
    rows = [RowSpec(name="a", shown=False), RowSpec(name="twice", operation=Operation.SUM, operands=("a", "a"))]
    result = deck(W, rows, series)
    assert [r.name for r in result.rows] == ["twice"]
    assert result.rows[0].box.last_week == 14.0


# ---------------------------------------------------------------------------------------------------------------
# Plans and exceptions
# ---------------------------------------------------------------------------------------------------------------


def plans_for(w: dt.date) -> tuple[PlanValue, ...]:
    return (
        PlanValue(Period.WEEK, w - 6 * ONE, w, 80.0),
        PlanValue(Period.WEEK, w - 13 * ONE, w - 7 * ONE, 60.0),
        PlanValue(Period.MONTH, dt.date(2021, 9, 1), dt.date(2021, 9, 30), 300.0),
        PlanValue(Period.MONTH, dt.date(2021, 8, 1), dt.date(2021, 8, 31), 310.0),
        PlanValue(Period.QUARTER, dt.date(2021, 7, 1), dt.date(2021, 9, 30), 920.0),
        PlanValue(Period.YEAR, dt.date(2021, 1, 1), dt.date(2021, 12, 31), 3650.0),
    )


def test_vs_plan_for_each_box_period_with_summed_plans_pro_rated_to_date():
    values = daily(dt.date(2019, 1, 1), W, lambda day: 10.0)
    row = deck(W, [RowSpec(name="a", plan=plans_for(W))], {"a": Series(values=values)}).rows[0]
    box = row.box
    assert (box.week_plan, box.week_vs_plan) == (80.0, pytest.approx((70 / 80 - 1) * 100))
    assert box.mtd_plan == 300.0 * 25 / 30 and box.mtd_vs_plan == pytest.approx((250 / 250 - 1) * 100)
    assert box.qtd_plan == pytest.approx(920.0 * 87 / 92)
    assert box.ytd_plan == pytest.approx(3650.0 * 268 / 365)
    assert row.weeks_plan == (None, None, None, None, 60.0, 80.0)
    assert row.months_plan[-2:] == (310.0, 250.0) and row.months_plan[0] is None
    assert row.exception == "Last week 70 is below plan 80 (-12.5%)."


def test_plans_of_means_and_ratios_are_not_pro_rated_and_bps_compare_by_difference():
    values = daily(dt.date(2019, 1, 1), W, lambda day: 0.05)
    ones = daily(dt.date(2019, 1, 1), W)
    plan = (PlanValue(Period.MONTH, dt.date(2021, 9, 1), dt.date(2021, 9, 30), 0.04),)
    rows = [
        RowSpec(name="rate", aggregation=Aggregation.MEAN, plan=plan),
        RowSpec(name="n", shown=False),
        RowSpec(name="ones", shown=False),
        RowSpec(name="ratio", operation=Operation.DIVIDE, operands=("n", "ones"), comparison=Comparison.BPS, plan=plan),
    ]
    result = {
        r.name: r
        for r in deck(
            W, rows, {"rate": Series(values=values), "n": Series(values=values), "ones": Series(values=ones)}
        ).rows
    }
    assert result["rate"].box.mtd_plan == 0.04
    assert result["ratio"].box.mtd_plan == 0.04
    assert result["ratio"].box.mtd_vs_plan == pytest.approx((0.05 - 0.04) * 10_000)
    assert result["rate"].box.week_plan is None and result["rate"].box.week_vs_plan is None
    assert result["rate"].weeks_plan == (None,) * 6
    assert deck(W, [RowSpec(name="n")], {"n": Series(values=values)}).rows[0].weeks_plan == ()


def test_off_plan_counts_only_against_the_good_direction():
    values = daily(dt.date(2019, 1, 1), W, lambda day: 10.0)
    lower_is_better = RowSpec(name="a", plan=plans_for(W), direction=Direction.DOWN)
    row = deck(W, [lower_is_better], {"a": Series(values=values)}).rows[0]
    assert row.box.week_vs_plan < 0 and row.exception is None


def usual(w: dt.date, last_week_value: float) -> dict[dt.date, float]:
    rng = random.Random(7)
    values = daily(w - 800 * ONE, w, lambda day: 100.0 + rng.uniform(-5, 5))
    for k in range(7):
        values[w - k * ONE] = last_week_value / 7
    return values


def test_a_week_outside_the_usual_range_is_an_exception():
    row = deck(W, [RowSpec(name="a")], {"a": Series(values=usual(W, 1400.0))}).rows[0]
    assert row.exception.startswith("Last week 1,400 is above its usual range ")
    assert "(mean ± 3σ of the 26 weeks before)" in row.exception
    normal = deck(W, [RowSpec(name="a")], {"a": Series(values=usual(W, 700.0))}).rows[0]
    assert normal.exception is None
    low = deck(W, [RowSpec(name="a")], {"a": Series(values=usual(W, 300.0))}).rows[0]
    assert "below its usual range" in low.exception


def test_the_usual_range_needs_8_complete_weeks_before():
    values = usual(W, 1400.0)
    for day in list(values):
        if day < W - 7 * 8 * ONE:  # only 7 complete weeks before last week
            del values[day]
    row = deck(W, [RowSpec(name="a")], {"a": Series(values=values)}, count_from_first_day=False).rows[0]
    assert row.box.last_week == pytest.approx(1400.0) and row.exception is None
