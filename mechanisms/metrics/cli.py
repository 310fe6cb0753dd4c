"""CLI of the metrics app: `mech metrics ...` (the registry and data), `mech decks ...` (WBR decks, commentary,
snapshots), `mech goals ...`. The offline `mech wbr build` is interop's (interop/wbr_cli.py).

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account (org.services.cli_actor).
"""

from __future__ import annotations

import datetime as dt

import typer

from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, page_footer, run, setup_django
from mechanisms.kernel.machine_cli import mount as mount_goal_machine

metrics = typer.Typer(help="The metric registry and its data: define, revise, plan, load, pull.", no_args_is_help=True)
decks = typer.Typer(help="Weekly Business Review decks: build, comment, snapshot, export.", no_args_is_help=True)
goals = typer.Typer(help="Teams' goals for the year: propose, approve, progress from the data.", no_args_is_help=True)

# --- first part: the registry (metrics) ----------------------------------------------------------------------

# --- second part: data (metrics load|push|pull|completeness) -------------------------------------------------

# --- third part: decks ---------------------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------

GOAL_AS = typer.Option(None, "--as", help="act as this person's account (handle)")
GOAL_FORMAT = typer.Option(Format.text, "--format")


def _goal_services():
    setup_django()
    from mechanisms.metrics import services

    return services


def _goal_actor(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _team_id(slug: str) -> int:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_team_by_slug(actor=Actor.system("metrics"), slug=slug)).id


def _unit_id(slug: str) -> int:
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    unit = run(lambda: org_services.find_org_unit(actor=Actor.system("metrics"), slug=slug))
    if unit is None:
        fail(f"--unit: there is no org unit {slug!r}", code=EXIT_USAGE)
    return unit.id


def _goal_date(value: str, option: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date such as 2026-12-31", code=EXIT_USAGE)


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
    format: Format = GOAL_FORMAT,
):
    """Teams' goals, by team, unit, year and state."""
    services = _goal_services()
    page = run(
        lambda: services.list_goals(
            actor=_goal_actor(None),
            team_id=_team_id(team) if team else None,
            unit_id=_unit_id(unit) if unit else None,
            year=year,
            state=state,
            limit=limit,
            offset=offset,
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Goals",
        ["id", "team", "year", "state", "metric", "kind", "title"],
        [(g.id, g.team_id, g.year, g.state.value, g.metric_name, g.metric_kind.value, g.title) for g in page.items],
        page_footer(page),
        ellipsize=("title",),
    )


@goals.command("show")
def show_goal(
    goal_id: int = typer.Argument(..., help="the goal's id"), as_: str = GOAL_AS, format: Format = GOAL_FORMAT
):
    """One goal and the moves you may take now."""
    services = _goal_services()
    view = run(lambda: services.goal_view(actor=_goal_actor(as_), goal_id=goal_id))
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
    as_: str = GOAL_AS,
    format: Format = GOAL_FORMAT,
):
    """Draft a team's goal (and, with --propose, propose it)."""
    services = _goal_services()
    actor = _goal_actor(as_)
    metric_id = run(lambda: services.metric_id_by_name(actor=actor, name=metric))
    if metric_id is None:
        fail(f"--metric: there is no metric {metric!r} in the registry", code=EXIT_USAGE)
    make = services.propose_goal if propose else services.create_goal
    goal = run(
        lambda: make(
            actor=actor,
            team_id=_team_id(team),
            year=year,
            title=title,
            description=description,
            metric_id=metric_id,
            target=target,
            measure=measure,
            start_date=_goal_date(start, "--start") if start else dt.date(year, 1, 1),
            due_date=_goal_date(due, "--due"),
            baseline=baseline,
        )
    )
    _show_goal(goal, format)


@goals.command("progress")
def goal_progress(goal_id: int = typer.Argument(..., help="the goal's id"), format: Format = GOAL_FORMAT):
    """A goal's progress, from its metric's data and the date."""
    services = _goal_services()
    p = run(lambda: services.goal_progress(actor=_goal_actor(None), goal_id=goal_id))
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
    format: Format = GOAL_FORMAT,
):
    """The share of goals tied to input versus output metrics; warns on output-only goal sets (exit 1)."""
    services = _goal_services()
    mix = run(
        lambda: services.goal_mix(
            actor=_goal_actor(None),
            team_id=_team_id(team) if team else None,
            unit_id=_unit_id(unit) if unit else None,
            year=year,
        )
    )
    if format is Format.json:
        emit_json(mix)
    else:
        emit_table(
            f"Goals {year}: input vs output",
            ["team", "input", "output", "input share"],
            [
                (line.team_id, line.input, line.output, "-" if line.input_share is None else f"{line.input_share:.0%}")
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
    services = _goal_services()
    goal = run(
        lambda: services.apply_goal_transition(
            actor=_goal_actor(as_), goal_id=goal_id, version=version, transition=transition.name, values=values
        )
    )
    _show_goal(goal, format)


def _goal_machine():
    # The declaration is pure (no Django), so mounting the commands keeps `mech --help` fast.
    from mechanisms.metrics.machines import MACHINE

    return MACHINE


# One command per declared transition (metrics/machines.py): `mech goals <slug> ID --version N --as HANDLE`.
mount_goal_machine(goals, _goal_machine(), perform=_perform_goal)
