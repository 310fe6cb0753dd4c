"""Private: the results page's small inline SVG charts (no JavaScript, no chart library): a lift's interval as a bar
around zero and the primary metric's cumulative lift. Pure: strings in, markup out; every text
is escaped here. The metrics app's chart helpers are private to it, so these are drawn simply on their own."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from html import escape

WIN = "#1b7f3b"  # significant and good, the metric's direction taken into account
LOSS = "#b3261e"  # significant and bad
FLAT = "#6b6b6b"  # not significant
GRID = "#e2e2e2"
AXIS = "#444444"
LINE = "#1f5fa8"
FONT = "DejaVu Sans, Verdana, Arial, sans-serif"


def tone(*, lift: float | None, significant: bool, inverse: bool) -> str:
    """`win`, `loss` or `flat`: a significant move up is a win unless lower is better (`inverse`)."""
    if lift is None or not significant or lift == 0:
        return "flat"
    good = lift > 0 if not inverse else lift < 0
    return "win" if good else "loss"


def colour(name: str) -> str:
    return {"win": WIN, "loss": LOSS}.get(name, FLAT)


def percent(value: float | None, *, relative: bool = True, digits: int = 1) -> str:
    """A lift in words: "+3.1%" on the relative scale, "+0.0123" on the absolute one; N/A for no estimate."""
    if value is None or not math.isfinite(value):
        return "N/A"
    if relative:
        return f"{value * 100:+.{digits}f}%"
    return f"{value:+.4g}"


def _finite(*values: float | None) -> bool:
    return all(v is not None and math.isfinite(v) for v in values)


def interval_bar(
    *, lift: float | None, ci: tuple[float, float] | None, scale: float, tone_name: str, label: str, width: int = 240
) -> str:
    """The lift's interval as a horizontal bar on an axis centred at zero (`scale`: the largest |bound| drawn on
    the page, so every bar shares one axis); the lift is a tick on the bar. No estimate: an empty axis."""
    height, mid, pad = 26, width / 2, 6
    half = (width - 2 * pad) / 2
    parts = [
        f'<svg class="ci-bar" role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-family="{FONT}">',
        f'<line x1="{pad}" y1="13" x2="{width - pad}" y2="13" stroke="{GRID}" stroke-width="1"/>',
        f'<line x1="{mid:.1f}" y1="2" x2="{mid:.1f}" y2="24" stroke="{AXIS}" stroke-width="1"/>',
    ]
    if ci is not None and _finite(lift, ci[0], ci[1]) and scale > 0:

        def x(v: float) -> float:
            return mid + max(-1.0, min(1.0, v / scale)) * half

        low, high = x(ci[0]), x(ci[1])
        fill = colour(tone_name)
        parts.append(
            f'<rect x="{low:.1f}" y="7" width="{max(high - low, 1.5):.1f}" height="12" rx="2" fill="{fill}" '
            'fill-opacity="0.35" stroke="' + fill + '"/>'
        )
        parts.append(f'<line x1="{x(lift):.1f}" y1="5" x2="{x(lift):.1f}" y2="21" stroke="{fill}" stroke-width="2.5"/>')
    parts.append(f"<title>{escape(label)}</title></svg>")
    return "".join(parts)


def cumulative_chart(
    *, points: Sequence[tuple[dt.date, float | None, tuple[float, float] | None]], label: str, width: int = 480
) -> str:
    """The cumulative lift of one variation day by day: the lift as a line, its interval as a band, zero dashed."""
    height, left, right, top, bottom = 160, 44, 8, 8, 20
    drawn = [(d, lift, ci) for d, lift, ci in points if ci is not None and _finite(lift, ci[0], ci[1])]
    if not drawn:
        return ""
    low = min(min(ci[0] for _, _, ci in drawn), 0.0)
    high = max(max(ci[1] for _, _, ci in drawn), 0.0)
    if high - low < 1e-12:
        high, low = high + 0.01, low - 0.01
    span = max(len(drawn) - 1, 1)

    def x(i: int) -> float:
        return left + (width - left - right) * i / span

    def y(v: float) -> float:
        return top + (height - top - bottom) * (high - v) / (high - low)

    band_top = " ".join(f"{x(i):.1f},{y(ci[1]):.1f}" for i, (_, _, ci) in enumerate(drawn))
    band_bottom = " ".join(f"{x(i):.1f},{y(ci[0]):.1f}" for i, (_, _, ci) in reversed(list(enumerate(drawn))))
    line = " ".join(f"{x(i):.1f},{y(lift):.1f}" for i, (_, lift, _) in enumerate(drawn))
    parts = [
        f'<svg class="cumulative-chart" role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="10">',
        f'<polygon points="{band_top} {band_bottom}" fill="{LINE}" fill-opacity="0.15"/>',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="{AXIS}" '
        'stroke-dasharray="4 3"/>',
        f'<polyline points="{line}" fill="none" stroke="{LINE}" stroke-width="2"/>',
        f'<text x="{left - 4}" y="{y(high) + 4:.1f}" text-anchor="end">{escape(percent(high))}</text>',
        f'<text x="{left - 4}" y="{y(low):.1f}" text-anchor="end">{escape(percent(low))}</text>',
        f'<text x="{left}" y="{height - 4}">{escape(drawn[0][0].strftime("%d %b"))}</text>',
        f'<text x="{width - right}" y="{height - 4}" text-anchor="end">{escape(drawn[-1][0].strftime("%d %b"))}</text>',
        f"<title>{escape(label)}</title></svg>",
    ]
    return "".join(parts)


SERIES_COLOURS = ("#6b6b6b", "#1f5fa8", "#b85c00", "#6a3d9a", "#1b7f3b", "#b3261e")


def exposure_chart(
    *, days: Sequence[dt.date], counts: Sequence[Sequence[int]], names: Sequence[str], label: str, width: int = 480
) -> str:
    """The units exposed so far per variation, day by day (each day's first exposures cumulated): one line per
    variation, the control grey, with a legend, so a split drifting from the plan shows as lines parting."""
    if not days or not names:
        return ""
    height, left, right, top, bottom = 140, 52, 8, 8, 34
    totals = [0] * len(names)
    cumulated = []
    for row in counts:
        totals = [t + (row[i] if i < len(row) else 0) for i, t in enumerate(totals)]
        cumulated.append(list(totals))
    high = max(max(r) for r in cumulated) or 1
    span = max(len(days) - 1, 1)

    def x(i: int) -> float:
        return left + (width - left - right) * i / span

    def y(v: float) -> float:
        return top + (height - top - bottom) * (1 - v / high)

    parts = [
        f'<svg class="exposure-chart" role="img" aria-label="{escape(label)}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg" font-family="{FONT}" font-size="10">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - right}" y2="{y(0):.1f}" stroke="{AXIS}"/>',
    ]
    for v, name in enumerate(names):
        colour_ = SERIES_COLOURS[v % len(SERIES_COLOURS)]
        if len(days) == 1:
            parts.append(f'<circle cx="{x(0):.1f}" cy="{y(cumulated[0][v]):.1f}" r="3" fill="{colour_}"/>')
        else:
            line = " ".join(f"{x(i):.1f},{y(row[v]):.1f}" for i, row in enumerate(cumulated))
            parts.append(f'<polyline points="{line}" fill="none" stroke="{colour_}" stroke-width="2"/>')
        legend_x = left + v * 110
        parts.append(f'<rect x="{legend_x}" y="{height - 12}" width="10" height="3" fill="{colour_}"/>')
        parts.append(f'<text x="{legend_x + 14}" y="{height - 8}">{escape(name)}: {cumulated[-1][v]:,}</text>')
    parts += [
        f'<text x="{left - 4}" y="{y(high) + 4:.1f}" text-anchor="end">{high:,}</text>',
        f'<text x="{left - 4}" y="{y(0):.1f}" text-anchor="end">0</text>',
        f'<text x="{left}" y="{height - 20}">{escape(days[0].strftime("%d %b"))}</text>',
        f'<text x="{width - right}" y="{height - 20}" text-anchor="end">{escape(days[-1].strftime("%d %b"))}</text>',
        f"<title>{escape(label)}</title></svg>",
    ]
    return "".join(parts)
