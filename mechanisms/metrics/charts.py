"""Pure drawing of WBR decks (no Django): the 6-12 chart as inline SVG (no CDN, no script), the box of figures, and
the whole deck as one self-contained HTML file, from the engine's `DeckResult`. Used by the server's deck pages and
exports and by `mech wbr build` offline, so both draw the same deck.

Public: `svg_chart(row)`, `box_table(row)`, `deck_html(result)`, `deck_pdf(result)`, `format_value(value, fmt)`,
`format_comparison(value, comparison)`, `validate_number_format(fmt)`, `row_anchor(index, row)`, `DECK_CSS`.

Everything drawn is escaped here (labels, gap descriptions and formats come from users); the only HTML taken as is
is the commentary `deck_html` is handed, which the caller has already rendered through kernel.markdown. The output
names no URL (no script, no stylesheet, no image, no font), uses presentation attributes rather than `<style>` in
the SVG (the pages' Content-Security-Policy refuses `<style>` elements) and is byte-for-byte deterministic.

Number formats (a row's `number_format`; `validate_number_format` says what is wrong with one):

- `""` (or `auto`): thousands separators and no decimals from 1,000 up, 4 significant digits below (0.09609);
- `integer`; `decimal:N` (N decimals, 0-6; `decimal` is 2);
- `percent:N`: the value is a fraction, shown x 100 with N decimals (`percent` is 1): 0.0264 -> 2.6%;
- `currency:USD` (or `currency:EUR:0`, ...): symbol or code, 2 decimals unless given (0 for JPY and KRW);
- `bps:N`: the value is a fraction, shown x 10,000 (`bps` is 0 decimals): 0.026378 -> 264 bps;
- wbr-app's `y_scaling` strings as they are in its YAML: `##`, `##.2MM`, `##.1KK`, `##BB`, `##.1%`, `##bps`.
"""

from __future__ import annotations

import datetime as dt
import html
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from .contracts import Box, Comparison, DeckResult, Direction, Gap, RowResult

NA = "N/A"
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_FULL_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
WEEKDAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

# Colours: this year, prior year, plan; good and bad comparisons (text and lines keep a 4.5:1 contrast on white).
CY_COLOUR = "#1f5fa8"
PY_COLOUR = "#6b6b6b"
PLAN_COLOUR = "#b85c00"
GOOD_COLOUR = "#1b7f3b"
BAD_COLOUR = "#b3261e"
GRID_COLOUR = "#e2e2e2"
AXIS_COLOUR = "#444444"
FONT_FAMILY = "DejaVu Sans, Verdana, Arial, sans-serif"


# ---------------------------------------------------------------------------------------------------------------
# Escaping
# ---------------------------------------------------------------------------------------------------------------

# Characters XML 1.0 cannot carry at all (an SVG with one does not parse): dropped from user text.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _esc(text: object) -> str:
    """Text for an HTML or SVG text node or a double- or single-quoted attribute."""
    return html.escape(_XML_INVALID.sub("", str(text)), quote=True)


# ---------------------------------------------------------------------------------------------------------------
# Number formats
# ---------------------------------------------------------------------------------------------------------------

CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "CNY": "¥", "KRW": "₩"}
ZERO_DECIMAL_CURRENCIES = frozenset({"JPY", "KRW"})
MAX_DECIMALS = 6

_WBR_SCALING = re.compile(r"^##(?:\.([0-3]))?(BB|MM|KK|%|bps)?$")
_WBR_SCALES = {"BB": (1e-9, "B"), "MM": (1e-6, "M"), "KK": (1e-3, "K"), "%": (100.0, "%"), "bps": (1e4, "bps")}
_NAMED = re.compile(r"^(integer|decimal|percent|bps)(?::(\d+))?$")
_CURRENCY = re.compile(r"^currency:([A-Z]{3})(?::(\d+))?$")

FORMAT_HELP = (
    'one of "" (automatic), "integer", "decimal:N", "percent:N", "currency:USD[:N]", "bps[:N]" (N decimals, '
    '0-6) or a wbr-app y_scaling such as "##.2MM", "##.1%", "##bps"'
)


@dataclass(frozen=True, slots=True)
class _Format:
    kind: str  # auto, integer, decimal, percent, currency, bps, scaled
    decimals: int = 0
    unit: str = ""  # the currency's code, or a wbr-app scaling's unit (BB, MM, KK, %, bps, or "")


def _parse_format(number_format: str) -> _Format:
    text = (number_format or "").strip()
    if text in ("", "auto"):
        return _Format("auto")
    if text == "integer":
        return _Format("integer")
    if found := _NAMED.match(text):
        kind, digits = found.group(1), found.group(2)
        if kind == "integer":
            raise ValueError(f"number format {text!r}: integer takes no decimals; {FORMAT_HELP}")
        decimals = int(digits) if digits is not None else {"decimal": 2, "percent": 1, "bps": 0}[kind]
        if decimals > MAX_DECIMALS:
            raise ValueError(f"number format {text!r}: at most {MAX_DECIMALS} decimals")
        return _Format(kind, decimals)
    if found := _CURRENCY.match(text):
        code, digits = found.group(1), found.group(2)
        decimals = int(digits) if digits is not None else (0 if code in ZERO_DECIMAL_CURRENCIES else 2)
        if decimals > MAX_DECIMALS:
            raise ValueError(f"number format {text!r}: at most {MAX_DECIMALS} decimals")
        return _Format("currency", decimals, code)
    if found := _WBR_SCALING.match(text):
        return _Format("scaled", int(found.group(1) or 0), found.group(2) or "")
    raise ValueError(f"unknown number format {text!r}: {FORMAT_HELP}")


