"""CLI of the metrics app: `mech metrics ...` (the registry and data), `mech decks ...` (WBR decks, commentary,
snapshots), `mech goals ...`. The offline `mech wbr build` is interop's (interop/wbr_cli.py).

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account (org.services.cli_actor).
"""

from __future__ import annotations

import typer

metrics = typer.Typer(help="The metric registry and its data: define, revise, plan, load, pull.", no_args_is_help=True)
decks = typer.Typer(help="Weekly Business Review decks: build, comment, snapshot, export.", no_args_is_help=True)
goals = typer.Typer(help="Teams' goals for the year: propose, approve, progress from the data.", no_args_is_help=True)

# --- first part: the registry (metrics) ----------------------------------------------------------------------

# --- second part: data (metrics load|push|pull|completeness) -------------------------------------------------

_DATA_AS = typer.Option(None, "--as", help="act as this person's account (handle)")
_DATA_FORMAT = typer.Option("text", "--format", help="text | json")
_sql_cli = typer.Typer(help="A metric's SQL source: set, run now, show.", no_args_is_help=True)
metrics.add_typer(_sql_cli, name="sql")


def _data():
    from mechanisms.kernel.cli import setup_django

    setup_django()
    from mechanisms.metrics import services

    return services


def _data_actor(handle: str | None):
    from mechanisms.kernel.cli import run
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _data_metric_id(services, actor, name: str) -> int:
    from mechanisms.kernel.cli import run

    return run(lambda: services.get_metric_by_name(actor=actor, name=name)).id


def _data_out(value, format: str, text_lines) -> None:
    from mechanisms.kernel.cli import emit_json

    if format == "json":
        emit_json(value)
    else:
        for line in text_lines(value):
            typer.echo(line)


def _load_lines(r):
    names = ", ".join(r.metric_names)
    yield f"load {r.id} ({r.source.value}) of {names}: {r.added} added, {r.changed} changed, {r.unchanged} unchanged"


def _date(text: str, what: str):
    import datetime as dt

    from mechanisms.kernel.cli import EXIT_USAGE, fail

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        fail(f"{what}: {text!r} is not an ISO date (YYYY-MM-DD)", EXIT_USAGE)


@metrics.command("load")
def load_values(
    file: str = typer.Argument(..., help="a CSV: date,metric,value (long) or date,<metric>,... (wide)"),
    as_: str = _DATA_AS,
    format: str = _DATA_FORMAT,
):
    """Load a CSV of values, all or nothing; re-loading the same file changes nothing. A bad file exits 2 with
    every problem's file, line and field."""
    from pathlib import Path

    from mechanisms.kernel.cli import EXIT_USAGE, fail
    from mechanisms.kernel.errors import DomainError
    from mechanisms.kernel.importing import ImportFailed

    path = Path(file)
    try:
        content = path.read_bytes()
    except OSError as exc:
        fail(f"{file}: cannot read: {exc.strerror}", EXIT_USAGE)
    services = _data()
    actor = _data_actor(as_)
    try:
        report = services.load_values_csv(actor=actor, content=content, file_name=path.name)
    except ImportFailed as exc:
        fail("\n".join(f"{file}: {p.field}: {p.message}" for p in exc.problems), EXIT_USAGE)
    except DomainError as exc:
        fail(f"{file}: {exc.message}" + (f" ({exc.field})" if exc.field else ""))
    _data_out(report, format, _load_lines)


@metrics.command("push")
def push_values(
    name: str = typer.Argument(..., help="the metric's name"),
    value: list[str] = typer.Option(..., "--value", help="DATE=V (repeat); DATE= is a blank"),
    as_: str = _DATA_AS,
    format: str = _DATA_FORMAT,
):
    """Push values of one metric: --value 2026-03-31=12.5 --value 2026-04-01= (a blank)."""
    from mechanisms.kernel.cli import EXIT_USAGE, fail, run
    from mechanisms.metrics.contracts import ValuePoint
    from mechanisms.metrics.loading import parse_value

    points = []
    for i, item in enumerate(value, 1):
        day_text, sep, number = item.partition("=")
        if not sep:
            fail(f"--value {i}: {item!r} is not DATE=V", EXIT_USAGE)
        try:
            points.append(ValuePoint(_date(day_text.strip(), f"--value {i}"), parse_value(number)))
        except ValueError as exc:
            fail(f"--value {i}: {exc}", EXIT_USAGE)
    services = _data()
    actor = _data_actor(as_)
    metric_id = _data_metric_id(services, actor, name)
    _data_out(run(lambda: services.push_values(actor=actor, metric_id=metric_id, values=points)), format, _load_lines)


