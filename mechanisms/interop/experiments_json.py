"""STATS.json, the input of ``mech experiments analyze``: read, located, analysed and written back, with no Django.

The form is the experiments engine's own (``experiments.rules.stats_from_dict`` reads it and refuses what cannot be
right, naming the field as a dotted path like ``metrics[0].variations[1].sum_squares``); this module adds what a
file needs: the file's name and the line of that field in every message, and the result as JSON or a table.

Input keys: ``alpha`` (default 0.05), ``engine`` (frequentist, sequential or bayesian; default frequentist),
``difference`` (relative or absolute; default relative), ``sequential_tuning`` (default 5,000), ``prior``
({mean, stddev} on the relative scale; absent: flat), ``correction`` (none, holm or bh; default none) and
``metrics``: each with ``name``, ``statistic`` (proportion, mean or ratio), ``cuped`` and ``inverse`` (default
false) and ``variations``, the control first, each with ``name``, ``weight`` and its sufficient statistics.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mechanisms.experiments.contracts import AnalysisResult, AnalysisSettings, MetricStats


class StatsFileError(Exception):
    """Input that cannot be analysed: ``FILE:LINE: field: message`` (line 0 when the file itself is the problem)."""

    def __init__(self, file: str, line: int, field: str, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field, message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


@dataclass(frozen=True)
class StatsFile:
    settings: AnalysisSettings
    metrics: tuple[MetricStats, ...]
    warnings: tuple[str, ...] = field(default=())


# ----------------------------------------------------------------------------------------------- reading


def read_stats(path: str, data: bytes) -> StatsFile:
    """The settings and statistics of one STATS.json (``path`` names it in messages). Raises StatsFileError."""
    from mechanisms.experiments.rules import InvalidStats, stats_from_dict

    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise StatsFileError(path, line, "", f"not UTF-8 text (byte offset {exc.start}: {exc.reason})") from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise StatsFileError(path, exc.lineno, "", f"not JSON: {exc.msg} (column {exc.colno})") from None
    try:
        settings, metrics = stats_from_dict(document)
    except InvalidStats as exc:
        raise StatsFileError(path, line_of(text, exc.field), exc.field, exc.message) from None
    return StatsFile(settings=settings, metrics=metrics, warnings=tuple(_unused(path, text, document)))


def _unused(path: str, text: str, document: dict[str, Any]) -> list[str]:
    """Settings the chosen engine does not read (a prior for a frequentist analysis, say): kept, and said."""
    engine = document.get("engine", "frequentist")
    notes = []
    if "prior" in document and document["prior"] is not None and engine != "bayesian":
        notes.append(f"{path}:{line_of(text, 'prior')}: prior: only the bayesian engine uses a prior")
    if "sequential_tuning" in document and engine != "sequential":
        notes.append(
            f"{path}:{line_of(text, 'sequential_tuning')}: sequential_tuning: only the sequential engine uses it"
        )
    if document.get("correction") not in (None, "none") and engine == "bayesian":
        notes.append(
            f"{path}:{line_of(text, 'correction')}: correction: the bayesian engine has no p-values to correct"
        )
    return notes


def analyse(stats: StatsFile, path: str) -> AnalysisResult:
    """The engine's analysis of the file's statistics (StatsFileError for statistics the engine refuses)."""
    from mechanisms.experiments.rules import InvalidStats, analyze

    try:
        return analyze(stats.settings, stats.metrics)
    except InvalidStats as exc:
        # analyze re-checks what stats_from_dict checked and refuses sums too large to compute with
        raise StatsFileError(path, 0, exc.field, exc.message) from None


# ----------------------------------------------------------------------------------------------- locating

_WHITESPACE = re.compile(r"[ \t\n\r]*")
_SCALAR = re.compile(r"-?Infinity|NaN|true|false|null|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")
_STEP = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def positions(text: str) -> dict[str, int]:
    """Where each value of a valid JSON text is, by the dotted path the engine names fields with (an object
    member at its key, an array item at its first character; ``""`` is the whole document)."""
    from json.decoder import scanstring

    found: dict[str, int] = {}

    def skip(i: int) -> int:
        return _WHITESPACE.match(text, i).end()  # type: ignore[union-attr]

    def value(i: int, path: str) -> int:
        i = skip(i)
        found.setdefault(path, i)
        char = text[i]
        if char == "{":
            i = skip(i + 1)
            if text[i] == "}":
                return i + 1
            while True:
                at = skip(i)
                key, i = scanstring(text, at + 1)
                child = f"{path}.{key}" if path else key
                found[child] = at  # the last of duplicate keys, as json.loads keeps
                i = value(skip(i) + 1, child)  # past the colon
                i = skip(i)
                if text[i] == "}":
                    return i + 1
                i += 1  # the comma
        if char == "[":
            i = skip(i + 1)
            if text[i] == "]":
                return i + 1
            index = 0
            while True:
                i = skip(value(i, f"{path}[{index}]"))
                if text[i] == "]":
                    return i + 1
                i, index = i + 1, index + 1
        if char == '"':
            return scanstring(text, i + 1)[1]
        match = _SCALAR.match(text, i)
        if match is None:
            raise ValueError(f"not JSON at offset {i}")
        return match.end()

    value(0, "")
    return found


def line_of(text: str, path: str) -> int:
    """The line of the field the path names, or of the nearest enclosing value written (a missing key: the object
    it is missing from). 0 when the text is not JSON."""
    try:
        found = positions(text)
    except (ValueError, IndexError, AttributeError):
        return 0
    steps = [m.group(0) for m in _STEP.finditer(path)]
    while steps:
        candidate = "".join(steps).lstrip(".")
        if candidate in found:
            return text.count("\n", 0, found[candidate]) + 1
        steps.pop()
    return text.count("\n", 0, found.get("", 0)) + 1


# ----------------------------------------------------------------------------------------------- writing


def result_dict(stats: StatsFile, result: AnalysisResult) -> dict[str, Any]:
    """The engine's JSON form of the result (``rules.result_to_dict``: per metric ``srm_p`` and per non-control
    variation ``lift``, ``ci``, ``p_value``, ``chance_to_win``, ``risk``, ``error`` and the extras), each
    variation with its sentence in plain language, and the warnings."""
    from mechanisms.experiments.rules import result_to_dict, sentence

    payload = result_to_dict(result)
    inverse = {m.name: m.inverse for m in stats.metrics}
    settings = result.settings
    for metric in result.metrics:
        for variation in metric.variations:
            payload["metrics"][metric.name]["variations"][variation.name]["sentence"] = sentence(
                variation,
                metric=metric.name,
                engine=settings.engine,
                difference=settings.difference,
                alpha=settings.alpha,
                inverse=inverse[metric.name],
            )
    payload["warnings"] = list(stats.warnings)
    return payload


def result_json(stats: StatsFile, result: AnalysisResult) -> str:
    return json.dumps(result_dict(stats, result), indent=1, allow_nan=False) + "\n"


def _percent(value: float) -> str:
    return f"{value * 100:+.2f}%"


def _number(value: float) -> str:
    return f"{value:+.4g}"


def _plain(value: float | None) -> str:
    return "-" if value is None else f"{value:.4g}"


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def result_text(stats: StatsFile, result: AnalysisResult) -> str:
    """A table per metric: the SRM line, then the control and each variation with its units, mean, lift and
    interval, and p-value (adjusted when corrected) or chance to win and risk; then each variation's sentence."""
    from mechanisms.experiments.contracts import Difference, Engine
    from mechanisms.experiments.rules import sentence

    settings = result.settings
    bayesian = settings.engine is Engine.BAYESIAN
    relative = settings.difference is Difference.RELATIVE
    lift = _percent if relative else _number
    level = f"{(1 - settings.alpha) * 100:.4g}%"
    interval = {Engine.FREQUENTIST: "CI", Engine.SEQUENTIAL: "always-valid CI", Engine.BAYESIAN: "credible"}
    by_name = {m.name: m for m in stats.metrics}
    prior = ""
    if bayesian:
        prior = (
            f", prior mean {settings.prior.mean:g} stddev {settings.prior.stddev:g}"
            if settings.prior
            else ", flat prior"
        )
    if settings.engine is Engine.SEQUENTIAL:
        prior = f", tuning {settings.sequential_tuning:g}"
    lines = [
        f"{settings.engine} analysis, {settings.difference} difference, alpha {settings.alpha:g}{prior} "
        f"({result.engine_version})"
    ]
    corrected = any(v.p_value_adjusted is not None for m in result.metrics for v in m.variations)
    for metric in result.metrics:
        stats_metric = by_name[metric.name]
        flags = (
            [str(stats_metric.statistic)]
            + (["CUPED"] if stats_metric.cuped else [])
            + (["lower is better"] if stats_metric.inverse else [])
        )
        lines += ["", f"{metric.name} ({', '.join(flags)})"]
        weights = " / ".join(f"{v.weight:.4g}" for v in stats_metric.variations)
        units = " / ".join(f"{n:,}" for n in metric.units)
        if metric.srm:
            lines.append(
                f"SRM: p = {metric.srm_p:.2g} < 0.001: the units ({units}) do not match the weights "
                f"({weights}); the assignment or the exposure logging is broken, do not trust these results"
            )
        else:
            lines.append(f"SRM: p = {metric.srm_p:.4f}: units {units} match the weights {weights}")
        head = ["Variation", "Units", "Mean", "Lift", f"{level} {interval[settings.engine]}"]
        head += (
            ["Chance to win", "Risk (control / this)"]
            if bayesian
            else ["p-value"] + (["adjusted"] if corrected else [])
        )
        control_mean = next((v.control_mean for v in metric.variations if v.control_mean is not None), None)
        table = [
            head,
            [stats_metric.variations[0].name, f"{metric.units[0]:,}", _plain(control_mean), "", ""]
            + [""] * (len(head) - 5),
        ]
        for variation, n in zip(metric.variations, metric.units[1:], strict=True):
            row = [variation.name, f"{n:,}", _plain(variation.mean)]
            if variation.error is not None or variation.lift is None or variation.ci is None:
                row += [f"no estimate: {variation.error or 'none'}", ""] + [""] * (len(head) - 5)
            else:
                mark = " *" if variation.significant else ""
                row += [lift(variation.lift) + mark, f"[{lift(variation.ci[0])}, {lift(variation.ci[1])}]"]
                if bayesian:
                    risk = variation.risk or (0.0, 0.0)
                    row += [
                        f"{(variation.chance_to_win or 0.0) * 100:.1f}%",
                        f"{lift(risk[0])} / {lift(risk[1])}".replace("+", ""),
                    ]
                else:
                    row.append(_p(variation.p_value))
                    if corrected:
                        row.append(_p(variation.p_value_adjusted))
            table.append(row)
        widths = [max(len(r[i]) for r in table) for i in range(len(head))]
        for index, row in enumerate(table):
            cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)]
            lines.append("  ".join(cells).rstrip())
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        for variation in metric.variations:
            lines.append(
                "  "
                + sentence(
                    variation,
                    metric=metric.name,
                    engine=settings.engine,
                    difference=settings.difference,
                    alpha=settings.alpha,
                    inverse=stats_metric.inverse,
                )
            )
    if any(v.significant for m in result.metrics for v in m.variations):
        lines += ["", "* significant at alpha " + f"{settings.alpha:g}" + (" (adjusted)" if corrected else "")]
    return "\n".join(lines) + "\n"