def validate_number_format(number_format: str) -> None:
    """Raises ValueError (naming the format and what is allowed) unless `number_format` is one this module draws."""
    _parse_format(number_format)


def _finite(value: float | None) -> bool:
    return value is not None and isinstance(value, int | float) and math.isfinite(value)


def _fixed(value: float, decimals: int) -> str:
    text = f"{value:,.{decimals}f}"
    # A value that rounds to zero is "0", never "-0".
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]
    return text


def _significant(value: float, digits: int = 4) -> str:
    """Thousands separators from 1,000 up; `digits` significant digits below, trailing zeros dropped."""
    size = abs(value)
    if size >= 10 ** (digits - 1):
        return _fixed(value, 0)
    if size == 0:
        return "0"
    decimals = min(max(digits - 1 - math.floor(math.log10(size)), 0), 12)
    text = _fixed(value, decimals)
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def _money(value: float, fmt: _Format) -> str:
    number = _fixed(abs(value), fmt.decimals)
    sign = "-" if value < 0 and any(c in "123456789" for c in number) else ""
    symbol = CURRENCY_SYMBOLS.get(fmt.unit)
    return f"{sign}{symbol}{number}" if symbol else f"{sign}{fmt.unit} {number}"


def _format_with(value: float, fmt: _Format) -> str:
    if fmt.kind == "integer":
        return _fixed(value, 0)
    if fmt.kind == "decimal":
        return _fixed(value, fmt.decimals)
    if fmt.kind == "percent":
        return _fixed(value * 100, fmt.decimals) + "%"
    if fmt.kind == "bps":
        return _fixed(value * 10_000, fmt.decimals) + " bps"
    if fmt.kind == "currency":
        return _money(value, fmt)
    if fmt.kind == "scaled":
        if not fmt.unit:
            return _fixed(value, fmt.decimals)
        factor, suffix = _WBR_SCALES[fmt.unit]
        return _fixed(value * factor, fmt.decimals) + suffix
    return _significant(value)


def format_value(value: float | None, number_format: str = "") -> str:
    """A figure as the row's format shows it; "N/A" for None (an incomplete period), never "0". An unknown format
    draws as the automatic one (formats are validated where they are written)."""
    if not _finite(value):
        return NA
    try:
        fmt = _parse_format(number_format)
    except ValueError:
        fmt = _Format("auto")
    return _format_with(float(value), fmt)


def format_comparison(value: float | None, comparison: Comparison | str = Comparison.PERCENT) -> str:
    """A comparison with its sign and unit: "+2.62%", "-5.47 bps", "0.00%"; "N/A" for None."""
    if not _finite(value):
        return NA
    number = _fixed(float(value), 2)
    if not number.startswith("-") and any(c in "123456789" for c in number):
        number = "+" + number
    return f"{number} bps" if str(comparison) == Comparison.BPS.value else f"{number}%"


def _tone(value: float | None, direction: Direction | str) -> str:
    """good, bad or flat for a comparison, by the row's good direction ("" for N/A)."""
    if not _finite(value):
        return ""
    if round(float(value), 2) == 0:
        return "flat"
    up = float(value) > 0
    return "good" if up == (str(direction) != Direction.DOWN.value) else "bad"


# ---------------------------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------------------------


def _day_month(day: dt.date) -> str:
    return f"{day.day} {MONTH_NAMES[day.month - 1]}"


def _long_date(day: dt.date) -> str:
    return f"{WEEKDAY_NAMES[day.weekday()]} {day.day} {MONTH_NAMES[day.month - 1]} {day.year}"


def _month_year(day: dt.date) -> str:
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


# ---------------------------------------------------------------------------------------------------------------
# Gaps: which of a row's gaps a figure depends on, in words
# ---------------------------------------------------------------------------------------------------------------

_GAP_KINDS = {
    "last_week": ("week",),
    "mtd": ("mtd", "month"),
    "qtd": ("qtd", "quarter"),
    "ytd": ("ytd", "year"),
}


def _gap_date(period: str) -> tuple[int, ...] | None:
    """The (year, month[, day]) a gap's period text names ("week 2021-09-25", "month 2021-09"), if any."""
    found = re.search(r"(\d{4})-(\d{2})(?:-(\d{2}))?", period)
    if not found:
        return None
    return tuple(int(part) for part in found.groups() if part is not None)


def _relevant_gaps(row: RowResult, key: str) -> list[Gap]:
    """The row's gaps that make the box figure `key` (a Box field) unavailable, as far as their period names
    tell (the engine names them "week 2021-09-25", "month 2021-09", "mtd", "ytd py", ...)."""
    base = key.removesuffix("_yoy").removesuffix("_vs_plan").removesuffix("_plan")
    if base in ("wow", "yoy", "week"):
        base = "last_week"
    kinds = _GAP_KINDS.get(base, ())
    with_py = key.endswith("_yoy") or key == "yoy"
    weeks: set[tuple[int, ...]] = set()
    if row.week_endings:
        last = row.week_endings[-1]
        weeks.add((last.year, last.month, last.day))
        if key == "wow" and len(row.week_endings) > 1:
            before = row.week_endings[-2]
            weeks.add((before.year, before.month, before.day))
    found = []
    for gap in row.gaps:
        words = gap.period.lower().split()
        if not words or words[0] not in kinds:
            continue
        is_py = "py" in words or "prior" in words
        if is_py and not with_py:
            continue
        named = _gap_date(gap.period)
        if words[0] == "week" and named is not None and not is_py and len(named) == 3 and named not in weeks:
            continue
        if words[0] == "month" and named is not None and row.months and not is_py:
            last_month = row.months[-1]
            if named[:2] != (last_month.year, last_month.month):
                continue
        found.append(gap)
    return found


