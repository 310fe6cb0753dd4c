"""interop/wbr.py: wbr-app's YAML config and CSV read into the engine's DeckSpec (no engine here: the reader alone).

The samples are wbr-app's own (../shared/wbr-examples, see SOURCE.md); the expected values are recomputed here from
the CSV with the csv module, independently of the reader."""

from __future__ import annotations

import csv
import datetime as dt
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mechanisms.interop.wbr import (
    BlockKind,
    WbrError,
    compile_filter,
    load_config,
    load_deck,
    parse_date,
    parse_number,
    parse_week_ending,
    read_deck,
)
from mechanisms.metrics.contracts import Aggregation, Comparison, Operation

EXAMPLES = Path(__file__).resolve().parents[4] / "shared" / "wbr-examples"
if not EXAMPLES.is_dir():  # a worktree of /work/wt/<name>: the examples sit beside /work/main
    EXAMPLES = Path("/work/shared/wbr-examples")
CONFIG_1 = EXAMPLES / "1-wbr-sample-config.yaml"
DATA_1 = EXAMPLES / "1-wbr-sample-dataset.csv"
CONFIG_2 = EXAMPLES / "2-wbr-sample-config-with-filter.yaml"
DATA_2 = EXAMPLES / "2-wbr-sample-dataset-with-filter.csv"

pytestmark = pytest.mark.skipif(not CONFIG_1.exists(), reason="wbr-app's sample files are not here")


