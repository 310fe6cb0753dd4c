"""`mech experiments ...` (docs/experiments.md). `mech experiments analyze STATS.json` is offline (no Django):
config/launcher.py takes it to mechanisms.interop.experiments_cli before this module is imported; the command is
also listed here so `mech experiments --help` shows it."""

from __future__ import annotations

import datetime as dt

import typer

from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, page_footer, run, setup_django

from .contracts import SRM_THRESHOLD

experiments = typer.Typer(help="Experiments: registry, assignment, exposures, analysis and launch decisions.")

# first part: the registry

# second part: assignment and exposures

# third part: analysis. `analyse KEY` analyses on the server (the data connection); `analyze FILE` is the offline
# statistics of a file (no Django): the two names are kept apart on purpose (docs/experiments.md).

_A_AS = typer.Option(None, "--as", help="act as this person's account (handle); without it, the product itself")
_A_FORMAT = typer.Option(Format.text, "--format")


def _analysis():
    """The services and the acting account (`--as HANDLE`, else the product)."""
    setup_django()
    from mechanisms.experiments import services

    return services


def _analysis_actor(handle: str | None):
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle)) if handle else Actor.system("experiments")


def _analysis_run(fn):
    """A refused input (RuleViolation) exits 2 naming the field; any other refusal exits 1."""
    from mechanisms.kernel.errors import DomainError, RuleViolation

    try:
        return fn()
    except DomainError as exc:
        fail(
            exc.message + (f" ({exc.field})" if exc.field else ""), EXIT_USAGE if isinstance(exc, RuleViolation) else 1
        )
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
    as_: str = _A_AS,
    format: Format = _A_FORMAT,
):
    """Analyse an experiment on the server, where its data lives, and keep the immutable snapshot. (The offline
    statistics of a file is `analyze FILE`.)"""
    services = _analysis()
    at = None
    if through:
        try:
            at = dt.datetime.fromisoformat(through)
        except ValueError:
            fail(f"--through is not an ISO 8601 time: {through!r} (through)", EXIT_USAGE)
    actor = _analysis_actor(as_)
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
    as_: str = _A_AS,
    format: Format = _A_FORMAT,
):
    """An experiment's analyses, newest first."""
    services = _analysis()
    actor = _analysis_actor(as_)
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
def show_snapshot(key: str, number: int, as_: str = _A_AS, format: Format = _A_FORMAT):
    """One analysis: results, recommendation, the exact SQL run and the hash."""
    services = _analysis()
    actor = _analysis_actor(as_)
    view = _analysis_run(lambda: services.get_snapshot(actor=actor, key=key, number=number))
    if format == Format.json:
        emit_json(_snapshot_json(view))
    else:
        _print_snapshot(view, full=True)


@experiments.command("verify")
def verify_snapshot(key: str, number: int, as_: str = _A_AS, format: Format = _A_FORMAT):
    """Recompute an analysis's hash and re-run its statistics from the stored sufficient statistics; exit 1 when
    either differs."""
    services = _analysis()
    actor = _analysis_actor(as_)
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