def _dates(days: Sequence[dt.date], limit: int = 4) -> str:
    shown = ", ".join(day.isoformat() for day in days[:limit])
    return shown + (f" and {len(days) - limit} more" if len(days) > limit else "")


def describe_gap(gap: Gap) -> str:
    """One gap in words: "week 2021-09-25: 2 missing days (2021-09-20, 2021-09-21); 1 blank (2021-09-22)"."""
    parts = []
    if gap.missing:
        parts.append(f"{len(gap.missing)} missing day{'s' if len(gap.missing) != 1 else ''} ({_dates(gap.missing)})")
    if gap.blank:
        parts.append(f"{len(gap.blank)} blank ({_dates(gap.blank)})")
    return f"{gap.period}: {'; '.join(parts) if parts else 'no data'}"


def _na_title(row: RowResult, key: str) -> str:
    gaps = _relevant_gaps(row, key)
    if gaps:
        return "Not available: " + " | ".join(describe_gap(gap) for gap in gaps)
    return "Not available: a period this figure needs has missing or blank days"


# ---------------------------------------------------------------------------------------------------------------
# The 6-12 chart
# ---------------------------------------------------------------------------------------------------------------


def nice_ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values (steps of 1, 2 or 5 x 10^k) covering [low, high] in about `count` ticks."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return [0.0, 1.0]
    if high < low:
        low, high = high, low
    if high == low:
        pad = abs(low) * 0.1 or 1.0
        low, high = low - pad, high + pad
    raw = (high - low) / max(count - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    step = magnitude * 10
    for multiple in (1, 2, 5, 10):
        if multiple * magnitude >= raw * (1 - 1e-9):
            step = multiple * magnitude
            break
    first = math.floor(low / step + 1e-9)
    last = math.ceil(high / step - 1e-9)
    return [index * step for index in range(first, last + 1)]


def _step_decimals(step: float) -> int:
    return max(0, -math.floor(math.log10(step) + 1e-9)) if step > 0 else 0


def _compact(value: float, step: float, top: float) -> str:
    """A plain number on an axis whose largest tick is `top`: 4.5M rather than 4,500,000."""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if top >= limit:
            return _fixed(value / limit, _step_decimals(step / limit)) + suffix
    return _fixed(value, _step_decimals(step))


def _tick_label(value: float, number_format: str, step: float, top: float) -> str:
    """A y-axis label: the row's format with as many decimals as the tick step needs; large plain numbers compact
    by the axis' largest tick (`top`)."""
    try:
        fmt = _parse_format(number_format)
    except ValueError:
        fmt = _Format("auto")
    if fmt.kind == "percent":
        return _fixed(value * 100, _step_decimals(step * 100)) + "%"
    if fmt.kind == "bps":
        return _fixed(value * 10_000, _step_decimals(step * 10_000)) + " bps"
    if fmt.kind == "scaled":
        return _format_with(value, fmt)
    if fmt.kind == "decimal":
        return _fixed(value, min(_step_decimals(step), fmt.decimals))
    if fmt.kind == "currency":
        number = _compact(abs(value), step, top)
        symbol = CURRENCY_SYMBOLS.get(fmt.unit) or fmt.unit + " "
        return ("-" if value < 0 and any(c in "123456789" for c in number) else "") + symbol + number
    return _compact(value, step, top)


def _n(value: float) -> str:
    """A coordinate, always with one decimal (deterministic bytes)."""
    text = f"{value:.1f}"
    return "0.0" if text == "-0.0" else text


def _runs(points: Sequence[tuple[float, float] | None]) -> list[list[tuple[float, float]]]:
    """Consecutive drawn points; None breaks the line."""
    runs: list[list[tuple[float, float]]] = []
    current: list[tuple[float, float]] = []
    for point in points:
        if point is None:
            if current:
                runs.append(current)
            current = []
        else:
            current.append(point)
    if current:
        runs.append(current)
    return runs


def _path(run: Sequence[tuple[float, float]]) -> str:
    return "M" + " L".join(f"{_n(x)},{_n(y)}" for x, y in run)


def _pad(values: Sequence[float | None], length: int) -> list[float | None]:
    values = list(values)[:length]
    return values + [None] * (length - len(values))


@dataclass(frozen=True, slots=True)
class _Scale:
    ticks: tuple[float, ...]
    top: int
    bottom: float

    @property
    def low(self) -> float:
        return self.ticks[0]

    @property
    def high(self) -> float:
        return self.ticks[-1]

    @property
    def step(self) -> float:
        return self.ticks[1] - self.ticks[0] if len(self.ticks) > 1 else 1.0

    def y(self, value: float) -> float:
        return self.bottom - (value - self.low) / (self.high - self.low) * (self.bottom - self.top)


def _scale(values: Sequence[float], top: int, bottom: float) -> _Scale:
    if not values:
        return _Scale((0.0, 0.25, 0.5, 0.75, 1.0), top, bottom)
    low, high = min(values), max(values)
    pad = (high - low) * 0.06  # room above and below the extremes for the points and their labels
    return _Scale(tuple(nice_ticks(low - pad, high + pad)), top, bottom)


def _median(values: Sequence[float]) -> float:
    ordered = sorted(abs(v) for v in values)
    return ordered[len(ordered) // 2] if ordered else 0.0


def two_axes(week_values: Sequence[float], month_values: Sequence[float]) -> bool:
    """Whether the months get their own scale (on the right), as wbr-app does for summed metrics: when the months'
    typical figure is more than twice or less than half the weeks' (a month's sum is about 4.3 weeks')."""
    weeks, months = _median(week_values), _median(month_values)
    if weeks <= 0 or months <= 0:
        return False
    return months / weeks > 2 or weeks / months > 2


def _point_label(value: float, number_format: str) -> str:
    """The short figure written above a point: 3 significant digits, large numbers compact (4.46M)."""
    try:
        fmt = _parse_format(number_format)
    except ValueError:
        fmt = _Format("auto")
    if fmt.kind in ("percent", "bps", "scaled", "decimal"):
        return _format_with(value, fmt)
    size = abs(value)
    prefix = ""
    if fmt.kind == "currency":
        prefix = CURRENCY_SYMBOLS.get(fmt.unit) or fmt.unit + " "
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if size >= limit:
            return ("-" if value < 0 else "") + prefix + _significant(size / limit, 3) + suffix
    return ("-" if value < 0 else "") + prefix + _significant(size, 3)


def svg_chart(row: RowResult, *, width: int = 720, height: int = 300) -> str:
    """wbr-app's 6-12 chart of one row as inline SVG: the trailing 6 weeks on the left, the trailing 12 months on
    the right (on their own scale, right, when their figures are of another size, as wbr-app does for sums), this
    year solid with its figures written above the points, the prior year dashed, the plan (when there is one) as
    diamonds. A None figure is a gap in its line (never drawn at 0) marked N/A; the partial month's point is hollow
    and its label says "partial". No script, no style element, no URL; the same row gives the same bytes."""
    width = max(int(width), 360)
    height = max(int(height), 200)
    left, right, top, bottom = 62, 62, 44, 50
    plot_w = width - left - right
    baseline = float(height - bottom)
    label = row.label or row.name
    fmt = row.number_format

    n_weeks = max(len(row.week_endings), len(row.weeks_cy), len(row.weeks_py))
    n_months = max(len(row.months), len(row.months_cy), len(row.months_py))
    weeks_cy, weeks_py = _pad(row.weeks_cy, n_weeks), _pad(row.weeks_py, n_weeks)
    months_cy, months_py = _pad(row.months_cy, n_months), _pad(row.months_py, n_months)
    weeks_plan, months_plan = _pad(row.weeks_plan, n_weeks), _pad(row.months_plan, n_months)
    plan_drawn = any(_finite(v) for v in (*weeks_plan, *months_plan))

    gap_slot = 1 if n_weeks and n_months else 0
    slots = max(n_weeks + gap_slot + n_months, 1)
    slot_w = plot_w / slots
    weeks_right = left + slot_w * n_weeks
    months_left = left + slot_w * (n_weeks + gap_slot)

    def x_week(index: int) -> float:
        return left + slot_w * (index + 0.5)

    def x_month(index: int) -> float:
        return months_left + slot_w * (index + 0.5)

    week_values = [float(v) for v in (*weeks_cy, *weeks_py, *weeks_plan) if _finite(v)]
    month_values = [float(v) for v in (*months_cy, *months_py, *months_plan) if _finite(v)]
    split = two_axes(week_values, month_values)
    if split:
        week_scale = _scale(week_values, top, baseline)
        month_scale = _scale(month_values, top, baseline)
    else:
        week_scale = month_scale = _scale(week_values + month_values, top, baseline)

    summary = f"{label}: trailing 6 weeks and 12 months, this year (solid) against the prior year (dashed)"
    if plan_drawn:
        summary += " and plan (diamonds)"
    summary += f"; last week {format_value(row.box.last_week, fmt)}"
    if row.partial_month and row.months:
        summary += f"; {_month_year(row.months[-1])} is a partial month"
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wbr-chart" viewBox="0 0 {width} {height}" width="{width}" '
        f'height="{height}" role="img" aria-label="{_esc(summary)}" font-family="{FONT_FAMILY}" font-size="11">',
        f"<title>{_esc(label)}</title>",
        f"<desc>{_esc(_chart_description(row, n_weeks, n_months))}</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
    ]

    # The y scales: grid lines across the part each scale serves, labels left (and right for the months' own).
    out.append('<g class="wbr-y-axis">')
    if split:
        out.extend(_grid(week_scale, left, weeks_right, fmt, label_x=left - 6, anchor="end"))
        out.extend(_grid(month_scale, months_left, left + plot_w, fmt, label_x=left + plot_w + 6, anchor="start"))
    else:
        out.extend(_grid(week_scale, left, left + plot_w, fmt, label_x=left - 6, anchor="end"))
    out.append("</g>")
    out.append(
        f'<line x1="{left}" y1="{_n(baseline)}" x2="{left + plot_w}" y2="{_n(baseline)}" stroke="{AXIS_COLOUR}" '
        'stroke-width="1"/>'
    )

    # The two parts: their names above, a divider between them.
    if n_weeks:
        out.append(
            f'<text x="{_n((left + weeks_right) / 2)}" y="{top - 12}" text-anchor="middle" fill="{AXIS_COLOUR}">'
            "Trailing 6 weeks</text>"
        )
    if n_months:
        out.append(
            f'<text x="{_n((months_left + left + plot_w) / 2)}" y="{top - 12}" text-anchor="middle" '
            f'fill="{AXIS_COLOUR}">Trailing 12 months{" (right scale)" if split else ""}</text>'
        )
    if gap_slot:
        x = _n((weeks_right + months_left) / 2)
        out.append(
            f'<line x1="{x}" y1="{top}" x2="{x}" y2="{_n(baseline)}" stroke="#9a9a9a" stroke-width="1" '
            'stroke-dasharray="2 3"/>'
        )

    # The x axis: week endings (day over month), then months (the year under the first month and under January).
    out.append('<g class="wbr-x-axis">')
    for i in range(min(n_weeks, len(row.week_endings))):
        ending = row.week_endings[i]
        out.append(_x_label(x_week(i), baseline, [str(ending.day), MONTH_NAMES[ending.month - 1]]))
    for i in range(min(n_months, len(row.months))):
        month = row.months[i]
        lines = [MONTH_NAMES[month.month - 1]]
        if i == 0 or month.month == 1:
            lines.append(str(month.year))
        partial = row.partial_month and i == n_months - 1
        if partial:
            lines.append("partial")
        out.append(_x_label(x_month(i), baseline, lines, partial=partial))
    out.append("</g>")

    parts = (
        ("week", weeks_cy, weeks_py, weeks_plan, x_week, week_scale),
        ("month", months_cy, months_py, months_plan, x_month, month_scale),
    )
    # The lines: prior year under this year; each part (weeks, months) its own line, broken where a figure is N/A.
    for _, _, py_values, _, x_of, scale in parts:
        for run in _runs(_points(py_values, x_of, scale)):
            if len(run) > 1:
                out.append(
                    f'<path class="wbr-py" d="{_path(run)}" fill="none" stroke="{PY_COLOUR}" stroke-width="1.6" '
                    'stroke-dasharray="5 4"/>'
                )
            else:
                x, y = run[0]
                out.append(f'<circle class="wbr-py" cx="{_n(x)}" cy="{_n(y)}" r="2.2" fill="{PY_COLOUR}"/>')
    for _, cy_values, _, _, x_of, scale in parts:
        for run in _runs(_points(cy_values, x_of, scale)):
            if len(run) > 1:
                out.append(
                    f'<path class="wbr-cy" d="{_path(run)}" fill="none" stroke="{CY_COLOUR}" stroke-width="2.2"/>'
                )

    # Plan diamonds, then this year's points with their figures (the partial month hollow), then the N/A marks.
    for part, _, _, plan_values, x_of, scale in parts:
        for i, value in enumerate(plan_values):
            if not _finite(value):
                continue
            x, y = x_of(i), scale.y(float(value))
            out.append(
                f'<rect class="wbr-plan" x="{_n(x - 3.5)}" y="{_n(y - 3.5)}" width="7" height="7" fill="#ffffff" '
                f'stroke="{PLAN_COLOUR}" stroke-width="1.6" transform="rotate(45 {_n(x)} {_n(y)})">'
                f"<title>{_esc(f'Plan, {_period_name(row, part, i)}: {format_value(value, fmt)}')}</title></rect>"
            )
    for part, cy_values, py_values, _, x_of, scale in parts:
        for i, value in enumerate(cy_values):
            partial = part == "month" and row.partial_month and i == n_months - 1
            tip = _point_tip(row, part, i, partial, fmt)
            x = x_of(i)
            if _finite(value):
                y = scale.y(float(value))
                fill = "#ffffff" if partial else CY_COLOUR
                classes = "wbr-cy wbr-point wbr-partial" if partial else "wbr-cy wbr-point"
                out.append(
                    f'<circle class="{classes}" cx="{_n(x)}" cy="{_n(y)}" r="{"4" if partial else "3"}" '
                    f'fill="{fill}" stroke="{CY_COLOUR}" stroke-width="{"2" if partial else "1"}">'
                    f"<title>{_esc(tip)}</title></circle>"
                )
                out.append(
                    f'<text class="wbr-value" x="{_n(x)}" y="{_n(y - 7)}" text-anchor="middle" font-size="8.5" '
                    f'fill="{CY_COLOUR}">{_esc(_point_label(float(value), fmt))}</text>'
                )
            else:
                out.append(
                    f'<text class="wbr-na" x="{_n(x)}" y="{_n(baseline - 5)}" text-anchor="middle" font-size="9" '
                    f'font-weight="bold" fill="{CY_COLOUR}">N/A<title>{_esc(tip)}</title></text>'
                )
            if not _finite(py_values[i]):
                out.append(
                    f'<text class="wbr-na wbr-na-py" x="{_n(x)}" y="{_n(baseline - 16)}" text-anchor="middle" '
                    f'font-size="8" fill="{PY_COLOUR}">PY N/A<title>{_esc("Prior year: " + tip)}</title></text>'
                )

    if not week_values and not month_values:
        out.append(
            f'<text x="{_n(left + plot_w / 2)}" y="{_n((top + baseline) / 2)}" text-anchor="middle" '
            f'fill="{AXIS_COLOUR}">No data for these periods</text>'
        )

    out.append(_legend(left, plan_drawn))
    out.append("</svg>")
    return "".join(out)


def _points(
    values: Sequence[float | None], x_of: Callable[[int], float], scale: _Scale
) -> list[tuple[float, float] | None]:
    return [(x_of(i), scale.y(float(v))) if _finite(v) else None for i, v in enumerate(values)]


def _grid(scale: _Scale, x1: float, x2: float, fmt: str, *, label_x: float, anchor: str) -> list[str]:
    top_tick = max(abs(scale.low), abs(scale.high))
    out = []
    for tick in scale.ticks:
        y = _n(scale.y(tick))
        out.append(
            f'<line x1="{_n(x1)}" y1="{y}" x2="{_n(x2)}" y2="{y}" stroke="{GRID_COLOUR}" stroke-width="1"/>'
            f'<text x="{_n(label_x)}" y="{y}" dy="0.35em" text-anchor="{anchor}" fill="{AXIS_COLOUR}" font-size="10">'
            f"{_esc(_tick_label(tick, fmt, scale.step, top_tick))}</text>"
        )
    return out


def _period_name(row: RowResult, part: str, index: int) -> str:
    if part == "week":
        return f"week ending {_long_date(row.week_endings[index])}" if index < len(row.week_endings) else "week"
    return _month_year(row.months[index]) if index < len(row.months) else "month"


def _x_label(x: float, baseline: float, lines: Sequence[str], *, partial: bool = False) -> str:
    spans = []
    for i, text in enumerate(lines):
        italic = ' font-style="italic"' if text == "partial" else ""
        spans.append(f'<tspan x="{_n(x)}" dy="{"0" if i == 0 else "1.15em"}"{italic}>{_esc(text)}</tspan>')
    klass = "wbr-x-label wbr-partial-label" if partial else "wbr-x-label"
    tick = f'<line x1="{_n(x)}" y1="{_n(baseline)}" x2="{_n(x)}" y2="{_n(baseline + 4)}" stroke="{AXIS_COLOUR}"/>'
    return (
        f'{tick}<text class="{klass}" x="{_n(x)}" y="{_n(baseline + 15)}" text-anchor="middle" '
        f'fill="{AXIS_COLOUR}" font-size="10">{"".join(spans)}</text>'
    )


def _legend(left: int, has_plan: bool) -> str:
    y = 13
    parts = [
        '<g class="wbr-legend" font-size="10">',
        f'<line x1="{left}" y1="{y}" x2="{left + 22}" y2="{y}" stroke="{CY_COLOUR}" stroke-width="2.2"/>',
        f'<text x="{left + 27}" y="{y}" dy="0.35em" fill="{AXIS_COLOUR}">This year</text>',
        f'<line x1="{left + 90}" y1="{y}" x2="{left + 112}" y2="{y}" stroke="{PY_COLOUR}" stroke-width="1.6" '
        'stroke-dasharray="5 4"/>',
        f'<text x="{left + 117}" y="{y}" dy="0.35em" fill="{AXIS_COLOUR}">Prior year</text>',
    ]
    if has_plan:
        parts.append(
            f'<rect x="{left + 186}" y="{y - 3.5}" width="7" height="7" fill="none" stroke="{PLAN_COLOUR}" '
            f'stroke-width="1.6" transform="rotate(45 {left + 189.5} {y})"/>'
        )
        parts.append(f'<text x="{left + 199}" y="{y}" dy="0.35em" fill="{AXIS_COLOUR}">Plan</text>')
    parts.append(
        f'<circle cx="{left + (250 if has_plan else 190)}" cy="{y}" r="4" fill="#ffffff" stroke="{CY_COLOUR}" '
        'stroke-width="2"/>'
    )
    parts.append(
        f'<text x="{left + (258 if has_plan else 198)}" y="{y}" dy="0.35em" fill="{AXIS_COLOUR}">partial month</text>'
    )
    parts.append("</g>")
    return "".join(parts)


def _point_tip(row: RowResult, part: str, index: int, partial: bool, fmt: str) -> str:
    values, py_values = (row.weeks_cy, row.weeks_py) if part == "week" else (row.months_cy, row.months_py)
    name = _period_name(row, part, index)
    name = name[0].upper() + name[1:]
    if partial:
        name += " (partial month)"
    value = values[index] if index < len(values) else None
    py = py_values[index] if index < len(py_values) else None
    return f"{name}: {format_value(value, fmt)}; prior year {format_value(py, fmt)}"


def _chart_description(row: RowResult, n_weeks: int, n_months: int) -> str:
    fmt = row.number_format
    weeks = "; ".join(
        f"{_day_month(d)}: {format_value(row.weeks_cy[i] if i < len(row.weeks_cy) else None, fmt)} "
        f"(prior year {format_value(row.weeks_py[i] if i < len(row.weeks_py) else None, fmt)})"
        for i, d in enumerate(row.week_endings[:n_weeks])
    )
    months = "; ".join(
        f"{_month_year(m)}{' (partial)' if row.partial_month and i == n_months - 1 else ''}: "
        f"{format_value(row.months_cy[i] if i < len(row.months_cy) else None, fmt)} "
        f"(prior year {format_value(row.months_py[i] if i < len(row.months_py) else None, fmt)})"
        for i, m in enumerate(row.months[:n_months])
    )
    return f"Weeks ending {weeks}. Months {months}."


# ---------------------------------------------------------------------------------------------------------------
# The box
# ---------------------------------------------------------------------------------------------------------------

# (Box field, column heading, is a comparison)
BOX_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("last_week", "Last week", False),
    ("wow", "WoW", True),
    ("yoy", "YoY", True),
    ("mtd", "MTD", False),
    ("mtd_yoy", "MTD YoY", True),
    ("qtd", "QTD", False),
    ("qtd_yoy", "QTD YoY", True),
    ("ytd", "YTD", False),
    ("ytd_yoy", "YTD YoY", True),
)
# Under a period's column: its plan and the actual against it.
PLAN_FIELDS = {
    "last_week": ("week_plan", "week_vs_plan"),
    "mtd": ("mtd_plan", "mtd_vs_plan"),
    "qtd": ("qtd_plan", "qtd_vs_plan"),
    "ytd": ("ytd_plan", "ytd_vs_plan"),
}
_TONE_WORDS = {"good": "better", "bad": "worse", "flat": "flat"}
_TONE_COLOURS = {"good": GOOD_COLOUR, "bad": BAD_COLOUR, "flat": AXIS_COLOUR}