def raw_rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def day_of(text: str) -> dt.date:
    for pattern in ("%a, %d-%b-%Y", "%m/%d/%Y"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            pass
    raise AssertionError(text)


def number(text: str) -> float | None:
    return float(text.replace(",", "")) if text.strip() else None


def deck_text(setup: str = "week_ending: 25-SEP-2021", metrics: str = "", deck: str = "") -> str:
    text = f"setup:\n  {setup}\nmetrics:\n{metrics}"
    return text + (f"deck:\n{deck}" if deck else "")


WIDE = ["Date,Clicks,Impressions,Country\n", "2021-09-19,1,10,US\n", "2021-09-20,2,20,UK\n", "2021-09-21,,30,US\n"]
BASIC = "  Clicks:\n    column: Clicks\n    aggf: sum\n  Impressions:\n    column: Impressions\n    aggf: sum\n"


# -- the samples ---------------------------------------------------------------------------------------------------


def test_sample_1_every_value_of_every_day_as_the_csv_holds_it():
    deck = read_deck(CONFIG_1, DATA_1)
    rows = raw_rows(DATA_1)
    assert len(rows) == 730
    columns = {
        "Impressions": "Impressions",
        "Clicks": "Clicks",
        "Defects/Million": "Defects/Million",
        "PageViews": "PageViews",
        "PageViews Target": "PageViews__Target",
        "MobilePage_Views": "MobilePageViews",
        "PercentageCustomerGroupGreen": "pct_customer_group_1",
    }
    for metric, column in columns.items():
        expected = {day_of(r["Date"]): number(r[column]) for r in rows}
        assert dict(deck.spec.series[metric].values) == expected, metric
    impressions = deck.spec.series["Impressions"].values
    assert impressions[dt.date(2020, 1, 5)] == 523419  # quoted with a thousands separator in the file
    assert impressions[dt.date(2021, 9, 26)] is None  # blank from the day after the week ending: blank, not 0
    assert deck.spec.series["PageViews Target"].values[dt.date(2022, 1, 2)] is None
    assert deck.spec.week_ending == dt.date(2021, 9, 25)
    assert deck.spec.fiscal_year_end_month == 12
    assert deck.week_number == 38


def test_sample_1_maps_namespaced_columns_and_says_so():
    deck = read_deck(CONFIG_1, DATA_1)
    assert deck.mapped_columns["main_metrics.Impressions"] == "Impressions"
    assert deck.mapped_columns["sales_metrics.pct_customer_group_1"] == "pct_customer_group_1"
    assert any("namespaced columns" in w for w in deck.warnings)
    assert any("data_sources" in w and ":27:" in w for w in deck.warnings)
    assert any("setup.db_config_url" in w for w in deck.warnings)


def test_sample_1_rows_functions_and_blocks():
    deck = read_deck(CONFIG_1, DATA_1)
    rows = {r.name: r for r in deck.spec.rows}
    ctr = rows["ClickThruRate"]
    assert (ctr.operation, ctr.operands) == (Operation.DIVIDE, ("Clicks", "Impressions"))
    assert rows["VarianceToPlanPageViews"].operation is Operation.DIFFERENCE
    assert rows["Defects/Million"].aggregation is Aggregation.MEAN
    assert rows["ClickThruRate"].comparison is Comparison.PERCENT
    names = [r.name for r in deck.spec.rows]
    assert names.index("VarianceToPlanPageViews") < names.index("PercentageVarianceToPlanPageViews")
    assert rows["PercentageCustomerGroupGreen"].shown  # defined, in no block: computed (the JSON has it) ...
    assert "PercentageCustomerGroupGreen" not in deck.drawn  # ... but not drawn
    assert deck.drawn[:3] == ("Impressions", "Clicks", "ClickThruRate")
    assert rows["Impressions"].label == "Ad Impressions (Millions)" and rows["Impressions"].number_format == "##.2MM"
    assert rows["PageViews Target"].label == "Page Views - Target"
    kinds = [b.kind for b in deck.blocks]
    assert kinds == [BlockKind.CHART] * 5 + [
        BlockKind.SECTION,
        BlockKind.WEEKS_TABLE,
        BlockKind.MONTHS_TABLE,
        BlockKind.CHART,
    ]
    assert [b.number for b in deck.blocks] == list(range(1, 10))
    views = deck.blocks[4]
    assert [(line.metric, line.line_style, line.prior_year) for line in views.lines] == [
        ("PageViews", "primary", True),
        ("PageViews Target", "target", False),
        ("MobilePage_Views", "secondary", True),
    ]
    assert deck.blocks[8].lines[0].metric == "PageViews" and deck.blocks[8].lines[0].derived == "YOY"
    table = deck.blocks[6]
    assert table.rows[0].metric is None and table.rows[1].metric == "PageViews"
    assert (table.rows[5].metric, table.rows[5].derived) == ("PageViews", "YOY")
    assert table.rows[1].number_format == "##MM"


def test_sample_2_filters_recomputed_from_the_long_csv():
    deck = read_deck(CONFIG_2, DATA_2)
    expected: dict[str, dict[dt.date, float]] = defaultdict(lambda: defaultdict(float))
    for row in raw_rows(DATA_2):
        expected[row["Department"]][day_of(row["Date"])] += float(row["Applicants"])
    for department in ("Engineering", "Sales", "Other"):
        assert dict(deck.spec.series[f"Applicants{department}"].values) == dict(expected[department])
    assert len(deck.spec.series["ApplicantsEngineering"].values) == 792
    assert deck.blocks[0].number == 9  # block_starting_number
    assert deck.spec.week_ending == dt.date(2022, 2, 26)


# -- the CSV -------------------------------------------------------------------------------------------------------


def test_dates_in_every_form_wbr_app_files_use():
    assert parse_date("Sun, 05-Jan-2020") == dt.date(2020, 1, 5)
    assert parse_date("05-Jan-2020") == dt.date(2020, 1, 5)
    assert parse_date("1/5/2020") == dt.date(2020, 1, 5)  # month first, as pandas reads it
    assert parse_date("2020-01-05") == dt.date(2020, 1, 5)
    assert parse_date("2020-01-05 00:00:00") == dt.date(2020, 1, 5)
    assert parse_date("2/30/2020") is None and parse_date("yesterday") is None and parse_date("") is None
    assert parse_week_ending("25-SEP-2021") == parse_week_ending("25-sep-2021") == dt.date(2021, 9, 25)
    assert parse_week_ending("2021-09-25") == dt.date(2021, 9, 25)
    assert parse_week_ending("31-SEP-2021") is None and parse_week_ending("Sep 25") is None


@settings(max_examples=60, deadline=None)
@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 31)))
def test_dates_read_back_in_every_format(day):
    for text in (
        day.isoformat(),
        day.strftime("%a, %d-%b-%Y"),
        f"{day.month}/{day.day}/{day.year}",
        day.strftime("%d-%b-%Y"),
    ):
        assert parse_date(text) == day, text
    assert parse_week_ending(day.strftime("%d-%b-%Y").upper()) == day


