"""metrics/charts.py: the 6-12 chart (SVG), the box, number formats, the self-contained HTML deck and its PDF.

Rows are built by hand here (the engine's results are plain records); the figures are wbr-app's sample-1 ones from
/work/shared/wbr-examples/SOURCE.md where a real figure helps."""

from __future__ import annotations

import datetime as dt
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import replace
from html.parser import HTMLParser

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mechanisms.metrics import charts
from mechanisms.metrics.charts import (
    box_table,
    deck_html,
    deck_pdf,
    format_comparison,
    format_value,
    svg_chart,
    validate_number_format,
)
from mechanisms.metrics.contracts import Box, Comparison, DeckResult, Direction, Gap, RowResult

SVG = "{http://www.w3.org/2000/svg}"
W = dt.date(2021, 9, 25)
WEEKS = tuple(W - dt.timedelta(days=7 * k) for k in range(5, -1, -1))
MONTHS = tuple(dt.date(2020 + (9 + i) // 12, (9 + i) % 12 + 1, 1) for i in range(12))
HOSTILE = "<script>alert(\"x\")</script> & 'q' \x01 <img src=x onerror=alert(1)>"

SAMPLE_BOX = Box(
    last_week=4460710.0,
    wow=2.6196749498543337,
    yoy=18.87447521008918,
    mtd=15511560.0,
    mtd_yoy=14.244183541521371,
    qtd=58586071.0,
    qtd_yoy=23.307062965116,
    ytd=177674329.0,
    ytd_yoy=31.400597958363875,
)


def make_row(**changes) -> RowResult:
    row = RowResult(
        name="Impressions",
        label="Ad impressions",
        comparison=Comparison.PERCENT,
        number_format="",
        week_endings=WEEKS,
        weeks_cy=(4.1e6, 4.2e6, 4.25e6, 4.3e6, 4.35e6, 4460710.0),
        weeks_py=(3.6e6, 3.7e6, 3.65e6, 3.7e6, 3.72e6, 3.75e6),
        months=MONTHS,
        months_cy=tuple(1.6e7 + i * 3e5 for i in range(11)) + (15511560.0,),
        months_py=tuple(1.3e7 + i * 2e5 for i in range(11)) + (13577000.0,),
        partial_month=True,
        box=SAMPLE_BOX,
    )
    return replace(row, **changes)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_class(root: ET.Element, name: str, tag: str | None = None) -> list[ET.Element]:
    return [
        el for el in root.iter() if name in (el.get("class") or "").split() and (tag is None or el.tag == SVG + tag)
    ]


def path_points(d: str) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in re.findall(r"(-?[\d.]+),(-?[\d.]+)", d)]


class _Markup(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.styles: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, attrs))
        self._in_style = tag == "style"

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.styles.append(data)


def assert_nothing_active_or_external(markup: str) -> None:
    """No script, no event handler, nothing that loads: every reference is to a place in the file (`#row-2-x`)."""
    parser = _Markup()
    parser.feed(markup)
    parser.close()
    assert parser.tags, "markup was parsed"
    for tag, attrs in parser.tags:
        assert tag not in ("script", "link", "iframe", "object", "embed", "img", "image", "use", "foreignobject")
        for name, value in attrs:
            value = (value or "").strip().lower()
            assert not name.startswith("on"), (tag, name)
            if name in ("src", "href", "xlink:href", "action", "formaction", "data", "poster"):
                assert value.startswith("#"), (tag, name, value)
            if name == "xmlns":
                assert value == "http://www.w3.org/2000/svg"
            elif name != "http-equiv":
                assert "http:" not in value and "https:" not in value and "javascript:" not in value, (tag, name)
            assert "url(" not in value, (tag, name)
    for css in parser.styles:
        assert "url(" not in css and "@import" not in css


# --------------------------------------------------------------------------------------------------- the chart