def has_plan(box: Box) -> bool:
    return any(getattr(box, plan) is not None for plan, _ in PLAN_FIELDS.values())


def _value_cell(row: RowResult, key: str, value: float | None) -> str:
    if not _finite(value):
        return f'<td class="wbr-na" title="{_esc(_na_title(row, key))}">{NA}</td>'
    return f"<td>{_esc(format_value(value, row.number_format))}</td>"


def _comparison_cell(row: RowResult, key: str, value: float | None, against: str) -> str:
    if not _finite(value):
        return f'<td class="wbr-na" title="{_esc(_na_title(row, key))}">{NA}</td>'
    tone = _tone(value, row.direction)
    good = "higher" if str(row.direction) != Direction.DOWN.value else "lower"
    title = f"{_TONE_WORDS[tone]} than {against} ({good} is better)"
    return (
        f'<td class="wbr-{tone}" style="color:{_TONE_COLOURS[tone]}" title="{_esc(title)}">'
        f"{_esc(format_comparison(value, row.comparison))}</td>"
    )


def box_table(row: RowResult) -> str:
    """The figures beside a chart as an HTML table: last week, WoW, YoY, MTD, QTD and YTD with their YoY, by the
    row's number format and comparison; when the row has a plan, a plan row and a vs-plan row under the periods.
    Comparisons are coloured good or bad by the row's direction (and say so in their title); N/A is never 0 and its
    title names the gap."""
    box = row.box
    against = {"wow": "the week before", "yoy": "last year"}
    head = "".join(f'<th scope="col">{_esc(title)}</th>' for _, title, _ in BOX_COLUMNS)
    cells = []
    for key, _, is_comparison in BOX_COLUMNS:
        value = getattr(box, key)
        if is_comparison:
            cells.append(_comparison_cell(row, key, value, against.get(key, "last year")))
        else:
            cells.append(_value_cell(row, key, value))
    body = [f'<tr class="wbr-actual"><th scope="row">Actual</th>{"".join(cells)}</tr>']
    if has_plan(box):
        plans, versus = [], []
        for key, _, is_comparison in BOX_COLUMNS:
            if is_comparison:
                plans.append('<td class="wbr-blank"></td>')
                versus.append('<td class="wbr-blank"></td>')
                continue
            plan_key, vs_key = PLAN_FIELDS[key]
            plan = getattr(box, plan_key)
            if plan is None:
                plans.append(f'<td class="wbr-na" title="No plan for this period">{NA}</td>')
                versus.append(f'<td class="wbr-na" title="No plan for this period">{NA}</td>')
                continue
            plans.append(f"<td>{_esc(format_value(plan, row.number_format))}</td>")
            versus.append(_comparison_cell(row, key, getattr(box, vs_key), "plan"))
        body.append(f'<tr class="wbr-plan"><th scope="row">Plan</th>{"".join(plans)}</tr>')
        body.append(f'<tr class="wbr-vs-plan"><th scope="row">vs plan</th>{"".join(versus)}</tr>')
    label = row.label or row.name
    return (
        f'<table class="wbr-box" aria-label="{_esc("Figures for " + label)}">'
        f'<thead><tr><td class="wbr-blank"></td>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>'
    )


