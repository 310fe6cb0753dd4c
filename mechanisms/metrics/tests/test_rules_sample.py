"""The deck engine against wbr-app's sample 1 (its figures in the shared wbr-examples/SOURCE.md), fed by reading
the CSV with the csv module here (the wbr-app reader, interop/wbr.py, has its own tests), and a replica of a few
cells computed by hand from the same rows."""

from __future__ import annotations

import csv
import datetime as dt
import json
from functools import cache
from pathlib import Path

import pytest

from mechanisms.metrics.contracts import Aggregation, Comparison, DeckSpec, Operation, RowSpec, Series
from mechanisms.metrics.rules import build_deck, deck_to_dict

SAMPLES = Path(__file__).resolve().parent / "data"  # wbr-app's sample 1 CSV, byte for byte (data/README.md)
W = dt.date(2021, 9, 25)


@cache
def columns() -> dict[str, dict[dt.date, float | None]]:
    out: dict[str, dict[dt.date, float | None]] = {}
    with open(SAMPLES / "1-wbr-sample-dataset.csv", encoding="utf-8-sig", newline="") as f:
        for record in csv.DictReader(f):
            day = dt.datetime.strptime(record.pop("Date"), "%a, %d-%b-%Y").date()
            for name, text in record.items():
                text = text.strip().replace(",", "")
                out.setdefault(name, {})[day] = float(text) if text else None
    return out


def sample_deck(**spec):
    series = {name: Series(values=values) for name, values in columns().items()}
    rows = (
        RowSpec(name="Impressions"),
        RowSpec(name="Clicks", shown=False),
        RowSpec(name="PageViews"),
        RowSpec(name="ClickThruRate", operation=Operation.DIVIDE, operands=("Clicks", "Impressions")),
        RowSpec(
            name="ClickThruRateBps",
            comparison=Comparison.BPS,
            operation=Operation.DIVIDE,
            operands=("Clicks", "Impressions"),
        ),
        RowSpec(name="Defects", source="Defects/Million", aggregation=Aggregation.MEAN),
    )
    return build_deck(DeckSpec(week_ending=W, rows=rows, series=series, title="Sample 1", **spec))


# SOURCE.md, "Unrounded values from the re-run": LastWk, WOW, YOY, MTD, MTD YOY, QTD, QTD YOY, YTD, YTD YOY.
# fmt: off
EXPECTED = {
    "Impressions": (4460710.0, 2.6196749498543337, 18.87447521008918, 15511560.0, 14.244183541521371, 58586071.0,
                    23.307062965116, 177674329.0, 31.400597958363875),
    "PageViews": (470759324.0, 2.29278694379893, 22.81533303370551, 1632139558.0, 15.34821198459484, 6114047468.0,
                  22.686371061643484, 18665110807.0, 31.435111159660067),
    "ClickThruRate": (0.09609098103216752, 0.5725383004001827, 11.801617331932214, 0.095608114206437,
                      11.354870361628123, 0.09472654344750307, 11.335528686029473, 0.09224634809230094,
                      11.2207561731686),
    "ClickThruRateBps": (0.09609098103216752, 5.470257377776094, 101.43225243555598, 0.095608114206437,
                         97.49171624090211, 0.09472654344750307, 96.44499498499506, 0.09224634809230094,
                         93.0648033175889),
}
# fmt: on
BOX = ("last_week", "wow", "yoy", "mtd", "mtd_yoy", "qtd", "qtd_yoy", "ytd", "ytd_yoy")


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_1_box_matches_wbr_app(name):
    row = {r.name: r for r in sample_deck().rows}[name]
    got = tuple(getattr(row.box, key) for key in BOX)
    assert got == pytest.approx(EXPECTED[name], rel=1e-12)


def test_sample_1_week_number_is_inferred_as_the_config_says():
    assert sample_deck().week_number == 38


