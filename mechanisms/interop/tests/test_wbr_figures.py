"""wbr-app's samples through the reader and the engine: every figure of ../shared/wbr-examples/SOURCE.md exactly
(abs 1e-9 on the unrounded values), the 6-week and 12-month series against a recomputation from the CSV here, and a
planted gap shown as null where wbr-app shows 0."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from mechanisms.interop.wbr import load_deck, read_deck
from mechanisms.interop.wbr_cli import run_build
from mechanisms.metrics.rules import build_deck, deck_to_dict

from .test_wbr import CONFIG_1, CONFIG_2, DATA_1, DATA_2, day_of, number

pytestmark = pytest.mark.skipif(not CONFIG_1.exists(), reason="wbr-app's sample files are not here")

BOX = ("last_week", "wow", "yoy", "mtd", "mtd_yoy", "qtd", "qtd_yoy", "ytd", "ytd_yoy")
# SOURCE.md, "Unrounded values from the re-run".
SAMPLE_1 = {
    "Impressions": (
        4460710.0,
        2.6196749498543337,
        18.87447521008918,
        15511560.0,
        14.244183541521371,
        58586071.0,
        23.307062965116,
        177674329.0,
        31.400597958363875,
    ),
    "PageViews": (
        470759324.0,
        2.29278694379893,
        22.81533303370551,
        1632139558.0,
        15.34821198459484,
        6114047468.0,
        22.686371061643484,
        18665110807.0,
        31.435111159660067,
    ),
    "ClickThruRate": (
        0.09609098103216752,
        0.5725383004001827,
        11.801617331932214,
        0.095608114206437,
        11.354870361628123,
        0.09472654344750307,
        11.335528686029473,
        0.09224634809230094,
        11.2207561731686,
    ),
}
CTR_BPS = (
    0.09609098103216752,
    5.470257377776094,
    101.43225243555598,
    0.095608114206437,
    97.49171624090211,
    0.09472654344750307,
    96.44499498499506,
    0.09224634809230094,
    93.0648033175889,
)


def box_of(result, name: str) -> tuple:
    row = next(r for r in result.rows if r.name == name)
    return tuple(getattr(row.box, key) for key in BOX)


def assert_close(actual: tuple, expected: tuple) -> None:
    assert len(actual) == len(expected)
    for key, a, e in zip(BOX, actual, expected, strict=True):
        assert a is not None and abs(a - e) <= 1e-9, (key, a, e)


@pytest.fixture(scope="module")
def sample_1():
    return build_deck(read_deck(CONFIG_1, DATA_1).spec)


def test_sample_1_box_figures_exactly(sample_1):
    assert sample_1.week_ending == dt.date(2021, 9, 25) and sample_1.week_number == 38
    for name, expected in SAMPLE_1.items():
        assert_close(box_of(sample_1, name), expected)


def test_sample_1_clickthrurate_in_bps(tmp_path):
    text = CONFIG_1.read_text(encoding="utf-8").replace(
        "  ClickThruRate:\n    function:", "  ClickThruRate:\n    metric_comparison_method: bps\n    function:"
    )
    assert "metric_comparison_method: bps" in text
    config = tmp_path / "bps.yaml"
    config.write_text(text, encoding="utf-8")
    assert_close(box_of(build_deck(read_deck(config, DATA_1).spec), "ClickThruRate"), CTR_BPS)


def test_sample_2_filter_figures():
    result = build_deck(read_deck(CONFIG_2, DATA_2).spec)
    box = box_of(result, "ApplicantsEngineering")
    assert box[0] == 41 and box[3] == 188 and box[5] == 376 and box[7] == 376
    assert [round(box[i], 2) for i in (1, 2, 4, 6, 8)] == [-14.58, 95.24, 49.21, 16.41, 16.41]


def daily(path: Path, column: str, where: tuple[str, str] | None = None) -> dict[dt.date, float | None]:
    values: dict[dt.date, float | None] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            if where and row[where[0]] != where[1]:
                continue
            day, value = day_of(row["Date"]), number(row[column])
            values[day] = value if day not in values else (values[day] or 0) + (value or 0)
    return values


def total(values: dict[dt.date, float | None], first: dt.date, last: dt.date) -> float | None:
    """A period's sum over the days the CSV has (wbr-app counts a series from its first day); None without any."""
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    present = [values[d] for d in days if d in values]
    if not present:
        return None
    assert all(v is not None for v in present)
    return sum(present)


