"""``mech wbr build CONFIG DATA --out deck.html|pdf|json``: a wbr-app deck built offline, like ``mech check``.

No server, no database, no Django: interop/wbr.py reads the YAML config and the CSV, the metrics engine
(metrics/rules.py) computes the deck, metrics/charts.py draws it. Exit 0 built, 2 when the input cannot be read
(the message names the file, line and field). Imports are inside the command: ``mech wbr build`` takes the
launcher's fast path (``run_build_argv``, no Typer), and Typer's ``wbr`` group is built only when asked for.
"""

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

if TYPE_CHECKING:
    import typer

    from mechanisms.interop.wbr import WbrDeck
    from mechanisms.metrics.contracts import DeckResult, RowResult

EXIT_OK, EXIT_UNREADABLE = 0, 2
FORMATS = ("text", "json")
OUTPUTS = (".html", ".htm", ".pdf", ".json")


def __getattr__(name: str) -> Any:
    """``wbr`` (the Typer group ``mech`` mounts) is built on first use, so that the fast path never imports Typer."""
    if name == "wbr":
        group = _build_group()
        globals()["wbr"] = group
        return group
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _build_group() -> "typer.Typer":
    from typing import Annotated

    import typer

    group = typer.Typer(help="wbr-app decks, offline: build a deck from a YAML config and a CSV.", no_args_is_help=True)

    @group.callback()
    def _wbr() -> None:
        """wbr-app decks, offline (no server, no database)."""

    @group.command("build")
    def build(
        config: Annotated[str, typer.Argument(help="wbr-app's YAML deck config.")],
        data: Annotated[str, typer.Argument(help="The CSV: Date and one column per series, or long with filters.")],
        out: Annotated[str | None, typer.Option("--out", "-o", help="deck.html, deck.pdf or deck.json.")] = None,
        week_ending: Annotated[
            str | None, typer.Option("--week-ending", help="The week's last day (25-SEP-2021 or 2021-09-25).")
        ] = None,
        output_format: Annotated[str, typer.Option("--format", "-f", help="Without --out: text or json.")] = "text",
    ) -> None:
        """Build a WBR deck from wbr-app's files: exit 0 built, 2 unreadable input (FILE:LINE: field: why)."""
        raise typer.Exit(run_build(config, data, out=out, week_ending=week_ending, output_format=output_format))

    return group


def run_build(
    config: str,
    data: str,
    *,
    out: str | None = None,
    week_ending: str | None = None,
    output_format: str = "text",
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """The whole build as a function returning the exit code. Nothing is written unless the deck was built."""
    from mechanisms.interop.wbr import WbrError, parse_week_ending, read_deck

    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    output_format = output_format.lower()
    if output_format not in FORMATS:
        stderr.write(f"error: --format must be text or json, not {output_format!r}\n")
        return EXIT_UNREADABLE
    target = Path(out) if out else None
    if target is not None and target.suffix.lower() not in OUTPUTS:
        stderr.write(f"error: --out must end in .html, .pdf or .json, not {target.name!r}\n")
        return EXIT_UNREADABLE
    week = None
    if week_ending is not None:
        week = parse_week_ending(week_ending)
        if week is None:
            stderr.write(f"error: --week-ending: {week_ending!r} is not a date like 25-SEP-2021 or 2021-09-25\n")
            return EXIT_UNREADABLE
    try:
        deck = read_deck(config, data, week_ending=week)
    except WbrError as exc:
        stderr.write(f"{exc}\n")
        return EXIT_UNREADABLE

    from mechanisms.metrics.rules import build_deck

    result = build_deck(deck.spec)
    warnings = list(deck.warnings)
    if deck.week_number is not None and deck.week_number != result.week_number:
        warnings.append(
            f"{config}: setup.week_number: {deck.week_number} is not the week the dates give ({result.week_number} "
            "of the fiscal year); the deck shows the inferred week"
        )
    for warning in warnings:
        stderr.write(f"warning: {warning}\n")

    if target is None:
        if output_format == "json":
            stdout.write(_json(deck, result, warnings))
        else:
            stdout.write(box_table(result))
        return EXIT_OK
    suffix = target.suffix.lower()
    if suffix == ".json":
        payload: bytes = _json(deck, result, warnings).encode()
    elif suffix == ".pdf":
        from mechanisms.metrics.charts import deck_pdf

        payload = deck_pdf(drawn(deck, result))
    else:
        from mechanisms.metrics.charts import deck_html

        payload = deck_html(drawn(deck, result)).encode()
    try:
        _write_atomically(target, payload)
    except OSError as exc:
        stderr.write(f"error: {target}: {exc.strerror or exc}\n")
        return EXIT_UNREADABLE
    if output_format == "text":
        shown = sum(1 for r in result.rows if getattr(r, "shown", True))
        stdout.write(
            f"{target}: {shown} metrics, week ending {result.week_ending.isoformat()} (week {result.week_number})\n"
        )
    return EXIT_OK


def _json(deck: "WbrDeck", result: "DeckResult", warnings: list[str]) -> str:
    import json

    from mechanisms.metrics.rules import deck_to_dict

    payload = deck_to_dict(result)
    payload["warnings"] = warnings
    return json.dumps(payload, indent=1, allow_nan=False) + "\n"


def drawn(deck: "WbrDeck", result: "DeckResult") -> "DeckResult":
    """The result with the rows the deck's blocks draw, in block order (the JSON has every metric of the config)."""
    from dataclasses import replace

    rows = {row.name: row for row in result.rows}
    return replace(result, rows=tuple(rows[name] for name in deck.drawn if name in rows))


def _write_atomically(target: Path, payload: bytes) -> None:
    """The output appears whole or not at all: written beside the target, then renamed over it."""
    import os
    import tempfile

    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)  # as an ordinary file would be (mkstemp makes it private)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


