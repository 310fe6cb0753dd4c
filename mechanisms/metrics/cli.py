"""CLI of the metrics app: `mech metrics ...` (the registry and data), `mech decks ...` (WBR decks, commentary,
snapshots), `mech goals ...`. The offline `mech wbr build` is interop's (interop/wbr_cli.py).

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account (org.services.cli_actor).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json

import typer

from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, page_footer, run, setup_django
from mechanisms.kernel.machine_cli import mount as mount_goal_machine

metrics = typer.Typer(help="The metric registry and its data: define, revise, plan, load, pull.", no_args_is_help=True)
decks = typer.Typer(help="Weekly Business Review decks: build, comment, snapshot, export.", no_args_is_help=True)
goals = typer.Typer(help="Teams' goals for the year: propose, approve, progress from the data.", no_args_is_help=True)

# --- first part: the registry (metrics) ----------------------------------------------------------------------

AS = typer.Option(None, "--as", help="act as this person's account (handle); without it, the product itself")
FORMAT = typer.Option(Format.text, "--format")


def _services():
    setup_django()
    from mechanisms.metrics import services

    return services


def _run(fn):
    """Call a service: a refused input (RuleViolation) exits 2 naming the field, other errors exit 1."""
    from mechanisms.kernel.errors import DomainError, RuleViolation

    try:
        return fn()
    except DomainError as exc:
        code = EXIT_USAGE if isinstance(exc, RuleViolation) else 1
        fail(f"{exc.message}" + (f" ({exc.field})" if exc.field else ""), code)
    return None


def _as(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _system():
    from mechanisms.kernel.actor import Actor

    return Actor.system("metrics")


def _metric(services, actor, name: str):
    found = run(lambda: services.find_metric(actor=actor, name=name))
    if found is None:
        fail(f"no metric is named {name!r}")
    return found


def _person(handle: str) -> int:
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_person_by_handle(actor=_system(), handle=handle.lstrip("@"))).id


def _team(slug: str) -> int:
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_team_by_slug(actor=_system(), slug=slug)).id


def _team_slugs(ids) -> dict[int, str]:
    """The slugs of these teams, by id (what a table shows instead of an id)."""
    from mechanisms.org import services as org_services

    return {k: t.slug for k, t in run(lambda: org_services.get_teams(actor=_system(), ids=set(ids))).items()}


def _formula(text: str | None):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        fail(f"--formula is not JSON: {text!r} (formula)", EXIT_USAGE)
    return None


def _print_metric(m) -> None:
    typer.echo(f"{m.name}  [{m.kind.value}]  id {m.id}, revision {m.revision}, version {m.version}")
    typer.echo(f"  {m.title}")
    typer.echo(f"  owner {m.owner_name}; team {m.team_name}" + (f"; retired {m.retired_on}" if m.retired_on else ""))
    how = f"ratio {m.numerator} / {m.denominator}" if m.is_ratio else m.aggregation.value
    typer.echo(f"  {how}; compared in {m.comparison.value}; {m.direction.value} is good; unit {m.unit or '-'}")
    if m.lever:
        typer.echo(f"  lever: {m.lever}")
    if m.evolved_from:
        typer.echo(f"  evolved from {m.evolved_from}: {m.evolution_reason}")
    typer.echo(f"  definition: {m.definition}")


@metrics.command("list")
def list_metrics(
    kind: str = typer.Option(None, "--kind", help="input or output"),
    team: str = typer.Option(None, "--team", help="team slug"),
    text: str = typer.Option(None, "--text", help="words of the name, title or definition"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The metric registry by name."""
    services = _services()
    team_id = _team(team) if team else None
    page = _run(
        lambda: services.list_metrics(actor=_as(as_), kind=kind, team_id=team_id, text=text, limit=limit, offset=offset)
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Metrics",
        ["name", "kind", "owner", "team", "aggregation", "revision", "title"],
        [
            (
                m.name,
                m.kind.value,
                m.owner_name,
                m.team_name,
                f"{m.numerator}/{m.denominator}" if m.is_ratio else m.aggregation.value,
                m.revision,
                m.title,
            )
            for m in page.items
        ],
        page_footer(page),
        ellipsize=("title",),
    )