def test_the_chart_is_accessible_self_contained_svg():
    svg = svg_chart(make_row())
    root = parse(svg)
    assert root.tag == SVG + "svg"
    assert root.get("role") == "img"
    assert "Ad impressions" in root.get("aria-label") and "4,460,710" in root.get("aria-label")
    assert root.find(SVG + "title").text == "Ad impressions"
    assert "4,460,710" in root.find(SVG + "desc").text
    assert_nothing_active_or_external(svg)
    assert "<style" not in svg  # the pages' CSP refuses style elements
    texts = " ".join("".join(el.itertext()) for el in root.iter(SVG + "text"))
    assert "Trailing 6 weeks" in texts and "Trailing 12 months" in texts
    assert "Oct" in texts and "Sep" in texts and "2020" in texts and "2021" in texts  # month names, years
    assert "This year" in texts and "Prior year" in texts
    # Six weekly and twelve monthly points of this year, each with its figure as a tooltip.
    points = by_class(root, "wbr-point", "circle")
    assert len(points) == 18
    assert points[5].find(SVG + "title").text.startswith("Week ending Sat 25 Sep 2021: 4,460,710")


def test_prior_year_is_dashed_this_year_solid():
    root = parse(svg_chart(make_row()))
    cy = by_class(root, "wbr-cy", "path")
    py = by_class(root, "wbr-py", "path")
    assert len(cy) == 2 and len(py) == 2  # weeks and months are separate lines
    assert all(p.get("stroke-dasharray") for p in py)
    assert not any(p.get("stroke-dasharray") for p in cy)


def test_a_gap_breaks_the_line_and_says_na_never_zero():
    row = make_row(weeks_cy=(110.0, 112.0, None, 108.0, 109.0, 111.0), weeks_py=(100.0,) * 6)
    row = replace(row, months_cy=(400.0,) * 11 + (None,), months_py=(380.0,) * 12, partial_month=False)
    root = parse(svg_chart(row))
    divider = float(next(line.get("x1") for line in root.iter(SVG + "line") if line.get("stroke-dasharray")))
    week_paths = [p for p in by_class(root, "wbr-cy", "path") if path_points(p.get("d"))[0][0] < divider]
    # The weeks' line is two pieces (2 points, then 3), the missing week has no point at all.
    assert sorted(len(path_points(p.get("d"))) for p in week_paths) == [2, 3]
    assert len(by_class(root, "wbr-point", "circle")) == 6 - 1 + 12 - 1
    marks = by_class(root, "wbr-na", "text")
    assert ["".join(m.itertext()).startswith("N/A") for m in marks].count(True) == 2
    assert "N/A" in marks[0].find(SVG + "title").text
    # Nothing is drawn at 0: the scale does not reach down to it, every vertex is inside the plot.
    baseline = float(root.get("height")) - 50
    for path in by_class(root, "wbr-cy", "path"):
        assert all(40 <= y <= baseline for _, y in path_points(path.get("d")))
    ticks = ["".join(t.itertext()) for t in root.iter(SVG + "text") if t.get("text-anchor") == "end"]
    assert "0" not in ticks


def test_prior_year_gaps_are_marked_too():
    row = make_row(months_py=(None,) * 3 + tuple(1.3e7 for _ in range(9)))
    root = parse(svg_chart(row))
    assert len(by_class(root, "wbr-na-py", "text")) == 3
    assert len(path_points(by_class(root, "wbr-py", "path")[1].get("d"))) == 9


def test_the_partial_month_is_hollow_and_labelled():
    root = parse(svg_chart(make_row()))
    partial = by_class(root, "wbr-partial", "circle")
    assert len(partial) == 1
    assert partial[0].get("fill") == "#ffffff"
    assert "partial month" in partial[0].find(SVG + "title").text
    labels = by_class(root, "wbr-partial-label", "text")
    assert len(labels) == 1 and "partial" in "".join(labels[0].itertext())
    # A complete last month is drawn like the others.
    whole = parse(svg_chart(make_row(partial_month=False)))
    assert not by_class(whole, "wbr-partial", "circle") and not by_class(whole, "wbr-partial-label")


