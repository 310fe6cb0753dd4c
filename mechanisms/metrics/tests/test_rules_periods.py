"""Property tests of the deck engine's period arithmetic: every helper against a brute-force walk over the calendar,
for any date (leap years included), any fiscal year end and any weekday."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.metrics.contracts import Period
from mechanisms.metrics.rules import (
    DeckSpecError,
    fiscal_quarter_end,
    fiscal_quarter_start,
    fiscal_year_end,
    fiscal_year_start,
    is_month_end,
    month_end,
    month_start,
    period_bounds,
    shift_months,
    to_date_bounds,
    week_number,
    week_start,
    year_earlier,
)

days = st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2090, 12, 31))
months = st.integers(min_value=1, max_value=12)
EXAMPLES = settings(max_examples=80, deadline=None)
ONE = dt.timedelta(days=1)


def walk_back(day: dt.date, ok) -> dt.date:
    while not ok(day):
        day -= ONE
    return day


def first_month_of_fy(fyem: int) -> int:
    return fyem % 12 + 1


@EXAMPLES
@given(days)
def test_month_start_and_end(day):
    assert month_start(day) == walk_back(day, lambda d: d.day == 1)
    end = month_end(day)
    assert end.month == day.month and (end + ONE).month != day.month
    assert is_month_end(day) == (day == end)


@EXAMPLES
@given(days, st.integers(min_value=-40, max_value=40))
def test_shift_months(day, k):
    shifted = shift_months(day, k)
    assert shifted.day == 1
    assert (shifted.year * 12 + shifted.month) - (day.year * 12 + day.month) == k


@EXAMPLES
@given(days, months)
def test_fiscal_year(day, fyem):
    start = fiscal_year_start(day, fyem)
    assert start == walk_back(day, lambda d: d.day == 1 and d.month == first_month_of_fy(fyem))
    end = fiscal_year_end(day, fyem)
    assert start <= day <= end
    assert end.month == fyem and is_month_end(end)
    assert (end - start).days + 1 in (365, 366)
    assert fiscal_year_start(end + ONE, fyem) == end + ONE


@EXAMPLES
@given(days, months)
def test_fiscal_quarter_follows_the_fiscal_year(day, fyem):
    start = fiscal_quarter_start(day, fyem)
    brute = walk_back(day, lambda d: d.day == 1 and (d.month - first_month_of_fy(fyem)) % 3 == 0)
    assert start == brute
    end = fiscal_quarter_end(day, fyem)
    assert start <= day <= end and is_month_end(end)
    assert (end.year * 12 + end.month) - (start.year * 12 + start.month) == 2
    assert fiscal_year_start(day, fyem) <= start and end <= fiscal_year_end(day, fyem)


def test_calendar_quarters_with_a_december_year_end_and_a_june_one():
    assert fiscal_quarter_start(dt.date(2021, 9, 25)) == dt.date(2021, 7, 1)
    assert fiscal_year_start(dt.date(2021, 9, 25), 6) == dt.date(2021, 7, 1)
    assert fiscal_quarter_start(dt.date(2021, 9, 25), 6) == dt.date(2021, 7, 1)
    assert fiscal_year_start(dt.date(2021, 6, 30), 6) == dt.date(2020, 7, 1)
    assert fiscal_quarter_start(dt.date(2022, 1, 31), 1) == dt.date(2021, 11, 1)
    assert fiscal_year_end(dt.date(2024, 2, 10), 2) == dt.date(2024, 2, 29)


@EXAMPLES
@given(days)
def test_year_earlier_minds_february_29(day):
    earlier = year_earlier(day)
    assert earlier.year == day.year - 1 and earlier.month == day.month
    if (day.month, day.day) == (2, 29):
        assert earlier.day == (29 if calendar.isleap(day.year - 1) else 28)
    else:
        assert earlier.day == day.day


def test_year_earlier_of_leap_days():
    assert year_earlier(dt.date(2024, 2, 29)) == dt.date(2023, 2, 28)
    assert year_earlier(dt.date(2025, 2, 28)) == dt.date(2024, 2, 28)
    assert year_earlier(dt.date(2024, 2, 29), 4) == dt.date(2020, 2, 29)


@EXAMPLES
@given(days.map(lambda d: d + dt.timedelta(days=6 - d.weekday())))  # the Sunday on or after
def test_week_number_of_a_sunday_week_with_a_december_year_end_is_the_iso_week(day):
    assert week_number(day, 12) == day.isocalendar().week


@EXAMPLES
@given(days, months)
def test_week_numbers_run_1_to_52_or_53_through_each_fiscal_year(day, fyem):
    number = week_number(day, fyem)
    following = week_number(day + dt.timedelta(days=7), fyem)
    assert 1 <= number <= 53
    assert following == number + 1 or (following == 1 and number in (52, 53))
    # The week belongs to the fiscal year holding its 4th day, counted from that year's first such week.
    middle = day - dt.timedelta(days=3)
    assert number == (middle - fiscal_year_start(middle, fyem)).days // 7 + 1


def test_week_numbers_of_known_weeks():
    assert week_number(dt.date(2021, 9, 25)) == 38  # wbr-app's sample 1 (a Saturday)
    assert week_number(dt.date(2021, 1, 3)) == 53  # 2020 has 53 ISO weeks
    assert week_number(dt.date(2021, 1, 10)) == 1
    # FY from 1-Jul-2022: the week ending Sat 2-Jul has its 4th day (29-Jun) in the old year; 9-Jul ends week 1.
    assert week_number(dt.date(2022, 7, 2), 6) == 52
    assert week_number(dt.date(2022, 7, 9), 6) == 1


@EXAMPLES
@given(days, months, st.sampled_from(list(Period)))
def test_period_bounds_contain_the_day(day, fyem, period):
    start, end = period_bounds(period, day, fyem)
    assert start <= day <= end
    assert to_date_bounds(period, day, fyem) == (start, day)
    if period is Period.WEEK:
        assert (start, end) == (week_start(day), day) and (end - start).days == 6


def test_a_bad_fiscal_year_end_is_refused():
    with pytest.raises(DeckSpecError) as caught:
        fiscal_year_start(dt.date(2021, 1, 1), 13)
    assert caught.value.field == "fiscal_year_end_month"