@metrics.command("show")
def show(name: str = typer.Argument(..., help="the metric's name"), as_: str = AS, format: Format = FORMAT):
    """One metric, its definition and its revisions."""
    services = _services()
    actor = _as(as_)
    m = _metric(services, actor, name)
    revisions = run(lambda: services.list_revisions(actor=actor, metric_id=m.id))
    if format is Format.json:
        return emit_json({"metric": m, "revisions": revisions.items})
    _print_metric(m)
    for r in revisions.items:
        changed = ", ".join(r.changed) or "first definition"
        typer.echo(f"  revision {r.number}: {r.reason} ({changed})")


@metrics.command("define")
def define(
    name: str = typer.Argument(..., help="the metric's name (letters, digits, spaces and ._-/)"),
    title: str = typer.Option(..., "--title"),
    kind: str = typer.Option(..., "--kind", help="input or output"),
    definition: str = typer.Option(..., "--definition", help="what exactly is counted (Markdown)"),
    owner: str = typer.Option(..., "--owner", help="the owner's handle"),
    team: str = typer.Option(..., "--team", help="the team's slug"),
    lever: str = typer.Option("", "--lever", help="an input metric: how its team moves it"),
    unit: str = typer.Option("", "--unit"),
    direction: str = typer.Option("up", "--direction", help="up or down: which way is good"),
    aggregation: str = typer.Option("sum", "--aggregation", help="sum, mean, min, max or last"),
    comparison: str = typer.Option("percent", "--comparison", help="percent or bps"),
    grain: str = typer.Option("day", "--grain", help="day or week"),
    number_format: str = typer.Option("", "--number-format"),
    formula: str = typer.Option(None, "--formula", help='only a ratio: {"ratio": {"numerator": A, "denominator": B}}'),
    evolved_from: str = typer.Option(None, "--evolved-from", help="the metric this one evolved from"),
    reason: str = typer.Option("", "--evolution-reason", help="why it evolved"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Define a metric (revision 1)."""
    services = _services()
    actor = _as(as_)
    parent = _metric(services, actor, evolved_from).id if evolved_from else None
    m = _run(
        lambda: services.define_metric(
            actor=actor,
            name=name,
            title=title,
            kind=kind,
            definition=definition,
            unit=unit,
            direction=direction,
            owner_id=_person(owner),
            team_id=_team(team),
            lever=lever,
            aggregation=aggregation,
            comparison=comparison,
            grain=grain,
            number_format=number_format,
            formula=_formula(formula),
            evolved_from_id=parent,
            evolution_reason=reason,
        )
    )
    if format is Format.json:
        return emit_json(m)
    _print_metric(m)


@metrics.command("revise")
def revise(
    name: str = typer.Argument(..., help="the metric's name"),
    version: int = typer.Option(..., "--version", help="the version you read (a stale one is refused)"),
    reason: str = typer.Option(..., "--reason", help="why the definition changes"),
    title: str = typer.Option(None, "--title"),
    kind: str = typer.Option(None, "--kind"),
    definition: str = typer.Option(None, "--definition"),
    owner: str = typer.Option(None, "--owner", help="handle"),
    team: str = typer.Option(None, "--team", help="slug"),
    lever: str = typer.Option(None, "--lever"),
    unit: str = typer.Option(None, "--unit"),
    direction: str = typer.Option(None, "--direction"),
    aggregation: str = typer.Option(None, "--aggregation"),
    comparison: str = typer.Option(None, "--comparison"),
    grain: str = typer.Option(None, "--grain"),
    number_format: str = typer.Option(None, "--number-format"),
    formula: str = typer.Option(None, "--formula", help='a ratio as JSON, or "none" to measure it again'),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Revise a metric's definition (a new revision; earlier ones stay readable)."""
    from mechanisms.metrics.contracts import MetricChanges

    services = _services()
    actor = _as(as_)
    m = _metric(services, actor, name)
    given = {
        "title": title,
        "kind": kind,
        "definition": definition,
        "lever": lever,
        "unit": unit,
        "direction": direction,
        "aggregation": aggregation,
        "comparison": comparison,
        "grain": grain,
        "number_format": number_format,
    }
    changes = {k: v for k, v in given.items() if v is not None}
    if owner:
        changes["owner_id"] = _person(owner)
    if team:
        changes["team_id"] = _team(team)
    if formula is not None:
        changes["formula"] = None if formula.strip().lower() == "none" else _formula(formula)
    revised = _run(
        lambda: services.revise_metric(
            actor=actor, metric_id=m.id, version=version, reason=reason, changes=MetricChanges(**changes)
        )
    )
    if format is Format.json:
        return emit_json(revised)
    _print_metric(revised)


@metrics.command("retire")
def retire(
    name: str = typer.Argument(..., help="the metric's name"),
    version: int = typer.Option(..., "--version", help="the version you read"),
    reason: str = typer.Option("", "--reason"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Retire a metric from today (it stays readable)."""
    services = _services()
    actor = _as(as_)
    m = _metric(services, actor, name)
    retired = _run(lambda: services.retire_metric(actor=actor, metric_id=m.id, version=version, reason=reason))
    if format is Format.json:
        return emit_json(retired)
    typer.echo(f"{retired.name} retired on {retired.retired_on}")


@metrics.command("lineage")
def lineage(name: str = typer.Argument(..., help="the metric's name"), as_: str = AS, format: Format = FORMAT):
    """Where a metric comes from and what evolved from it, with the reasons."""
    services = _services()
    actor = _as(as_)
    m = _metric(services, actor, name)
    view = run(lambda: services.lineage(actor=actor, metric_id=m.id))
    if format is Format.json:
        return emit_json(view)
    for link in (*view.ancestors, view.metric, *view.descendants):
        mark = "*" if link.metric_id == view.metric.metric_id else " "
        why = f" <- {link.evolved_from}: {link.reason}" if link.evolved_from else ""
        typer.echo(f"{mark} {link.name}{why}")


def _plan_value(text: str, index: int):
    parts = text.split(":")
    try:
        period, start, end, value = parts
        return period, dt.date.fromisoformat(start), dt.date.fromisoformat(end), float(value)
    except ValueError:
        fail(f"--set {text!r} is not PERIOD:START:END:VALUE (values[{index}])", EXIT_USAGE)
    return None


@metrics.command("plan")
def plan(
    name: str = typer.Argument(..., help="the metric's name"),
    set_: list[str] = typer.Option(
        [], "--set", help="PERIOD:START:END:VALUE (week, month, quarter, year; ISO dates); repeat"
    ),
    replace: bool = typer.Option(False, "--replace", help="remove the plan values not given"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Show a metric's plan, or set plan values (all or nothing)."""
    services = _services()
    actor = _as(as_)
    m = _metric(services, actor, name)
    if set_:
        values = [_plan_value(v, i) for i, v in enumerate(set_)]
        rows = _run(lambda: services.set_plan(actor=actor, metric_id=m.id, values=values, replace=replace))
    else:
        rows = run(lambda: services.list_plan(actor=actor, metric_id=m.id, limit=200)).items
    if format is Format.json:
        return emit_json(list(rows))
    emit_table(
        f"Plan of {m.name}",
        ["period", "start", "end", "value"],
        [(p.period.value, p.start, p.end, p.value) for p in rows],
    )


# --- second part: data (metrics load|push|pull|completeness) -------------------------------------------------

_sql_cli = typer.Typer(help="A metric's SQL source: set, run now, show.", no_args_is_help=True)
metrics.add_typer(_sql_cli, name="sql")


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
    as_: str = AS,
    format: str = FORMAT,
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
    services = _services()
    actor = _as(as_)
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
    as_: str = AS,
    format: str = FORMAT,
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
    services = _services()
    actor = _as(as_)
    metric_id = _data_metric_id(services, actor, name)
    _data_out(run(lambda: services.push_values(actor=actor, metric_id=metric_id, values=points)), format, _load_lines)


@metrics.command("values")
def show_values(
    name: str = typer.Argument(..., help="the metric's name"),
    start: str = typer.Option(None, "--start", help="first day (default: 70 days before --end)"),
    end: str = typer.Option(None, "--end", help="last day (default: today)"),
    as_: str = AS,
    format: str = FORMAT,
):
    """A metric's values; a blank shows N/A, a day never loaded is listed as missing."""
    from mechanisms.kernel.cli import run

    services = _services()
    actor = _as(as_)
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
    as_: str = AS,
    format: str = FORMAT,
):
    """Per week: expected, missing and blank days. Exits 1 when a week is incomplete."""
    from mechanisms.kernel.cli import run

    services = _services()
    actor = _as(as_)
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
    as_: str = AS,
    format: str = FORMAT,
):
    """Set where the worker pulls the metric's values from."""
    from mechanisms.kernel.cli import run

    services = _services()
    actor = _as(as_)
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
def sql_run(name: str = typer.Argument(...), as_: str = AS, format: str = FORMAT):
    """Run the metric's SQL query now and load its rows (a failure is kept on the source and exits 1)."""
    from mechanisms.kernel.cli import run

    services = _services()
    actor = _as(as_)
    metric_id = _data_metric_id(services, actor, name)
    _data_out(run(lambda: services.run_sql_source(actor=actor, metric_id=metric_id)), format, _load_lines)


@_sql_cli.command("show")
def sql_show(name: str = typer.Argument(...), as_: str = AS, format: str = FORMAT):
    """The metric's SQL source and its last run."""
    from mechanisms.kernel.cli import run

    services = _services()
    actor = _as(as_)
    metric_id = _data_metric_id(services, actor, name)
    _data_out(run(lambda: services.get_sql_source(actor=actor, metric_id=metric_id)), format, _sql_lines)


# --- third part: decks ---------------------------------------------------------------------------------------


def _deck(services, actor, slug: str):
    from mechanisms.kernel.cli import fail, run

    found = run(lambda: services.find_deck(actor=actor, slug=slug))
    if found is None:
        fail(f"there is no deck {slug}")
    return found


@decks.command("list")
def list_decks_command(limit: int = 50, offset: int = 0, format: str = FORMAT, as_: str = AS):
    """The WBR decks, by title."""
    from mechanisms.kernel.cli import emit_json, emit_table, page_footer, run

    services = _services()
    page = run(lambda: services.list_decks(actor=_as(as_), limit=limit, offset=offset))
    if format == "json":
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    rows = [(d.slug, d.title, len(d.rows), calendar.day_name[d.week_ends_on]) for d in page.items]
    emit_table("WBR decks", ["slug", "title", "metrics", "weeks end on"], rows, page_footer(page))


@decks.command("show")
def show_deck(slug: str, format: str = FORMAT, as_: str = AS):
    """One deck and its rows in order."""
    from mechanisms.kernel.cli import emit_json

    services = _services()
    deck = _deck(services, _as(as_), slug)
    if format == "json":
        return emit_json(deck)
    typer.echo(
        f"{deck.title} ({deck.slug})  id {deck.id}, version {deck.version}; "
        f"weeks end on {calendar.day_name[deck.week_ends_on]}"
    )
    for r in deck.rows:
        typer.echo(f"  {r.position}. {r.metric_name}" + (f" - {r.label}" if r.label else ""))


@decks.command("build")
def build_deck_command(
    slug: str,
    week_ending: str = typer.Option(None, "--week-ending", help="YYYY-MM-DD (default: the last complete week)"),
    out: str = typer.Option(None, "--out", help="write the deck to FILE.html, FILE.pdf or FILE.json"),
    as_: str = AS,
):
    """Build the deck for a week; print its box figures, or write it as HTML, PDF or JSON."""
    from pathlib import Path

    from mechanisms.kernel.cli import EXIT_USAGE, fail, run

    services = _services()
    actor = _as(as_)
    deck = _deck(services, actor, slug)
    week = _date(week_ending, "--week-ending") if week_ending else None
    if out:
        fmt = Path(out).suffix.lstrip(".").lower()
        if fmt not in ("html", "pdf", "json"):
            fail(f"--out: {out} must end in .html, .pdf or .json", EXIT_USAGE)
        content, _, _ = run(lambda: services.export_deck(actor=actor, deck_id=deck.id, week_ending=week, format=fmt))
        Path(out).write_bytes(content)
        typer.echo(f"wrote {out}")
        return
    from mechanisms.metrics.charts import format_comparison, format_value

    view = run(lambda: services.build_deck(actor=actor, deck_id=deck.id, week_ending=week))
    typer.echo(f"{deck.title}: week {view.result.week_number}, ending {view.result.week_ending}")
    for r in view.rows:
        box, fmt = r.result.box, r.result.number_format
        typer.echo(
            f"  {r.result.label or r.result.name}: last week {format_value(box.last_week, fmt)}, "
            f"WoW {format_comparison(box.wow, r.result.comparison)}, "
            f"YoY {format_comparison(box.yoy, r.result.comparison)}"
            + (f"  [exception: {r.result.exception}]" if r.result.exception else "")
        )


@decks.command("comment")
def comment_command(
    slug: str,
    metric: str = typer.Argument(..., help="the metric's name"),
    body: str = typer.Argument(..., help="the commentary (Markdown)"),
    week_ending: str = typer.Option(None, "--week-ending"),
    version: int = typer.Option(None, "--version", help="the version of the note you read (to change it)"),
    as_: str = AS,
):
    """Write (or, with --version, change) the commentary on one metric of a week's deck."""
    from mechanisms.kernel.cli import fail, run

    services = _services()
    actor = _as(as_)
    deck = _deck(services, actor, slug)
    ids = services.metric_ids_by_name(names=[metric])
    if metric not in ids:
        fail(f"there is no metric {metric}")
    week = _date(week_ending, "--week-ending") if week_ending else services.last_ended_week(deck.week_ends_on)
    note = run(
        lambda: services.comment_on_metric(
            actor=actor, deck_id=deck.id, metric_id=ids[metric], week_ending=week, body=body, version=version
        )
    )
    typer.echo(f"commentary on {metric} for the week ending {note.week_ending}: version {note.version}")


@decks.command("snapshot")
def snapshot_command(slug: str, week_ending: str = typer.Option(None, "--week-ending"), as_: str = AS):
    """Freeze the deck of an ended week (a second time returns the first snapshot)."""
    from mechanisms.kernel.cli import run

    services = _services()
    actor = _as(as_)
    deck = _deck(services, actor, slug)
    snap = run(
        lambda: services.take_snapshot(
            actor=actor, deck_id=deck.id, week_ending=_date(week_ending, "--week-ending") if week_ending else None
        )
    )
    typer.echo(f"snapshot of {slug} for the week ending {snap.week_ending} (taken {snap.created_at:%Y-%m-%d %H:%M})")


@decks.command("snapshots")
def snapshots_command(slug: str, limit: int = 50, offset: int = 0, as_: str = AS):
    """The deck's frozen weeks, newest first."""
    from mechanisms.kernel.cli import emit_table, page_footer, run

    services = _services()
    actor = _as(as_)
    deck = _deck(services, actor, slug)
    page = run(lambda: services.list_snapshots(actor=actor, deck_id=deck.id, limit=limit, offset=offset))
    rows = [(s.week_ending, f"{s.created_at:%Y-%m-%d %H:%M}", s.taken_by_id or "worker") for s in page.items]
    emit_table(f"Snapshots of {slug}", ["week ending", "taken", "by"], rows, page_footer(page))


@decks.command("compare")
def compare_command(slug: str, week_a: str, week_b: str, format: str = FORMAT, as_: str = AS):
    """Two frozen weeks side by side: what changed, added and removed rows."""
    from mechanisms.kernel.cli import emit_json, run

    services = _services()
    actor = _as(as_)
    deck = _deck(services, actor, slug)
    cmp = run(
        lambda: services.compare_snapshots(
            actor=actor, deck_id=deck.id, week_a=_date(week_a, "WEEK_A"), week_b=_date(week_b, "WEEK_B")
        )
    )
    if format == "json":
        return emit_json(cmp)
    for row in cmp.rows:
        typer.echo(f"{row.label}: changed {', '.join(row.changed) or 'nothing'}")
    if cmp.added:
        typer.echo(f"added: {', '.join(cmp.added)}")
    if cmp.removed:
        typer.echo(f"removed: {', '.join(cmp.removed)}")


# --- fourth part: goals --------------------------------------------------------------------------------------


def _unit_id(slug: str) -> int:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    unit = run(lambda: org_services.find_org_unit(actor=Actor.system("metrics"), slug=slug))
    if unit is None:
        fail(f"--unit: there is no org unit {slug!r}", code=EXIT_USAGE)
    return unit.id


def _show_goal(goal, format: Format) -> None:
    if format is Format.json:
        emit_json(goal)
        return
    typer.echo(f"goal {goal.id}: {goal.title}  [{goal.state.value}]  version {goal.version}")
    typer.echo(
        f"  {goal.metric_name} ({goal.metric_kind.value}, revision {goal.metric_revision}): {goal.measure.value} "
        f"from {goal.baseline if goal.baseline is not None else '-'} to {goal.target}, "
        f"{goal.start_date} to {goal.due_date}"
    )


@goals.command("list")
def list_goals(
    team: str = typer.Option(None, "--team", help="the team's slug"),
    unit: str = typer.Option(None, "--unit", help="an org unit's slug (its whole subtree)"),
    year: int = typer.Option(None, "--year"),
    state: str = typer.Option(None, "--state"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    format: Format = FORMAT,
):
    """Teams' goals, by team, unit, year and state."""
    services = _services()
    page = run(
        lambda: services.list_goals(
            actor=_as(None),
            team_id=_team(team) if team else None,
            unit_id=_unit_id(unit) if unit else None,
            year=year,
            state=state,
            limit=limit,
            offset=offset,
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    teams = _team_slugs(g.team_id for g in page.items)
    emit_table(
        "Goals",
        ["id", "team", "year", "state", "metric", "kind", "title"],
        [
            (g.id, teams.get(g.team_id, g.team_id), g.year, g.state.value, g.metric_name, g.metric_kind.value, g.title)
            for g in page.items
        ],
        page_footer(page),
        ellipsize=("title",),
    )


@goals.command("show")
def show_goal(goal_id: int = typer.Argument(..., help="the goal's id"), as_: str = AS, format: Format = FORMAT):
    """One goal and the moves you may take now."""
    services = _services()
    view = run(lambda: services.goal_view(actor=_as(as_), goal_id=goal_id))
    if format is Format.json:
        return emit_json(view)
    _show_goal(view.goal, format)
    typer.echo("  you may: " + (", ".join(a.replace("_", "-") for a in view.actions) or "nothing now"))
    if view.held:
        typer.echo(f"  {view.held}")


@goals.command("new")
def new_goal(
    team: str = typer.Option(..., "--team", help="the team's slug"),
    year: int = typer.Option(..., "--year"),
    title: str = typer.Option(..., "--title"),
    metric: str = typer.Option(..., "--metric", help="the registry metric's name"),
    target: float = typer.Option(..., "--target"),
    due: str = typer.Option(..., "--due", help="the due date, within the year (YYYY-MM-DD)"),
    start: str = typer.Option(None, "--start", help="YYYY-MM-DD; the year's first day when empty"),
    measure: str = typer.Option("last_week", "--measure", help="last_week, mtd, qtd or ytd"),
    baseline: float = typer.Option(None, "--baseline"),
    description: str = typer.Option("", "--description"),
    propose: bool = typer.Option(False, "--propose", help="propose it to leadership at once"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Draft a team's goal (and, with --propose, propose it)."""
    services = _services()
    actor = _as(as_)
    metric_id = run(lambda: services.metric_id_by_name(actor=actor, name=metric))
    if metric_id is None:
        fail(f"--metric: there is no metric {metric!r} in the registry", code=EXIT_USAGE)
    make = services.propose_goal if propose else services.create_goal
    goal = run(
        lambda: make(
            actor=actor,
            team_id=_team(team),
            year=year,
            title=title,
            description=description,
            metric_id=metric_id,
            target=target,
            measure=measure,
            start_date=_date(start, "--start") if start else dt.date(year, 1, 1),
            due_date=_date(due, "--due"),
            baseline=baseline,
        )
    )
    _show_goal(goal, format)


@goals.command("progress")
def goal_progress(goal_id: int = typer.Argument(..., help="the goal's id"), format: Format = FORMAT):
    """A goal's progress, from its metric's data and the date."""
    services = _services()
    p = run(lambda: services.goal_progress(actor=_as(None), goal_id=goal_id))
    if format is Format.json:
        return emit_json(p)
    measured = "N/A" if p.measured is None else f"{p.measured:g}"
    share = "-" if p.progress is None else f"{p.progress:.0%}"
    typer.echo(f"goal {p.goal_id}: {p.status.value}  ({p.reason})")
    typer.echo(f"  {p.measure.value} for the week ending {p.as_of}: {measured}; target {p.target:g}")
    typer.echo(f"  way to target: {share}; time elapsed: {p.elapsed:.0%}")
    if p.revision_note:
        typer.echo(f"  note: {p.revision_note}")


@goals.command("mix")
def goal_mix(
    year: int = typer.Option(..., "--year"),
    team: str = typer.Option(None, "--team", help="the team's slug"),
    unit: str = typer.Option(None, "--unit", help="an org unit's slug (its whole subtree)"),
    format: Format = FORMAT,
):
    """The share of goals tied to input versus output metrics; warns on output-only goal sets (exit 1)."""
    services = _services()
    mix = run(
        lambda: services.goal_mix(
            actor=_as(None),
            team_id=_team(team) if team else None,
            unit_id=_unit_id(unit) if unit else None,
            year=year,
        )
    )
    if format is Format.json:
        emit_json(mix)
    else:
        teams = _team_slugs(line.team_id for line in mix.teams)
        emit_table(
            f"Goals {year}: input vs output",
            ["team", "input", "output", "input share"],
            [
                (
                    teams.get(line.team_id, line.team_id),
                    line.input,
                    line.output,
                    "-" if line.input_share is None else f"{line.input_share:.0%}",
                )
                for line in mix.teams
            ],
        )
        share = "-" if mix.input_share is None else f"{mix.input_share:.0%}"
        typer.echo(f"all: {mix.input} input, {mix.output} output ({share} input)")
        for warning in mix.warnings:
            typer.echo(f"warning: {warning}")
    if mix.warnings:
        raise typer.Exit(1)


def _perform_goal(transition, goal_id: int, version: int, as_: str | None, format: Format, values: dict) -> None:
    services = _services()
    goal = run(
        lambda: services.apply_goal_transition(
            actor=_as(as_), goal_id=goal_id, version=version, transition=transition.name, values=values
        )
    )
    _show_goal(goal, format)


def _goal_machine():
    # The declaration is pure (no Django), so mounting the commands keeps `mech --help` fast.
    from mechanisms.metrics.machines import MACHINE

    return MACHINE


# One command per declared transition (metrics/machines.py): `mech goals <slug> ID --version N --as HANDLE`.
mount_goal_machine(goals, _goal_machine(), perform=_perform_goal)