def test_summed_figures_put_the_months_on_their_own_scale():
    # Sums: a month is ~4 weeks, so the months get the right-hand scale (as wbr-app); a ratio shares one scale.
    root = parse(svg_chart(make_row()))
    right = [t for t in root.iter(SVG + "text") if t.get("text-anchor") == "start" and "M" in "".join(t.itertext())]
    assert right, "the months' scale on the right"
    ratio = make_row(
        number_format="percent:2",
        weeks_cy=(0.095, 0.0955, 0.096, 0.0955, 0.0955, 0.0961),
        weeks_py=(0.085,) * 6,
        months_cy=(0.093,) * 12,
        months_py=(0.084,) * 12,
    )
    root = parse(svg_chart(ratio))
    assert not [t for t in root.iter(SVG + "text") if t.get("text-anchor") == "start" and "%" in "".join(t.itertext())]
    assert "9.61%" in [("".join(t.itertext())) for t in by_class(root, "wbr-value", "text")]


def test_plan_is_a_third_series_when_present():
    without = parse(svg_chart(make_row()))
    assert not by_class(without, "wbr-plan")
    row = make_row(weeks_plan=(4.0e6,) * 6, months_plan=(None,) * 6 + (1.7e7,) * 6)
    root = parse(svg_chart(row))
    plans = by_class(root, "wbr-plan", "rect")
    assert len(plans) == 12
    assert plans[0].find(SVG + "title").text == "Plan, week ending Sat 21 Aug 2021: 4,000,000"
    assert "Plan" in " ".join("".join(t.itertext()) for t in root.iter(SVG + "text"))


def test_hostile_labels_are_escaped_everywhere():
    row = make_row(label=HOSTILE, name=HOSTILE, number_format='<b>"')
    svg = svg_chart(row)
    root = parse(svg)  # still well-formed XML (the control character is dropped)
    assert root.find(SVG + "title").text == HOSTILE.replace("\x01", "")
    assert "<script" not in svg and "<img" not in svg
    assert_nothing_active_or_external(svg)
    table = box_table(row)
    assert "<script" not in table and "<img" not in table and "&lt;script&gt;" in table
    result = DeckResult(
        title=HOSTILE, week_ending=W, week_number=38, fiscal_year_end_month=12, rows=(row,), notes=(HOSTILE,)
    )
    page = deck_html(result, generated_at=HOSTILE)
    assert page.count("<script") == 0 and "<img" not in page
    assert_nothing_active_or_external(page)


def test_the_same_row_draws_the_same_bytes():
    assert svg_chart(make_row()) == svg_chart(make_row())
    assert svg_chart(make_row(), width=480, height=240) != svg_chart(make_row())


def test_a_row_without_any_figure_draws_an_empty_chart():
    row = make_row(weeks_cy=(None,) * 6, weeks_py=(None,) * 6, months_cy=(None,) * 12, months_py=(None,) * 12)
    root = parse(svg_chart(row))
    assert not by_class(root, "wbr-point") and not list(root.iter(SVG + "path"))
    assert "No data for these periods" in " ".join("".join(t.itertext()) for t in root.iter(SVG + "text"))


finite_or_none = st.one_of(st.none(), st.floats(min_value=-1e12, max_value=1e12, allow_nan=False))


@settings(max_examples=40, deadline=None)
@given(
    weeks=st.lists(finite_or_none, min_size=6, max_size=6),
    months=st.lists(finite_or_none, min_size=12, max_size=12),
    partial=st.booleans(),
    fmt=st.sampled_from(["", "integer", "percent:1", "bps", "currency:USD", "##.2MM", "decimal:3"]),
)
def test_any_figures_draw_a_well_formed_chart_with_one_point_per_figure(weeks, months, partial, fmt):
    row = make_row(
        weeks_cy=tuple(weeks),
        weeks_py=tuple(reversed(weeks)),
        months_cy=tuple(months),
        months_py=tuple(months),
        partial_month=partial,
        number_format=fmt,
    )
    svg = svg_chart(row)
    root = parse(svg)
    finite = sum(v is not None for v in weeks) + sum(v is not None for v in months)
    assert len(by_class(root, "wbr-point", "circle")) == finite
    assert len([m for m in by_class(root, "wbr-na", "text") if "wbr-na-py" not in m.get("class")]) == 18 - finite
    assert "nan" not in svg.lower() and "inf" not in svg.lower()


