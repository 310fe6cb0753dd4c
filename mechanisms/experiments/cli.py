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

from mechanisms.kernel.cli import (
    EXIT_FAILURE,
    EXIT_USAGE,
    Format,
    emit_json,
    emit_table,
    fail,
    page_footer,
    run,
    setup_django,
)

from .contracts import SRM_THRESHOLD

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
        fail("\n".join(problems[:50]) + (f"\n... and {len(problems) - 50} more" if len(problems) > 50 else ""), 2)
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
            _refused(exc, f"{file}: ")
        recorded, repeated = recorded + report.recorded, repeated + report.repeated
    if format is Format.json:
        return emit_json({"recorded": recorded, "repeated": repeated})
    typer.echo(f"{key}: {recorded} exposures recorded, {repeated} units already exposed")


# third part: analysis. `analyse KEY` analyses on the server (the data connection); `analyze FILE` is the offline
# statistics of a file (no Django): the two names are kept apart on purpose (docs/experiments.md).


def _analysis_run(fn):
    """The service's answer; a refusal exits as the second part's `_refused` does (2 naming the field, else 1)."""
    from mechanisms.kernel.errors import DomainError

    try:
        return fn()
    except DomainError as exc:
        _refused(exc)
    return None


def _print_snapshot(view, *, full: bool) -> None:
    kind = "final analysis" if view.final else "analysis"
    typer.echo(f"{kind} {view.number}  through {view.through.isoformat()}  plan {view.plan_number}")
    typer.echo(
        f"  units per variation {', '.join(str(n) for n in view.exposures)}; SRM p = {view.srm_p:.4g}"
        + ("  SAMPLE-RATIO MISMATCH" if view.srm_p < SRM_THRESHOLD else "")
    )
    if view.peeking:
        typer.echo("  peeking: a fixed-horizon result read before the planned sample size")
    rec = view.recommendation
    typer.echo(f"  recommendation: {rec.decision.value}" + (f" {rec.variation}" if rec.variation else ""))
    typer.echo(f"  {rec.sentence}")
    for metric in view.result.metrics:
        for v in metric.variations:
            if v.error:
                typer.echo(f"  {metric.name} {v.name}: no estimate ({v.error.value})")
                continue
            ci = f"[{v.ci[0]:.4g}, {v.ci[1]:.4g}]" if v.ci else "-"
            figure = f"p = {v.p_value:.4g}" if v.p_value is not None else f"chance to win {v.chance_to_win:.4g}"
            typer.echo(f"  {metric.name} {v.name}: lift {v.lift:.4g} {ci}; {figure}")
    if full:
        for name, sql in view.queries.items():
            typer.echo(f"  query {name}: {sql}")
    typer.echo(f"  engine {view.engine_version}; sha256 {view.result_hash}")


def _snapshot_json(view) -> dict:
    from mechanisms.experiments import schemas

    return schemas.snapshot_out(view)


@experiments.command("analyse")
def analyse(
    key: str,
    through: str = typer.Option(None, "--through", help="the data's end, ISO 8601 with a time zone (default: now)"),
    final: bool = typer.Option(None, "--final/--not-final", help="the final analysis (default: when stopped)"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Analyse an experiment on the server, where its data lives, and keep the immutable snapshot. (The offline
    statistics of a file is `analyze FILE`.)"""
    services = _services()
    at = None
    if through:
        try:
            at = dt.datetime.fromisoformat(through)
        except ValueError:
            fail(f"--through is not an ISO 8601 time: {through!r} (through)", EXIT_USAGE)
    actor = _actor(as_)
    view = _analysis_run(lambda: services.analyse_experiment(actor=actor, key=key, through=at, final=final))
    if format == Format.json:
        emit_json(_snapshot_json(view))
    else:
        _print_snapshot(view, full=False)


@experiments.command("snapshots")
def list_snapshots(
    key: str,
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """An experiment's analyses, newest first."""
    services = _services()
    actor = _actor(as_)
    page = _analysis_run(lambda: services.list_snapshots(actor=actor, key=key, limit=limit, offset=offset))
    if format == Format.json:
        from mechanisms.experiments import schemas

        emit_json({"items": [schemas.snapshot_summary(v) for v in page.items], "total": page.total})
        return
    rows = [
        (
            v.number,
            "final" if v.final else "",
            v.through.isoformat(timespec="minutes"),
            "/".join(str(n) for n in v.exposures),
            f"{v.srm_p:.3g}",
            v.recommendation.decision.value + (f" {v.recommendation.variation}" if v.recommendation.variation else ""),
            v.result_hash[:12],
        )
        for v in page.items
    ]
    emit_table(
        f"Analyses of {key}",
        ("#", "final", "through", "units", "SRM p", "recommendation", "sha256"),
        rows,
        page_footer(page),
    )


@experiments.command("snapshot")
def show_snapshot(key: str, number: int, as_: str = AS, format: Format = FORMAT):
    """One analysis: results, recommendation, the exact SQL run and the hash."""
    services = _services()
    actor = _actor(as_)
    view = _analysis_run(lambda: services.get_snapshot(actor=actor, key=key, number=number))
    if format == Format.json:
        emit_json(_snapshot_json(view))
    else:
        _print_snapshot(view, full=True)


@experiments.command("verify")
def verify_snapshot(key: str, number: int, as_: str = AS, format: Format = FORMAT):
    """Recompute an analysis's hash and re-run its statistics from the stored sufficient statistics; exit 1 when
    either differs."""
    services = _services()
    actor = _actor(as_)
    check = _analysis_run(lambda: services.verify_snapshot(actor=actor, key=key, number=number))
    if format == Format.json:
        from mechanisms.experiments import schemas

        emit_json(schemas.check_out(check))
    else:
        typer.echo(f"analysis {check.number} of {key}: " + ("verified" if check.ok else "DOES NOT VERIFY"))
        typer.echo(f"  stored sha256   {check.stored_hash}")
        typer.echo(f"  computed sha256 {check.computed_hash}")
        for difference in check.differences:
            typer.echo(f"  {difference}")
    if not check.ok:
        raise SystemExit(1)


# fourth part: the decision and review
