"""`mech experiments ...` (docs/experiments.md). `mech experiments analyze STATS.json` is offline (no Django):
config/launcher.py takes it to mechanisms.interop.experiments_cli before this module is imported; the command is
also listed here so `mech experiments --help` shows it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from pathlib import Path

import typer

from mechanisms.kernel.cli import EXIT_FAILURE, EXIT_USAGE, Format, emit_json, emit_table, fail, run, setup_django

experiments = typer.Typer(help="Experiments: registry, assignment, exposures, analysis and launch decisions.")

# first part: the registry

# --------------------------------------------------------------------------- second part: assignment and exposures

AS = typer.Option(None, "--as", help="act as this person's account (handle); without it, the product itself")
FORMAT = typer.Option(Format.text, "--format")
_FIELD = re.compile(r"^exposures\[(\d+)\]\.(\w+)$")


def _services():
    setup_django()
    from mechanisms.experiments import services

    return services


def _actor(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _refused(exc, where: str = "") -> None:
    """A refused input (RuleViolation) exits 2 naming the field, any other error 1."""
    from mechanisms.kernel.errors import RuleViolation

    field = f" ({exc.field})" if exc.field else ""
    fail(f"{where}{exc.message}{field}", EXIT_USAGE if isinstance(exc, RuleViolation) else EXIT_FAILURE)


@experiments.command("assign")
def assign(
    key: str = typer.Argument(..., help="the experiment's key"),
    units: list[str] = typer.Argument(..., help="unit ids (at most 1,000)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """The variation each unit sees: GrowthBook's hash of (key, unit) while the experiment runs; '-' when it is not
    running (after a decision to ship, the shipped variation)."""
    from mechanisms.kernel.errors import DomainError

    services = _services()
    try:
        found = services.assign_units(actor=_actor(as_), keys=[key], unit_ids=list(units))
    except DomainError as exc:
        _refused(exc)
    if format is Format.json:
        return emit_json(found)
    emit_table(
        f"Assignment in {key}",
        ["unit", "variation", "bucket", "hash version"],
        [(a.unit_id, a.variation, a.bucket, a.hash_version) for a in found],
    )


def _read_exposures(path: Path):
    """The exposures of a CSV (unit_id[,at[,variation]], an optional header naming unit_id first), each with its
    line; every problem exits 2 with the file, line and field."""
    from mechanisms.experiments.contracts import Exposure

    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        fail(f"{path}: cannot read: {exc.strerror}", EXIT_USAGE)
    except UnicodeDecodeError:
        fail(f"{path}: is not UTF-8 text", EXIT_USAGE)
    found, lines, problems = [], [], []
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), 1):
        if not row or not any(cell.strip() for cell in row):
            continue
        if number == 1 and row[0].strip().lower() == "unit_id":
            continue
        if len(row) > 3:
            problems.append(f"{path}: line {number}: at most three columns: unit_id, at, variation")
            continue
        unit_id, at_text, variation = (row + ["", ""])[:3]
        at = None
        if at_text.strip():
            try:
                at = dt.datetime.fromisoformat(at_text.strip())
            except ValueError:
                problems.append(f"{path}: line {number}: at: {at_text.strip()!r} is not an ISO 8601 date and time")
                continue
        found.append(Exposure(unit_id=unit_id, at=at, variation=variation.strip() or None))
        lines.append(number)
    if problems:
        more = f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""
        fail("\n".join(problems[:50]) + more, EXIT_USAGE)
    if not found:
        fail(f"{path}: has no exposures (unit_id[,at[,variation]] per line)", EXIT_USAGE)
    return found, lines


@experiments.command("expose")
def expose(
    key: str = typer.Argument(..., help="the experiment's key"),
    file: Path = typer.Argument(..., help="a CSV: unit_id[,at[,variation]] per line (an optional header)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Record units' first exposures from a CSV. Sent in calls of at most 10,000 lines, each all or nothing; a unit
    already exposed keeps its first exposure, so sending the same file again records nothing new. A refused line
    exits 2 naming the file, line and field (the calls before it are kept: send the file again once it is
    fixed)."""
    from mechanisms.kernel.errors import DomainError

    services = _services()
    exposures, lines = _read_exposures(file)
    actor = _actor(as_)
    recorded = repeated = 0
    size = services.MAX_EXPOSURES
    for start in range(0, len(exposures), size):
        try:
            report = services.record_exposures(actor=actor, key=key, exposures=exposures[start : start + size])
        except DomainError as exc:
            done = f" (lines before line {lines[start]} were recorded)" if start else ""
            match = _FIELD.match(exc.field or "")
            if match:
                line = lines[start + int(match.group(1))]
                code = EXIT_USAGE if exc.code == "rule_violation" else EXIT_FAILURE
                fail(f"{file}: line {line}: {match.group(2)}: {exc.message}{done}", code)
            _refused(exc, f"{file}{done}: ")
        recorded, repeated = recorded + report.recorded, repeated + report.repeated
    if format is Format.json:
        return emit_json({"recorded": recorded, "repeated": repeated})
    typer.echo(f"{key}: {recorded} exposures recorded, {repeated} units already exposed")


# third part: analysis

# fourth part: the decision and review