@settings(max_examples=60, deadline=None)
@given(
    low=st.floats(min_value=-1e9, max_value=1e9, allow_nan=False),
    span=st.floats(min_value=0, max_value=1e9, allow_nan=False),
)
def test_nice_ticks_cover_the_range_in_round_steps(low, span):
    assume(span == 0 or span > 1e-6 * max(1.0, abs(low)))  # beyond float precision no scale is meaningful
    high = low + span
    ticks = charts.nice_ticks(low, high)
    assert ticks[0] <= low + 1e-9 * max(1, abs(low)) and ticks[-1] >= high - 1e-9 * max(1, abs(high))
    assert 2 <= len(ticks) <= 12
    step = ticks[1] - ticks[0]
    mantissa = step / 10 ** math.floor(math.log10(step))
    assert min(abs(mantissa - m) for m in (1, 2, 5, 10)) < 1e-4


# ------------------------------------------------------------------------------------------- number formats


@pytest.mark.parametrize(
    ("value", "number_format", "expected"),
    [
        (4460710.0, "", "4,460,710"),
        (177674329.4, "", "177,674,329"),
        (0.09609098103216752, "", "0.09609"),
        (12.3456, "", "12.35"),
        (3.0, "", "3"),
        (999.96, "", "1,000"),
        (0.0, "", "0"),
        (-1234.5, "", "-1,234"),
        (1234.5, "integer", "1,234"),
        (7.0, "integer", "7"),
        (3.14159, "decimal:3", "3.142"),
        (3.14159, "decimal", "3.14"),
        (0.0264, "percent:2", "2.64%"),
        (0.0264, "percent", "2.6%"),
        (1234.5, "currency:USD", "$1,234.50"),
        (-1234.5, "currency:EUR", "-€1,234.50"),
        (1234.5, "currency:JPY", "¥1,234"),
        (1234.5, "currency:CHF", "CHF 1,234.50"),
        (0.026378, "bps", "264 bps"),
        (0.026378, "bps:2", "263.78 bps"),
        (12637800.0, "##.2MM", "12.64M"),
        (12637800000.0, "##.1BB", "12.6B"),
        (1263.0, "##KK", "1K"),
        (0.0264, "##.1%", "2.6%"),
        (0.026378, "##.2bps", "263.78bps"),
        (12.6, "##", "13"),
        (-0.0001, "decimal:2", "0.00"),  # never "-0.00"
        (None, "", "N/A"),
        (None, "percent:2", "N/A"),
        (float("nan"), "", "N/A"),
        (float("inf"), "integer", "N/A"),
        (1234.5, "no such format", "1,234"),  # drawn, never a crash
    ],
)
def test_format_value(value, number_format, expected):
    assert format_value(value, number_format) == expected


@pytest.mark.parametrize(
    ("value", "comparison", "expected"),
    [
        (2.6196749498543337, Comparison.PERCENT, "+2.62%"),
        (-14.5833, Comparison.PERCENT, "-14.58%"),
        (5.470257377776094, Comparison.BPS, "+5.47 bps"),
        (101.43225243555598, "bps", "+101.43 bps"),
        (-1234.5, Comparison.BPS, "-1,234.50 bps"),
        (-0.001, Comparison.PERCENT, "0.00%"),
        (0.0, "percent", "0.00%"),
        (None, Comparison.PERCENT, "N/A"),
        (float("nan"), Comparison.BPS, "N/A"),
    ],
)
def test_format_comparison(value, comparison, expected):
    assert format_comparison(value, comparison) == expected


@pytest.mark.parametrize("good", ["", "auto", "integer", "decimal:0", "percent:6", "currency:GBP:0", "bps:1", "##.3KK"])
def test_valid_number_formats(good):
    validate_number_format(good)


@pytest.mark.parametrize("bad", ["percent:7", "integer:2", "currency:usd", "money", "##.4MM", "##GG", "decimal:-1"])
def test_invalid_number_formats_say_what_is_allowed(bad):
    with pytest.raises(ValueError, match="number format") as raised:
        validate_number_format(bad)
    assert repr(bad) in str(raised.value)