@metrics.command("values")
def show_values(
    name: str = typer.Argument(..., help="the metric's name"),
    start: str = typer.Option(None, "--start", help="first day (default: 70 days before --end)"),
    end: str = typer.Option(None, "--end", help="last day (default: today)"),
    as_: str = _DATA_AS,
    format: str = _DATA_FORMAT,
):
    """A metric's values; a blank shows N/A, a day never loaded is listed as missing."""
    from mechanisms.kernel.cli import run

    services = _data()
    actor = _data_actor(as_)
    metric_id = _data_metric_id(services, actor, name)
    series = run(
        lambda: services.get_series(
            actor=actor,
            metric_id=metric_id,
            start=_date(start, "--start") if start else None,
            end=_date(end, "--end") if end else None,
        )
    )

    def lines(s):
        yield f"{s.name} ({s.grain.value}) {s.start} .. {s.end}"
        for p in s.points:
            yield f"  {p.day}  {'N/A (blank)' if p.value is None else p.value}"
        if s.missing:
            yield f"  missing: {', '.join(str(d) for d in s.missing)}"

    _data_out(series, format, lines)


@metrics.command("completeness")
def show_completeness(
    name: str = typer.Argument(..., help="the metric's name"),
    start: str = typer.Option(None, "--start"),
    end: str = typer.Option(None, "--end"),
    as_: str = _DATA_AS,
    format: str = _DATA_FORMAT,
):
    """Per week: expected, missing and blank days. Exits 1 when a week is incomplete."""
    from mechanisms.kernel.cli import run

    services = _data()
    actor = _data_actor(as_)
    metric_id = _data_metric_id(services, actor, name)
    check = run(
        lambda: services.completeness(
            actor=actor,
            metric_id=metric_id,
            start=_date(start, "--start") if start else None,
            end=_date(end, "--end") if end else None,
        )
    )

    def lines(c):
        yield f"{c.name}: {'complete' if c.complete else 'INCOMPLETE'} ({c.missing_days} missing, {c.blank_days} blank)"
        for w in c.weeks:
            flag = "ok" if w.complete else "INCOMPLETE"
            missing = f" missing {', '.join(str(d) for d in w.missing)}" if w.missing else ""
            blank = f" blank {', '.join(str(d) for d in w.blank)}" if w.blank else ""
            yield f"  week ending {w.week_ending}: {flag}{missing}{blank}"

    _data_out(check, format, lines)
    if not check.complete:
        raise typer.Exit(1)


def _sql_lines(s):
    yield f"{s.engine.value} on {s.connection}, every {s.every_hours} h, {'enabled' if s.enabled else 'disabled'}"
    yield f"  version {s.version}; last run {s.last_run_at or 'never'}: {s.last_status or '-'}"
    if s.last_error:
        yield f"  error: {s.last_error}"
    yield f"  {s.query}"


@_sql_cli.command("set")
def sql_set(
    name: str = typer.Argument(..., help="the metric's name"),
    query: str = typer.Option(..., "--query", help="one SELECT returning (day, value) rows"),
    engine: str = typer.Option("duckdb", "--engine"),
    connection: str = typer.Option("default", "--connection", help="a name in MECH_METRICS_CONNECTIONS"),
    every_hours: int = typer.Option(24, "--every-hours"),
    enabled: bool = typer.Option(True, "--enabled/--disabled"),
    version: int = typer.Option(None, "--version", help="the version you read (when changing)"),
    as_: str = _DATA_AS,
    format: str = _DATA_FORMAT,
):
    """Set where the worker pulls the metric's values from."""
    from mechanisms.kernel.cli import run

    services = _data()
    actor = _data_actor(as_)
    metric_id = _data_metric_id(services, actor, name)
    source = run(
        lambda: services.set_sql_source(
            actor=actor,
            metric_id=metric_id,
            engine=engine,
            connection=connection,
            query=query,
            every_hours=every_hours,
            enabled=enabled,
            version=version,
        )
    )
    _data_out(source, format, _sql_lines)


@_sql_cli.command("run")
def sql_run(name: str = typer.Argument(...), as_: str = _DATA_AS, format: str = _DATA_FORMAT):
    """Run the metric's SQL query now and load its rows (a failure is kept on the source and exits 1)."""
    from mechanisms.kernel.cli import run

    services = _data()
    actor = _data_actor(as_)
    metric_id = _data_metric_id(services, actor, name)
    _data_out(run(lambda: services.run_sql_source(actor=actor, metric_id=metric_id)), format, _load_lines)


@_sql_cli.command("show")
def sql_show(name: str = typer.Argument(...), as_: str = _DATA_AS, format: str = _DATA_FORMAT):
    """The metric's SQL source and its last run."""
    from mechanisms.kernel.cli import run

    services = _data()
    actor = _data_actor(as_)
    metric_id = _data_metric_id(services, actor, name)
    _data_out(run(lambda: services.get_sql_source(actor=actor, metric_id=metric_id)), format, _sql_lines)


# --- third part: decks ---------------------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------
