"""The funnel's pure rules (MECHANISMS.md §6, "a funnel, not a tunnel"): no database."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.working_backwards.contracts import Circle, CircleStayRecord, ShelveReason
from mechanisms.working_backwards.rules_funnel import funnel, percentile, stay_days, whole_days

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
NOW = T0 + dt.timedelta(days=100)


def day(n: float) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def stay(circle: int, entered: float, left: float | None = None, outcome: str | None = None) -> CircleStayRecord:
    return CircleStayRecord(
        circle=Circle(circle),
        entered_at=day(entered),
        left_at=None if left is None else day(left),
        outcome=outcome if left is not None else None,
    )


def path(*circles_days: tuple[int, float], end: str | None = None, start: float = 0) -> list[CircleStayRecord]:
    """Stays through the given circles, each lasting its days; the last one ends `end` (None: still there)."""
    out, at = [], start
    for i, (circle, days) in enumerate(circles_days):
        last = i == len(circles_days) - 1
        if last and end is None:
            out.append(stay(circle, at))
        else:
            out.append(stay(circle, at, at + days, end if last else "advanced"))
        at += days
    return out


def step(report, circle):
    return next(s for s in report.steps if s.circle == circle)


def test_every_prfaq_reaches_circle_one_and_each_circle_counts_those_that_got_there_or_beyond():
    stays = {
        1: path((1, 3)),  # a draft
        2: path((1, 2), (2, 5)),  # in circle 2
        3: path((1, 1), (2, 4), (3, 6), (4, 2), end="approved"),
        4: [],  # no stay recorded yet: still its author's
    }
    report = funnel(stays=stays, shelved={}, now=NOW)
    assert report.total == 4
    assert [s.reached for s in report.steps] == [4, 2, 1, 1]
    assert report.approved == 1
    assert report.shelved == 0
    assert [s.current for s in report.steps] == [1, 1, 0, 0]
    assert [s.advanced for s in report.steps] == [2, 1, 1, 1]  # circle 4's approval left it forward


def test_a_prfaq_shelved_in_circle_three_stops_there_with_its_reason():
    stays = {
        1: path((1, 1), (2, 2), (3, 4), end="shelved"),
        2: path((1, 1), (2, 2), end="shelved"),
        3: path((1, 1), (2, 2), (3, 1), end="shelved"),
    }
    shelved = {1: ShelveReason.MARKET_TOO_SMALL, 2: "roadblock", 3: ShelveReason.MARKET_TOO_SMALL}
    report = funnel(stays=stays, shelved=shelved, now=NOW)
    assert [s.reached for s in report.steps] == [3, 3, 2, 0]
    assert step(report, Circle.LEADERSHIP).shelved == 2
    assert step(report, Circle.LEADERSHIP).reasons == ((ShelveReason.MARKET_TOO_SMALL, 2),)
    assert step(report, Circle.SMALL_GROUP).reasons == ((ShelveReason.ROADBLOCK, 1),)
    assert report.shelved == 3
    # Over all circles, in the taxonomy's order (market too small comes before roadblock).
    assert report.reasons == ((ShelveReason.MARKET_TOO_SMALL, 2), (ShelveReason.ROADBLOCK, 1))


def test_a_shelved_draft_without_stays_is_shelved_in_circle_one_and_an_unknown_reason_counts_as_other():
    report = funnel(stays={7: []}, shelved={7: "no-longer-a-reason"}, now=NOW)
    assert step(report, Circle.AUTHOR).reasons == ((ShelveReason.OTHER, 1),)
    assert [s.reached for s in report.steps] == [1, 0, 0, 0]


def test_days_in_a_circle_are_the_median_and_the_nearest_rank_90th_percentile_over_every_stay():
    # Circle 2 stays of 1..10 days (all advanced or shelved), one still open since day 95 (5 days at NOW).
    stays = {i: path((1, 0), (2, i), end="shelved") for i in range(1, 11)}
    stays[11] = [stay(1, 0, 95, "advanced"), stay(2, 95)]
    report = funnel(stays=stays, shelved=dict.fromkeys(range(1, 11), "timing"), now=NOW)
    circle2 = step(report, Circle.SMALL_GROUP)
    assert circle2.days_median == 5.0  # 1..10 and the open 5: the middle of 11 values
    assert circle2.days_p90 == 9.0  # rank ceil(0.9 * 11) = 10 of [1, 2, 3, 4, 5, 5, 6, 7, 8, 9, 10]
    assert step(report, Circle.TOP).days_median is None  # nobody got there: no figure, not a zero


def test_an_open_stay_counts_up_to_now_and_never_negative():
    assert stay_days(stay(2, 90), NOW) == 10.0
    assert stay_days(CircleStayRecord(circle=Circle(2), entered_at=NOW, left_at=day(1), outcome="advanced"), NOW) == 0


def test_percentile_by_nearest_rank():
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90) == 9
    assert percentile([4], 90) == 4
    with pytest.raises(ValueError):
        percentile([], 90)


def test_whole_days_in_a_circle_for_the_board():
    assert whole_days(day(0), day(0.9)) == 0
    assert whole_days(day(0), day(4.2)) == 4
    assert whole_days(day(5), day(4)) == 0


def test_an_empty_funnel_has_four_empty_steps():
    report = funnel(stays={}, shelved={}, now=NOW)
    assert report.total == 0
    assert [s.circle for s in report.steps] == list(Circle)
    assert all(s.reached == 0 and s.days_median is None for s in report.steps)