# ------------------------------------------------------------------------------------------------------ the box


def cells(table: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>.*?</td>", table)]


def test_the_box_shows_wbr_apps_figures():
    table = box_table(make_row())
    assert cells(table)[1:10] == [
        "4,460,710",
        "+2.62%",
        "+18.87%",
        "15,511,560",
        "+14.24%",
        "58,586,071",
        "+23.31%",
        "177,674,329",
        "+31.40%",
    ]
    for heading in ("Last week", "WoW", "YoY", "MTD", "MTD YoY", "QTD", "QTD YoY", "YTD", "YTD YoY"):
        assert f">{heading}</th>" in table
    assert "Plan" not in table  # no plan rows without a plan
    ET.fromstring(table)  # well-formed: it is inlined into pages and the deck


def test_a_ratio_in_bps():
    box = Box(0.09609098103216752, 5.470257377776094, 101.43225243555598, 0.095608114206437, 97.49171624090211,
              0.09472654344750307, 96.44499498499506, 0.09224634809230094, 93.0648033175889)  # fmt: skip
    table = box_table(make_row(box=box, comparison=Comparison.BPS))
    assert cells(table)[1:10] == [
        "0.09609",
        "+5.47 bps",
        "+101.43 bps",
        "0.09561",
        "+97.49 bps",
        "0.09473",
        "+96.44 bps",
        "0.09225",
        "+93.06 bps",
    ]


def test_comparisons_are_good_or_bad_by_the_direction():
    up = box_table(make_row())
    assert up.count('class="wbr-good"') == 5 and "wbr-bad" not in up
    assert 'title="better than last year (higher is better)"' in up
    box = replace(SAMPLE_BOX, wow=-3.0)
    down = box_table(make_row(box=box, direction=Direction.DOWN))
    # Defects going up is bad; a falling week is good.
    assert down.count('class="wbr-bad"') == 4 and down.count('class="wbr-good"') == 1
    assert 'title="better than the week before (lower is better)"' in down


def test_na_cells_name_their_gap_and_are_never_zero():
    gaps = (
        Gap("week 2021-09-25", missing=(dt.date(2021, 9, 20), dt.date(2021, 9, 21)), blank=(dt.date(2021, 9, 22),)),
        Gap("qtd py", blank=(dt.date(2020, 7, 4),)),
        Gap("week 2021-08-21", missing=(dt.date(2021, 8, 16),)),
    )
    box = Box(None, None, None, 15511560.0, 14.24, 58586071.0, None, None, None)
    table = box_table(make_row(box=box, gaps=gaps))
    values = cells(table)[1:10]
    assert values == ["N/A", "N/A", "N/A", "15,511,560", "+14.24%", "58,586,071", "N/A", "N/A", "N/A"]
    assert "0" not in [v for v in values if v != "15,511,560" and v != "58,586,071" and v != "+14.24%"]
    titles = re.findall(r'<td class="wbr-na" title="([^"]*)">N/A</td>', table)
    assert len(titles) == 6
    last_week, _, _, qtd_yoy, ytd, _ = titles
    assert "week 2021-09-25: 2 missing days (2021-09-20, 2021-09-21); 1 blank (2021-09-22)" in last_week
    assert "2021-08-21" not in last_week  # an older week's gap is not this figure's
    assert "qtd py: 1 blank (2020-07-04)" in qtd_yoy
    assert ytd == "Not available: a period this figure needs has missing or blank days"


def test_plan_rows_and_vs_plan_colouring():
    box = replace(SAMPLE_BOX, week_plan=4.0e6, week_vs_plan=11.5, mtd_plan=1.6e7, mtd_vs_plan=-3.05)
    table = box_table(make_row(box=box))
    assert '<th scope="row">Plan</th>' in table and '<th scope="row">vs plan</th>' in table
    plan_row = re.search(r'<tr class="wbr-plan">(.*?)</tr>', table).group(1)
    versus = re.search(r'<tr class="wbr-vs-plan">(.*?)</tr>', table).group(1)
    assert cells(plan_row)[:4] == ["4,000,000", "", "", "16,000,000"]
    assert cells(plan_row)[5] == "N/A"  # no quarter plan
    assert cells(versus)[0] == "+11.50%" and cells(versus)[3] == "-3.05%"
    assert 'class="wbr-good" style="color:#1b7f3b" title="better than plan' in versus
    assert 'class="wbr-bad"' in versus


# ----------------------------------------------------------------------------------------------------- the deck


def make_deck() -> DeckResult:
    ctr = make_row(
        name="ClickThruRate",
        label="Click-through rate",
        comparison=Comparison.BPS,
        number_format="percent:2",
        direction=Direction.UP,
        weeks_cy=(0.095, 0.0955, 0.096, 0.0955, 0.0955, 0.09609),
        weeks_py=(0.085,) * 6,
        months_cy=(0.093,) * 12,
        months_py=(0.084,) * 11 + (None,),
        gaps=(Gap("month 2020-09 py", missing=(dt.date(2020, 9, 3),)),),
        exception="Last week 4.1% below plan",
    )
    defects = make_row(name="Defects", label="Defects per million", direction=Direction.DOWN)
    return DeckResult(
        title="Weekly Business Review Sample Report",
        week_ending=W,
        week_number=38,
        fiscal_year_end_month=12,
        rows=(make_row(), ctr, defects),
        notes=("Data for PageViews ends 2021-09-25",),
    )


def test_the_deck_is_one_self_contained_html_file():
    page = deck_html(make_deck(), commentary={"ClickThruRate": "<p>New <em>layout</em> shipped.</p>"})
    assert page.startswith("<!DOCTYPE html>")
    assert_nothing_active_or_external(page)
    assert "<style>" in page and "@page" in page and "size: A4" in page  # the print stylesheet is inline
    assert "Content-Security-Policy" in page and "default-src 'none'" in page
    assert "Weekly Business Review Sample Report" in page
    assert "Week 38 · week ending Sat 25 Sep 2021 · fiscal year ends December" in page
    assert page.count("<svg") == 3 and page.count('<table class="wbr-box"') == 3
    assert "<p>New <em>layout</em> shipped.</p>" in page  # commentary as the caller rendered it
    assert "Data for PageViews ends 2021-09-25" in page


def test_exceptions_come_first_and_link_to_their_chart():
    page = deck_html(make_deck())
    summary = page.index("Exceptions first")
    assert summary < page.index("<svg")
    found = re.search(r'<li><a href="#([^"]+)">Click-through rate</a>: Last week 4.1% below plan</li>', page)
    assert found
    anchor = found.group(1)
    assert f'id="{anchor}"' in page and page.index(f'id="{anchor}"') > summary
    assert len(set(re.findall(r'<section class="wbr-row[^"]*" id="([^"]+)"', page))) == 3
    # Rows with gaps are named in the summary and list their gaps.
    assert "Incomplete data (N/A where a period has missing or blank days, never 0)" in page
    assert "month 2020-09 py: 1 missing day (2020-09-03)" in page
    quiet = deck_html(replace(make_deck(), rows=(make_row(),)))
    assert "No exceptions this week" in quiet and "Incomplete data" not in quiet


def test_the_pdf_opens_and_names_the_rows():
    from mechanisms.kernel.testing import pdf_text, pdf_threats

    pdf = deck_pdf(make_deck(), commentary={"Defects": "<p>Fixed the checkout bug.</p>"}, generated_at="today")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    for expected in ("Weekly Business Review Sample Report", "Exceptions first", "Ad impressions",
                     "Click-through rate", "Defects per million", "Fixed the checkout bug", "4,460,710"):  # fmt: skip
        assert expected in text
    assert pdf_threats(pdf) == []


def test_the_drawing_and_the_pdf_import_no_django():
    code = (
        "import sys, mechanisms.metrics.charts, mechanisms.kernel.pdf\n"
        "found = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "assert not found, found\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_pdf_download_response_moved_to_kernel_http():
    from mechanisms.kernel.http import download

    response = download("deck 38/é.pdf", b"%PDF-1.7")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="deck_38__.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "private, no-store"
    assert response.content == b"%PDF-1.7"
