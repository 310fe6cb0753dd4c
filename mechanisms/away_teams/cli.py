"""CLI of the away-teams app: `mech away list|show|file|<transition>|board|tax|credit|sweep`.

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account (an operator on the server);
without it a command runs as the product itself, which may read and sweep but is no team's member.
"""

from __future__ import annotations

import typer

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.cli import Format, emit_json, emit_table, page_footer, run, setup_django
from mechanisms.kernel.machine_cli import mount as mount_machine
from mechanisms.kernel.machine_cli import resolve_refs, show_moves

away = typer.Typer(
    help="Away-team requests: file, answer, escalate, build, hand off; the team board, tax and credit.",
    no_args_is_help=True,
)

AS = typer.Option(None, "--as", help="act as this person's account (handle)")
FORMAT = typer.Option(Format.text, "--format")


def _services():
    setup_django()
    from mechanisms.away_teams import services

    return services


def _actor(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _team_id(slug: str | None) -> int | None:
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_team_by_slug(actor=Actor.system("away_teams"), slug=slug)).id if slug else None


def _person_id(handle: str) -> int:
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_person_by_handle(actor=Actor.system("away_teams"), handle=handle)).id


def _service_id(name: str) -> int:
    from mechanisms.catalog import services as catalog_services

    return run(lambda: catalog_services.get_service_by_name(actor=Actor.system("away_teams"), name=name)).id


def _show(request, format: Format) -> None:
    if format is Format.json:
        emit_json(request)
        return
    typer.echo(f"#{request.id} {request.title}  [{request.state.value}]  version {request.version}")
    typer.echo(f"  {request.requesting_team_slug} asks {request.home_team_slug} to change {request.service_name}")
    due = f"answer due {request.due_on}" + (" (OVERDUE)" if request.overdue else "")
    typer.echo(f"  filed {request.filed_at:%Y-%m-%d}; {due}")
    if request.outcome:
        typer.echo(f"  outcome: {request.outcome}")


@away.command("list")
def list_requests(
    team: str = typer.Option(None, "--team", help="team slug"),
    direction: str = typer.Option("both", help="inbound, outbound or both"),
    state: str = typer.Option(None, "--state"),
    open_only: bool = typer.Option(False, "--open"),
    overdue: bool = typer.Option(None, "--overdue/--not-overdue"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    format: Format = FORMAT,
):
    """Away-team requests, newest first."""
    services = _services()
    page = run(
        lambda: services.list_requests(
            actor=_actor(None),
            team_id=_team_id(team),
            direction=direction,
            state=state,
            open_only=open_only,
            overdue=overdue,
            limit=limit,
            offset=offset,
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    # Readable at 80 columns: the two teams in one column, the title cut to fit, lateness with the due date.
    emit_table(
        "Away-team requests",
        ["id", "state", "requesting → home", "title", "due"],
        [
            (
                r.id,
                r.state.value,
                f"{r.requesting_team_slug} → {r.home_team_slug}",
                r.title,
                f"{r.due_on:%Y-%m-%d}" + (" late" if r.overdue else "") if r.state.value == "filed" else "-",
            )
            for r in page.items
        ],
        page_footer(page),
        ellipsize=("title",),
    )


@away.command("show")
def show(request_id: int, as_: str = AS, format: Format = FORMAT):
    """One request, its timeline, and the transitions you may take."""
    services = _services()
    view = run(lambda: services.request_view(actor=_actor(as_), request_id=request_id))
    if format is Format.json:
        return emit_json(view)
    _show(view.request, format)
    show_moves(view.actions, view.timeline)


@away.command("file")
def file(
    service: str = typer.Option(..., "--service", help="the home team's service (name)"),
    team: str = typer.Option(..., "--team", help="your team (slug), which builds the change"),
    title: str = typer.Option(..., "--title"),
    what: str = typer.Option(..., "--what"),
    why: str = typer.Option(..., "--why", help="the value to the customer"),
    design: str = typer.Option("", "--design"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """File a request on another team's service."""
    services = _services()
    request = run(
        lambda: services.file_request(
            actor=_actor(as_),
            service_id=_service_id(service),
            requesting_team_id=_team_id(team),
            title=title,
            what=what,
            why=why,
            design=design,
        )
    )
    _show(request, format)


def _perform(transition, request_id: int, version: int, as_: str | None, format: Format, values: dict) -> None:
    services = _services()
    resolved = run(lambda: resolve_refs(transition, values, {"person": _person_id, "service": _service_id}))
    request = run(
        lambda: services.apply_transition(
            actor=_actor(as_), request_id=request_id, version=version, transition=transition.name, values=resolved
        )
    )
    _show(request, format)


def _machine():
    # The declaration is pure (no Django), so mounting the commands keeps `mech --help` fast.
    from mechanisms.away_teams.machines import MACHINE

    return MACHINE


# One command per declared transition (away_teams/machines.py): `mech away <slug> ID --version N --as HANDLE ...`.
mount_machine(away, _machine(), perform=_perform)


@away.command("board")
def board(team: str = typer.Argument(..., help="team slug"), format: Format = FORMAT):
    """A team's requests by state, inbound and outbound; overdue answers; median days to answer."""
    services = _services()
    result = run(lambda: services.team_board(actor=_actor(None), team_id=_team_id(team)))
    if format is Format.json:
        return emit_json(result)
    states = sorted({*result.inbound_by_state, *result.outbound_by_state})
    emit_table(
        f"{result.team_slug}: away-team requests",
        ["state", "inbound", "outbound"],
        [(s, result.inbound_by_state.get(s, 0), result.outbound_by_state.get(s, 0)) for s in states],
        f"overdue answers: {result.overdue}; median days to answer: "
        + ("-" if result.median_days_to_answer is None else str(result.median_days_to_answer)),
    )


@away.command("tax")
def tax(limit: int = typer.Option(50, help="page size (max 200)"), offset: int = 0, format: Format = FORMAT):
    """What each team spends serving others, ranked (tax brackets)."""
    services = _services()
    page = run(lambda: services.tax_report(actor=_actor(None), limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Tax: serving other teams",
        ["rank", "team", "inbound", "accepted", "home builds", "effort days", "open", "overdue"],
        [
            (t.rank, t.team_slug, t.inbound, t.accepted, t.home_builds, t.effort_days, t.open_inbound, t.overdue)
            for t in page.items
        ],
        page_footer(page),
    )


@away.command("credit")
def credit(format: Format = FORMAT):
    """Credit for changes handed off with a declared downstream impact, per team and by org unit."""
    services = _services()
    report = run(lambda: services.credit_report(actor=_actor(None)))
    if format is Format.json:
        return emit_json(report)
    emit_table(
        "Credit by team",
        ["team", "handed off", "with impact"],
        [(c.slug, c.handed_off, c.with_impact) for c in report.teams],
    )
    emit_table(
        "Credit by org unit",
        ["org unit", "handed off", "with impact"],
        [(c.slug, c.handed_off, c.with_impact) for c in report.org_units],
    )


@away.command("sweep")
def sweep(format: Format = FORMAT):
    """Remind overdue answers and close ended warranties (the worker does it every hour)."""
    services = _services()
    report = run(lambda: services.sweep(actor=_actor(None)))
    if format is Format.json:
        return emit_json(report)
    typer.echo(f"reminded {report.reminded} overdue answer(s); closed {report.closed} ended warrant(ies)")