# ---------------------------------------------------------------------------------------------------------------
# The deck: one self-contained HTML file (and its PDF)
# ---------------------------------------------------------------------------------------------------------------

DECK_CSS = """
@page { size: A4; margin: 14mm 12mm 16mm 12mm;
  @bottom-center { content: "Page " counter(page) " of " counter(pages); font-size: 8pt; color: #555; } }
html { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; font-size: 10pt; line-height: 1.4; color: #111;
  background: #fff; }
body { max-width: 980px; margin: 0 auto; padding: 16px; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 13pt; margin: 0 0 2mm; }
h3 { font-size: 10pt; margin: 2mm 0 1mm; }
a { color: #1a4f8b; }
.wbr-meta { color: #444; margin: 0 0 4mm; }
.wbr-summary { border: 1px solid #ccc; padding: 2mm 4mm; margin: 0 0 5mm; }
.wbr-summary ul { margin: 1mm 0; padding-left: 5mm; }
.wbr-row { break-inside: avoid; page-break-inside: avoid; border-top: 1px solid #bbb; padding: 3mm 0 4mm; }
.wbr-row-exception h2::before { content: "\\26A0  "; color: #b85c00; }
.wbr-exception { background: #fff4e5; border-left: 3px solid #b85c00; padding: 1mm 3mm; margin: 0 0 2mm; }
.wbr-figure svg { display: block; width: 100%; max-width: 760px; height: auto; }
table.wbr-box { border-collapse: collapse; font-size: 8.5pt; margin: 2mm 0; width: auto; }
table.wbr-box th, table.wbr-box td { border: 1px solid #bbb; padding: 1px 5px; text-align: right;
  white-space: nowrap; vertical-align: middle; font-family: "DejaVu Sans", Verdana, Arial, sans-serif; }
table.wbr-box thead th { background: #f0f0f0; }
table.wbr-box tbody th { text-align: left; background: #f7f7f7; }
table.wbr-box td.wbr-blank { border: none; background: none; }
.wbr-good { color: #1b7f3b; }
.wbr-bad { color: #b3261e; }
.wbr-na { color: #666; font-style: italic; }
.wbr-commentary { border-left: 3px solid #1f5fa8; padding: 0 3mm; margin: 2mm 0; }
.wbr-gaps { color: #444; font-size: 9pt; }
.wbr-gaps ul, .wbr-notes { margin: 0; padding-left: 5mm; }
footer { color: #666; font-size: 8pt; margin-top: 6mm; }
@media print {
  body { max-width: none; padding: 0; }
  .wbr-figure svg { width: 170mm; max-width: 100%; }
  a { color: inherit; text-decoration: none; }
}
"""