def year_before(day: dt.date) -> dt.date:
    return day.replace(year=day.year - 1) if (day.month, day.day) != (2, 29) else dt.date(day.year - 1, 2, 28)


def month_last(first: dt.date) -> dt.date:
    following = first.replace(year=first.year + first.month // 12, month=first.month % 12 + 1)
    return following - dt.timedelta(days=1)


@pytest.mark.parametrize(
    "name,data,column,where",
    [
        ("Impressions", DATA_1, "Impressions", None),
        ("PageViews", DATA_1, "PageViews", None),
        ("ApplicantsSales", DATA_2, "Applicants", ("Department", "Sales")),
    ],
)
def test_six_weeks_and_twelve_months_recomputed_from_the_csv(name, data, column, where):
    config = CONFIG_1 if data == DATA_1 else CONFIG_2
    result = build_deck(read_deck(config, data).spec)
    row = next(r for r in result.rows if r.name == name)
    values = daily(data, column, where)
    week = result.week_ending
    endings = [week - dt.timedelta(days=7 * i) for i in range(5, -1, -1)]
    assert list(row.week_endings) == endings
    assert list(row.weeks_cy) == [total(values, e - dt.timedelta(days=6), e) for e in endings]
    assert list(row.weeks_py) == [
        total(values, e - dt.timedelta(days=370), e - dt.timedelta(days=364)) for e in endings
    ]
    assert len(row.months) == 12 and row.months[-1] == week.replace(day=1)
    assert row.partial_month is (week != month_last(week.replace(day=1)))
    for first, cy, py in zip(row.months, row.months_cy, row.months_py, strict=True):
        # The week's own month runs to the week ending (partial, marked); the prior year is the whole month a year
        # earlier (the MTD box compares the same days).
        assert cy == total(values, first, min(month_last(first), week)), first
        assert py == total(values, year_before(first), month_last(year_before(first))), first


def test_a_planted_gap_is_null_where_wbr_app_shows_zero():
    lines = DATA_1.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    planted = [line for line in lines if not line.startswith('"Wed, 22-Sep-2021"')]
    assert len(planted) == len(lines) - 1
    deck = load_deck(CONFIG_1.read_text(encoding="utf-8"), planted)
    result = build_deck(deck.spec)
    data = deck_to_dict(result)["metrics"]
    impressions = data["Impressions"]
    assert impressions["weeks_cy"][-1] is None and impressions["weeks_cy"][-2] is not None
    for key in ("last_week", "wow", "yoy", "mtd", "mtd_yoy", "qtd", "qtd_yoy", "ytd", "ytd_yoy"):
        assert impressions["box"][key] is None, key
    assert data["ClickThruRate"]["box"]["last_week"] is None  # a ratio of an incomplete week is not available
    assert any("2021-09-22" in gap["missing"] for gap in impressions["gaps"])


def test_a_blank_cell_is_null_too():
    lines = DATA_1.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    index = next(i for i, line in enumerate(lines) if line.startswith('"Thu, 23-Sep-2021"'))
    cells = next(csv.reader([lines[index]]))
    cells[1] = ""  # Impressions
    lines[index] = ",".join(f'"{c}"' for c in cells) + "\n"
    result = build_deck(load_deck(CONFIG_1.read_text(encoding="utf-8"), lines).spec)
    row = next(r for r in result.rows if r.name == "Impressions")
    assert row.box.last_week is None and row.weeks_cy[-1] is None
    assert any(dt.date(2021, 9, 23) in gap.blank for gap in row.gaps)
    clicks = next(r for r in result.rows if r.name == "Clicks")
    assert clicks.box.last_week == 428634  # the other columns of that day are there


def test_the_json_output_has_every_figure_of_the_box(tmp_path):
    out = tmp_path / "deck.json"
    assert run_build(str(CONFIG_1), str(DATA_1), out=str(out), stdout=io.StringIO(), stderr=io.StringIO()) == 0
    data = json.loads(out.read_text())
    impressions = data["metrics"]["Impressions"]
    assert len(impressions["weeks_cy"]) == len(impressions["weeks_py"]) == 6
    assert len(impressions["months_cy"]) == len(impressions["months_py"]) == 12
    assert tuple(impressions["box"][k] for k in BOX) == pytest.approx(SAMPLE_1["Impressions"], abs=1e-9)
    assert data["week_number"] == 38
    assert "PercentageCustomerGroupRed" in data["metrics"]  # defined in the config, in no block: still computed