def test_sample_1_hand_computed_cells():
    data = columns()
    imp, clicks = data["Impressions"], data["Clicks"]

    def total(series, first, last):
        days = [first + dt.timedelta(days=k) for k in range((last - first).days + 1)]
        return sum(series[d] for d in days)

    row = {r.name: r for r in sample_deck().rows}
    # The 6 weeks end on W - 7k; their prior year ends 364 days earlier.
    assert row["Impressions"].weeks_cy[0] == total(imp, dt.date(2021, 8, 15), dt.date(2021, 8, 21))
    assert row["Impressions"].weeks_py[-1] == total(imp, dt.date(2020, 9, 20), dt.date(2020, 9, 26))
    # The week's month runs to W and is marked partial; its prior year is the whole month a year earlier (wbr-app).
    assert row["Impressions"].partial_month is True
    assert row["Impressions"].months[-1] == dt.date(2021, 9, 1)
    assert row["Impressions"].months_cy[-1] == total(imp, dt.date(2021, 9, 1), W) == row["Impressions"].box.mtd
    assert row["Impressions"].months_py[-1] == total(imp, dt.date(2020, 9, 1), dt.date(2020, 9, 30))
    assert row["Impressions"].months_cy[0] == total(imp, dt.date(2020, 10, 1), dt.date(2020, 10, 31))
    # A ratio is the ratio of the period sums, not a mean of daily ratios.
    q3 = total(clicks, dt.date(2021, 7, 1), W) / total(imp, dt.date(2021, 7, 1), W)
    assert row["ClickThruRate"].box.qtd == q3
    # The mean of Defects/Million over the week.
    week = [data["Defects/Million"][W - dt.timedelta(days=k)] for k in range(7)]
    assert row["Defects"].box.last_week == pytest.approx(sum(week) / 7, rel=1e-15)


def test_sample_1_prior_year_before_the_data_starts():
    """The data starts on Sun 05-Jan-2020, so the prior year's YTD (from 01-Jan-2020) and January 2020 cover only the
    days from the first observation, as wbr-app computes them, with a Gap saying so; months wholly before the data
    are not available (None, with their missing days)."""
    row = {r.name: r for r in sample_deck().rows}["Impressions"]
    flagged = {g.period: g for g in row.gaps if g.before_first_day}
    assert flagged["ytd py"].missing == tuple(dt.date(2020, 1, d) for d in range(1, 5))
    assert row.months_py[:3] == (None, None, None)  # Oct-Dec 2019
    assert row.months_py[3] is not None  # Jan 2020, from the 5th
    assert "month 2020-01" in flagged
    incomplete = {g.period for g in row.gaps if not g.before_first_day}
    assert incomplete == {"month 2019-10", "month 2019-11", "month 2019-12"}
    # Switched off, such periods are incomplete: YTD YOY is not available.
    strict = {r.name: r for r in sample_deck(count_from_first_day=False).rows}["Impressions"]
    assert strict.box.ytd_yoy is None
    assert strict.box.ytd == row.box.ytd
    assert strict.months_py[3] is None


def test_sample_1_blanks_after_the_week_do_not_matter():
    """Sample 1's actual values are blank from the day after W: every period ending at or before W is complete."""
    deck = sample_deck()
    for row in deck.rows:
        assert all(v is not None for v in row.weeks_cy + row.weeks_py)
        assert all(v is not None for v in row.months_cy)
        assert all(getattr(row.box, key) is not None for key in BOX)
        assert not any(g.blank for g in row.gaps)


def test_deck_to_dict_is_json_with_only_shown_rows():
    data = deck_to_dict(sample_deck())
    text = json.dumps(data, allow_nan=False)
    back = json.loads(text)
    assert back["week_ending"] == "2021-09-25"
    assert back["week_number"] == 38
    assert back["fiscal_year_end_month"] == 12
    assert set(back["metrics"]) == {"Impressions", "PageViews", "ClickThruRate", "ClickThruRateBps", "Defects"}
    impressions = back["metrics"]["Impressions"]
    assert len(impressions["weeks_cy"]) == len(impressions["weeks_py"]) == 6
    assert len(impressions["months_cy"]) == len(impressions["months_py"]) == 12
    assert impressions["box"]["ytd_yoy"] == EXPECTED["Impressions"][-1]  # unrounded
    assert impressions["months_py"][0] is None  # null, not 0
    assert impressions["partial_month"] is True
    assert impressions["week_endings"][-1] == "2021-09-25"
    assert impressions["comparison"] == "percent"
    assert back["metrics"]["ClickThruRateBps"]["comparison"] == "bps"