# Inside the file itself: nothing may load (a browser opening the file enforces it; WeasyPrint fetches nothing
# anyway, kernel/pdf.py).
DECK_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def row_anchor(index: int, row: RowResult) -> str:
    """The id of a row's section in the deck (`row-3-clickthrurate`): unique by the row's position."""
    slug = re.sub(r"[^a-z0-9]+", "-", row.name.lower()).strip("-")[:40] or "metric"
    return f"row-{index}-{slug}"


def _fiscal_year_end(month: int) -> str:
    return MONTH_FULL_NAMES[month - 1] if 1 <= month <= 12 else str(month)


def deck_html(result: DeckResult, *, commentary: Mapping[str, str] | None = None, generated_at: str = "") -> str:
    """The whole deck as ONE self-contained HTML file (inline CSS and SVG, no script, no URL outside the file):
    title, week, an exceptions-first summary linking to the rows, then each row's heading, chart, box, commentary
    (`commentary` maps a row's name to HTML the caller has already rendered safe) and gaps. Prints on A4 (WeasyPrint
    or a browser) with one or two rows a page."""
    commentary = commentary or {}
    rows = [row for row in result.rows if getattr(row, "shown", True)]
    title = result.title or "Weekly Business Review"
    anchors = [row_anchor(i, row) for i, row in enumerate(rows, start=1)]
    meta = (
        f"Week {result.week_number} · week ending {_long_date(result.week_ending)} · fiscal year ends "
        f"{_fiscal_year_end(result.fiscal_year_end_month)}"
    )
    if generated_at:
        meta += f" · generated {generated_at}"

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{DECK_CSP}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)} · week ending {result.week_ending.isoformat()}</title>",
        f"<style>{DECK_CSS}</style></head><body>",
        f'<header><h1>{_esc(title)}</h1><p class="wbr-meta">{_esc(meta)}</p>',
    ]
    if result.notes:
        out.append('<ul class="wbr-notes">' + "".join(f"<li>{_esc(note)}</li>" for note in result.notes) + "</ul>")
    out.append("</header>")

    exceptions = [(anchor, row) for anchor, row in zip(anchors, rows, strict=True) if row.exception]
    incomplete = [(anchor, row) for anchor, row in zip(anchors, rows, strict=True) if row.gaps]
    out.append('<section class="wbr-summary" aria-labelledby="wbr-exceptions-title">')
    out.append('<h2 id="wbr-exceptions-title">Exceptions first</h2>')
    if exceptions:
        out.append(
            '<ul class="wbr-exceptions">'
            + "".join(
                f'<li><a href="#{anchor}">{_esc(row.label or row.name)}</a>: {_esc(row.exception)}</li>'
                for anchor, row in exceptions
            )
            + "</ul>"
        )
    else:
        out.append("<p>No exceptions this week: every row is on plan and within its usual range.</p>")
    if incomplete:
        out.append(
            "<p>Incomplete data (shown as N/A, never as 0): "
            + ", ".join(f'<a href="#{anchor}">{_esc(row.label or row.name)}</a>' for anchor, row in incomplete)
            + ".</p>"
        )
    out.append(f"<p>{len(rows)} metric{'s' if len(rows) != 1 else ''} in this deck.</p></section>")

    for anchor, row in zip(anchors, rows, strict=True):
        label = row.label or row.name
        klass = "wbr-row wbr-row-exception" if row.exception else "wbr-row"
        out.append(f'<section class="{klass}" id="{anchor}" aria-label="{_esc(label)}"><h2>{_esc(label)}</h2>')
        if row.exception:
            out.append(f'<p class="wbr-exception"><strong>Exception:</strong> {_esc(row.exception)}</p>')
        out.append(f'<div class="wbr-figure">{svg_chart(row)}</div>')
        out.append(box_table(row))
        note = commentary.get(row.name)
        if note:
            out.append(f'<div class="wbr-commentary"><h3>Commentary</h3>{note}</div>')
        if row.gaps:
            out.append(
                '<div class="wbr-gaps"><h3>Data gaps</h3><ul>'
                + "".join(f"<li>{_esc(describe_gap(gap))}</li>" for gap in row.gaps)
                + "</ul></div>"
            )
        out.append("</section>")
    out.append("<footer>Figures by wbr-app's definitions; N/A marks a period with missing or blank days.</footer>")
    out.append("</body></html>")
    return "\n".join(out)


def deck_pdf(result: DeckResult, *, commentary: Mapping[str, str] | None = None, generated_at: str = "") -> bytes:
    """The deck as a PDF (A4), from `deck_html` through kernel.pdf, which fetches nothing."""
    from mechanisms.kernel.pdf import html_to_pdf

    return html_to_pdf(deck_html(result, commentary=commentary, generated_at=generated_at))