def test_numbers():
    assert parse_number("523,419") == 523419
    assert parse_number("-1,234.5") == -1234.5
    assert parse_number("0.2005") == 0.2005
    assert parse_number("1e3") == 1000
    for blank in ("", "  ", "NaN", "nan", "N/A", "NA", "null"):
        assert parse_number(blank) is None
    for bad in ("abc", "1,23", "1_000", "inf", "12%"):
        with pytest.raises(ValueError):
            parse_number(bad)


def test_a_long_file_combines_a_days_rows_by_the_metrics_aggregation():
    data = [
        "Date,latency,country\n",
        "2021-09-20,10,US\n",
        "2021-09-20,30,UK\n",
        "2021-09-21,,US\n",
        "2021-09-21,,UK\n",
    ]
    metrics = (
        "  Mean:\n    column: latency\n    aggf: mean\n  Max:\n    column: latency\n    aggf: max\n"
        "  Total:\n    column: latency\n    aggf: sum\n"
        "  US:\n    filter:\n      base_column: latency\n      query: country == 'US'\n    aggf: sum\n"
    )
    deck = load_deck(deck_text(metrics=metrics), data)
    day, blank = dt.date(2021, 9, 20), dt.date(2021, 9, 21)
    assert deck.spec.series["Mean"].values == {day: 20, blank: None}
    assert deck.spec.series["Max"].values[day] == 30
    assert deck.spec.series["Total"].values == {day: 40, blank: None}  # all blank is blank, not 0
    assert deck.spec.series["US"].values == {day: 10, blank: None}


def test_a_day_with_no_row_matching_the_filter_is_blank_not_zero():
    data = ["Date,n,dept\n", "2021-09-20,4,Sales\n", "2021-09-21,5,Other\n"]
    metrics = "  Sales:\n    filter:\n      base_column: n\n      query: dept == 'Sales'\n    aggf: sum\n"
    deck = load_deck(deck_text(metrics=metrics), data)
    assert deck.spec.series["Sales"].values == {dt.date(2021, 9, 20): 4, dt.date(2021, 9, 21): None}


# -- filters ---------------------------------------------------------------------------------------------------------


COLUMNS = {"Department": 0, "n": 1, "Region": 2, "m": 3}


def matches(query: str, row: list[str]) -> bool:
    predicate, _ = compile_filter(query, COLUMNS)
    return predicate(row)


def test_filter_expressions():
    row = ["Engineering", "1,200", "EU", "3"]
    assert matches("Department == 'Engineering'", row)
    assert not matches('Department != "Engineering"', row)
    assert matches("Department in ['Sales', 'Engineering']", row)
    assert matches("Department not in ['Sales']", row)
    assert matches("n > 1000 and Region == 'EU'", row)
    assert matches("n >= 1200 & (Region == 'US' | Region == 'EU')", row)
    assert matches("not Region == 'US'", row)
    assert not matches("n < 1000 or Region == 'US'", row)
    assert matches("1000 < n", row)  # value op column
    assert matches("n > m", row)  # two columns, as numbers
    assert matches("`Department` == 'Engineering'", row)
    assert not matches("n == 5", ["x", "", "EU", "3"])  # a blank cell is no number


@pytest.mark.parametrize(
    "query",
    [
        "Nope == 'x'",
        "__import__('os').system('true')",
        "Department ==",
        "Department = 'x'",
        "'a' == 'b'",
        "Department in 'x'",
        "(Department == 'x'",
        "Department == 'x' extra",
        "",
    ],
)
def test_filter_expressions_refused(query):
    with pytest.raises(ValueError):
        compile_filter(query, COLUMNS)