# -- the box as text ------------------------------------------------------------------------------------------

_BOX = (
    ("LastWk", "last_week"),
    ("WOW", "wow"),
    ("YOY", "yoy"),
    ("MTD", "mtd"),
    ("MTD YOY", "mtd_yoy"),
    ("QTD", "qtd"),
    ("QTD YOY", "qtd_yoy"),
    ("YTD", "ytd"),
    ("YTD YOY", "ytd_yoy"),
)
_COMPARISONS = {"wow", "yoy", "mtd_yoy", "qtd_yoy", "ytd_yoy"}


def _figure(value: float | None) -> str:
    if value is None:
        return "N/A"
    if abs(value) >= 1000 and value == int(value):
        return f"{value:,.0f}"
    if abs(value) >= 1000:
        return f"{value:,.1f}"
    return f"{value:.5g}"


def _change(value: float | None, bps: bool) -> str:
    if value is None:
        return "N/A"
    return f"{value:+.2f} bps" if bps else f"{value:+.2f}%"


def _cells(row: "RowResult") -> list[str]:
    bps = row.comparison.value == "bps"
    return [
        _change(getattr(row.box, key), bps) if key in _COMPARISONS else _figure(getattr(row.box, key))
        for _, key in _BOX
    ]


def box_table(result: "DeckResult") -> str:
    """The deck's box, one line per metric: last week, WOW, YOY, MTD, QTD and YTD with their YOY (N/A where a
    period is incomplete), then the gaps."""
    rows = [r for r in result.rows if getattr(r, "shown", True)]
    table = [["Metric", *(h for h, _ in _BOX)]] + [[r.name, *_cells(r)] for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(table[0]))]
    lines = [f"{result.title or 'WBR'}: week ending {result.week_ending:%a %d-%b-%Y} (week {result.week_number})"]
    for index, line in enumerate(table):
        cells = [line[0].ljust(widths[0])] + [
            cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True)
        ]
        lines.append("  ".join(cells).rstrip())
        if index == 0:
            lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        periods: list[str] = []
        for gap in row.gaps:
            what = f"{len(gap.missing)} missing" + (f", {len(gap.blank)} blank" if gap.blank else "")
            entry = f"{gap.period} ({what}{', counted from the first day' if gap.before_first_day else ''})"
            if entry not in periods:
                periods.append(entry)
        if periods:
            lines.append(f"gaps in {row.name}: " + "; ".join(periods))
    return "\n".join(lines) + "\n"


# -- the fast path: no Typer --------------------------------------------------------------------------------------


class _NotForUs(Exception):
    pass


def run_build_argv(argv: list[str], *, hard_exit: bool = False) -> int | None:
    """``mech wbr build`` from its arguments without building the Typer app (Typer's start-up costs more than the
    whole build of a small deck), or None when Typer should handle them (help, a usage error: Typer explains).
    With ``hard_exit`` the process ends with the code once its output is flushed (no interpreter teardown)."""
    import argparse

    if any(arg in ("-h", "--help") for arg in argv):
        return None

    class Parser(argparse.ArgumentParser):
        def error(self, message: str) -> NoReturn:
            raise _NotForUs(message)

    parser = Parser(prog="mech wbr build", add_help=False, allow_abbrev=False)
    parser.add_argument("config")
    parser.add_argument("data")
    parser.add_argument("--out", "-o")
    parser.add_argument("--week-ending", dest="week_ending")
    parser.add_argument("--format", "-f", dest="output_format", default="text")
    try:
        options = parser.parse_args(argv)
    except _NotForUs:
        return None
    if hard_exit:
        # The build allocates hundreds of thousands of long-lived objects and frees none before the process ends:
        # the cyclic collector would only rescan them.
        import gc

        gc.disable()
    code = run_build(
        options.config,
        options.data,
        out=options.out,
        week_ending=options.week_ending,
        output_format=options.output_format,
    )
    if hard_exit:
        from mechanisms.interop.workers import exit_now

        exit_now(code)
    return code


def main(argv: list[str] | None = None) -> None:
    """``python -m mechanisms.interop.wbr_cli build ...``."""
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["build"]:
        code = run_build_argv(args[1:], hard_exit=argv is None)
        if code is not None:
            sys.exit(code)
    _build_group()(args=args, prog_name="mech wbr")


if __name__ == "__main__":
    main()
