"""metrics/charts.py drawing the engine's real results (rules.build_deck): a planted gap is N/A with its days named,
the partial month is marked, the good direction reaches the colouring, plan rows appear."""

from __future__ import annotations

import datetime as dt
import re
import xml.etree.ElementTree as ET

from mechanisms.metrics import rules
from mechanisms.metrics.charts import box_table, deck_html, svg_chart
from mechanisms.metrics.contracts import (
    Aggregation,
    Comparison,
    DeckSpec,
    Direction,
    Operation,
    Period,
    PlanValue,
    RowSpec,
    Series,
)

SVG = "{http://www.w3.org/2000/svg}"
W = dt.date(2021, 9, 25)  # a Saturday, not the month's last day: September is partial
FIRST = dt.date(2019, 12, 29)
GAP = (dt.date(2021, 9, 21), dt.date(2021, 9, 22))  # in the last week


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]


def spec() -> DeckSpec:
    every = days(FIRST, W)
    visits = {d: 1000.0 + (d - FIRST).days for d in every}
    defects = {d: 5.0 + (d.toordinal() % 3) for d in every}
    for day in GAP:
        del defects[day]
    orders = {d: 50.0 + (d.toordinal() % 7) for d in every}
    rows = (
        RowSpec(
            name="Visits",
            label="Site visits",
            number_format="integer",
            plan=(PlanValue(Period.WEEK, W - dt.timedelta(days=6), W, 8000.0),),
        ),
        RowSpec(name="Defects", label="Defects", direction=Direction.DOWN),
        RowSpec(name="Orders", shown=False),
        RowSpec(
            name="Conversion",
            label="Orders per visit",
            operation=Operation.DIVIDE,
            operands=("Orders", "Visits"),
            comparison=Comparison.BPS,
            number_format="percent:2",
            aggregation=Aggregation.SUM,
        ),
    )
    return DeckSpec(
        week_ending=W,
        rows=rows,
        series={"Visits": Series(visits), "Defects": Series(defects), "Orders": Series(orders)},
        title="Shop WBR",
    )


def row_of(result, name):
    return next(row for row in result.rows if row.name == name)


def test_the_engines_gap_is_na_with_its_days_named():
    result = rules.build_deck(spec())
    defects = row_of(result, "Defects")
    assert defects.box.last_week is None and defects.weeks_cy[-1] is None
    table = box_table(defects)
    last_week_cell = re.search(r"<tbody><tr[^>]*><th[^>]*>Actual</th>(<td[^>]*>[^<]*</td>)", table).group(1)
    assert ">N/A<" in last_week_cell and ">0<" not in table
    assert "week 2021-09-25: 2 missing days (2021-09-21, 2021-09-22)" in last_week_cell
    root = ET.fromstring(svg_chart(defects))
    marks = [el for el in root.iter(SVG + "text") if el.get("class") == "wbr-na"]
    assert len(marks) == 2  # the last week and the (partial) month it falls in
    assert len([el for el in root.iter(SVG + "circle") if "wbr-point" in (el.get("class") or "")]) == 16


def test_the_engines_partial_month_and_direction_reach_the_drawing():
    result = rules.build_deck(spec())
    visits = row_of(result, "Visits")
    assert visits.partial_month
    root = ET.fromstring(svg_chart(visits))
    assert [el for el in root.iter(SVG + "circle") if "wbr-partial" in (el.get("class") or "")]
    assert row_of(result, "Defects").direction is Direction.DOWN
    table = box_table(visits)
    assert '<th scope="row">Plan</th>' in table and "8,000" in table


def test_the_engines_deck_draws_shown_rows_with_exceptions_first():
    result = rules.build_deck(spec())
    page = deck_html(result)
    assert [row.name for row in result.rows] == ["Visits", "Defects", "Conversion"]
    assert page.count("<svg") == 3 and "Orders per visit" in page
    assert f"Week {result.week_number} · week ending Sat 25 Sep 2021" in page
    assert "Incomplete data" in page and 'href="#row-2-defects"' in page
    for row in result.rows:
        if row.exception:
            assert row.exception.replace("'", "&#x27;") in page.split('<section class="wbr-row')[0]