# -- bad input: file, line, field; before anything is computed -------------------------------------------------------


def refused(config: str, data: list[str] | None = None) -> WbrError:
    with pytest.raises(WbrError) as caught:
        load_deck(config, data if data is not None else WIDE, config_file="deck.yaml", data_file="data.csv")
    return caught.value


def test_unknown_column_names_the_config_line():
    error = refused(deck_text(metrics="  Clicks:\n    column: Clickz\n    aggf: sum\n"))
    assert (error.file, error.line, error.field) == ("deck.yaml", 4, "metrics.Clicks.column")
    assert "Clickz" in error.message
    assert str(error).startswith("deck.yaml:4: metrics.Clicks.column: ")


def test_unknown_metric_in_a_function_and_in_the_deck():
    error = refused(
        deck_text(
            metrics=BASIC + "  CTR:\n    function:\n      divide:\n        - metric:\n"
            "            name: Clicks\n        - metric:\n            name: Views\n"
        )
    )
    assert (error.line, error.field) == (15, "metrics.CTR.function") and "Views" in error.message
    error = refused(
        deck_text(
            metrics=BASIC,
            deck="- block:\n    ui_type: 6_12Graph\n    metrics:\n      Click:\n        line_style: primary\n",
        )
    )
    assert (error.line, error.field) == (14, "deck[0].metrics") and "Click" in error.message


def test_bad_aggregation():
    error = refused(deck_text(metrics="  Clicks:\n    column: Clicks\n    aggf: median\n"))
    assert (error.line, error.field) == (6, "metrics.Clicks.aggf") and "median" in error.message
    error = refused(deck_text(metrics="  Clicks:\n    column: Clicks\n"))
    assert error.field == "metrics.Clicks.aggf"


def test_a_cycle_between_function_metrics():
    metrics = (
        "  A:\n    function:\n      sum:\n        - metric:\n            name: B\n"
        "  B:\n    function:\n      product:\n        - metric:\n            name: A\n        - metric:\n"
        "            name: Clicks\n" + BASIC
    )
    error = refused(deck_text(metrics=metrics))
    assert error.field == "metrics.A.function" and error.line == 4
    assert "A -> B -> A" in error.message


def test_a_csv_row_that_does_not_parse_names_its_line_and_column():
    data = [*WIDE[:2], "2021-09-20,two,20,UK\n", *WIDE[3:]]
    error = refused(deck_text(metrics=BASIC), data)
    assert (error.file, error.line, error.field) == ("data.csv", 3, "Clicks") and "'two'" in error.message
    error = refused(deck_text(metrics=BASIC), [*WIDE, "20-09-2021,1,2,US\n"])
    assert (error.line, error.field) == (5, "Date")
    error = refused(deck_text(metrics=BASIC), [*WIDE, "2021-09-22,1\n"])
    assert (error.line, error.field) == (5, "row")
    error = refused(deck_text(metrics=BASIC), ["Day,Clicks\n", "2021-09-20,1\n"])
    assert (error.line, error.field) == (1, "Date")


def test_a_quoted_line_break_counts_lines_as_the_file_does():
    data = ["Date,Clicks,Impressions,Country\n", '2021-09-19,1,10,"U\n', 'S"\n', "2021-09-20,x,20,UK\n"]
    error = refused(deck_text(metrics=BASIC), data)
    assert (error.line, error.field) == (4, "Clicks")


def test_bad_week_ending_and_setup():
    error = refused(deck_text(setup="week_ending: 2021/09/25"))
    assert (error.line, error.field) == (2, "setup.week_ending")
    error = refused(deck_text(setup="title: no week", metrics=BASIC))
    assert error.field == "setup.week_ending"
    error = refused(deck_text(setup="week_ending: 25-SEP-2021\n  fiscal_year_end_month: DECEMBRE", metrics=BASIC))
    assert (error.line, error.field) == (3, "setup.fiscal_year_end_month")
    metrics = "  Clicks:\n    column: Clicks\n    aggf: sum\n    metric_comparison_method: x\n"
    error = refused(deck_text(metrics=metrics))
    assert (error.line, error.field) == (7, "metrics.Clicks.metric_comparison_method")
    error = refused("setup: [\n")
    assert error.field == "yaml"


def test_a_filter_on_an_unknown_column_or_unreadable():
    metrics = "  US:\n    filter:\n      base_column: Clicks\n      query: Land == 'US'\n    aggf: sum\n"
    error = refused(deck_text(metrics=metrics))
    assert (error.line, error.field) == (7, "metrics.US.filter.query") and "Land" in error.message
    metrics = "  US:\n    filter:\n      base_column: Clicks\n      query: Country === 'US'\n    aggf: sum\n"
    error = refused(deck_text(metrics=metrics))
    assert (error.line, error.field) == (7, "metrics.US.filter.query")


def test_the_config_is_refused_before_the_csv_is_read():
    def data():
        raise AssertionError("the CSV was read")
        yield ""

    with pytest.raises(WbrError):
        load_deck(deck_text(metrics="  Clicks:\n    column: Clicks\n    aggf: avg\n"), data())


# -- what we read but do not use is said, not dropped silently ----------------------------------------------------


def test_unknown_keys_are_warnings_with_their_line():
    metrics = BASIC + "    colour: red\n"
    deck_yaml = (
        "- block:\n    ui_type: 6_12Graph\n    title: Clicks\n    legend: top\n    metrics:\n      Clicks:\n"
        "        line_style: primary\n- block:\n    ui_type: funnel\n"
    )
    deck = load_deck(
        deck_text(setup="week_ending: 25-SEP-2021\n  theme: dark", metrics=metrics, deck=deck_yaml),
        WIDE,
        config_file="deck.yaml",
    )
    warnings = "\n".join(deck.warnings)
    assert "deck.yaml:3: setup.theme: unknown key" in warnings
    assert "deck.yaml:11: metrics.Impressions.colour: unknown key" in warnings
    assert "deck.yaml:16: deck[0].legend: unknown key" in warnings
    assert "deck.yaml:21: deck[1].ui_type: 'funnel'" in warnings
    assert len(deck.blocks) == 1


def test_nested_functions_and_column_operands():
    metrics = BASIC + (
        "  Score:\n    function:\n      product:\n        - metric:\n            name: Rate\n"
        "            function:\n              divide:\n                - metric:\n"
        "                    name: Clicks\n                - column:\n"
        "                    name: Impressions\n        - metric:\n            name: Clicks\n"
    )
    deck = load_deck(deck_text(metrics=metrics), WIDE)
    rows = {r.name: r for r in deck.spec.rows}
    assert rows["Rate"].operation is Operation.DIVIDE
    assert rows["Rate"].operands == ("Clicks", "Impressions (column)")
    assert rows["Score"].operands == ("Rate", "Clicks")
    assert not rows["Impressions (column)"].shown
    names = [r.name for r in deck.spec.rows]
    assert names.index("Rate") < names.index("Score")


def test_bps_comparison_and_the_week_ending_override():
    metrics = "  Clicks:\n    column: Clicks\n    aggf: sum\n    metric_comparison_method: bps\n"
    config = load_config(deck_text(metrics=metrics), week_ending=dt.date(2021, 9, 18))
    assert config.week_ending == dt.date(2021, 9, 18)
    deck = load_deck(deck_text(metrics=metrics), WIDE)
    assert deck.spec.rows[0].comparison is Comparison.BPS
    percent = load_config(deck_text(metrics=metrics.replace("bps", '"%"')))
    assert percent.metrics["Clicks"].comparison is Comparison.PERCENT
    with pytest.raises(WbrError) as caught:  # wbr-app's docs write a bare %, which is not YAML
        load_config(deck_text(metrics=metrics.replace("bps", "%")))
    assert (caught.value.line, caught.value.field) == (7, "yaml")
