"""CLI of the away-teams app: `mech away list|show|file|<transition>|board|tax|credit|sweep`.

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account (an operator on the server);
without it a command runs as the product itself, which may read and sweep but is no team's member.
"""

from __future__ import annotations

import typer

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.cli import Format, emit_json, emit_table, page_footer, run, setup_django

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
    from mechanisms.kernel.actor import Actor
    from mechanisms.org import services as org_services

    return run(lambda: org_services.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


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
    emit_table(
        "Away-team requests",
        ["id", "state", "requesting", "home", "service", "title", "due"],
        [
            (
                r.id,
                r.state.value + (" OVERDUE" if r.overdue else ""),
                r.requesting_team_slug,
                r.home_team_slug,
                r.service_name,
                r.title,
                r.due_on,
            )
            for r in page.items
        ],
        page_footer(page),
    )


@away.command("show")
def show(request_id: int, as_: str = AS, format: Format = FORMAT):
    """One request, its timeline, and the transitions you may take."""
    services = _services()
    view = run(lambda: services.request_view(actor=_actor(as_), request_id=request_id))
    if format is Format.json:
        return emit_json(view)
    _show(view.request, format)
    emit_table(
        "Timeline",
        ["when", "who", "transition", "from", "to", "note"],
        [
            (e.at.strftime("%Y-%m-%d %H:%M"), e.actor_label, e.transition, e.from_state, e.to_state, e.note)
            for e in view.timeline
        ],
    )
    typer.echo("you may: " + (", ".join(view.actions) or "nothing now"))


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


def _move(fn_name: str, request_id: int, version: int, as_: str | None, format: Format, **kwargs) -> None:
    services = _services()
    fn = getattr(services, fn_name)
    request = run(lambda: fn(actor=_actor(as_), request_id=request_id, version=version, **kwargs))
    _show(request, format)


VERSION = typer.Option(..., "--version", help="the version you read (see `mech away show`)")
NOTE = typer.Option("", "--note")
REASON = typer.Option(..., "--reason")


@away.command("accept")
def accept(
    request_id: int,
    version: int = VERSION,
    contact: str = typer.Option(..., "--contact", help="your point of contact (handle)"),
    standards: str = typer.Option(..., "--standards"),
    effort_days: float = typer.Option(None, "--effort-days"),
    note: str = NOTE,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Home team: accept; the requesting team builds it."""
    _services()
    _move(
        "accept_request",
        request_id,
        version,
        as_,
        format,
        contact_id=_person_id(contact),
        standards=standards,
        effort_days=effort_days,
        note=note,
    )


@away.command("build-at-home")
def build_at_home(
    request_id: int,
    version: int = VERSION,
    effort_days: float = typer.Option(None, "--effort-days"),
    note: str = NOTE,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Home team: you build it yourselves, on your roadmap."""
    _move("build_at_home", request_id, version, as_, format, effort_days=effort_days, note=note)


@away.command("decline")
def decline(request_id: int, version: int = VERSION, reason: str = REASON, as_: str = AS, format: Format = FORMAT):
    """Home team: decline, with a reason."""
    _move("decline_request", request_id, version, as_, format, reason=reason)


@away.command("escalate")
def escalate(request_id: int, version: int = VERSION, reason: str = REASON, as_: str = AS, format: Format = FORMAT):
    """Requesting team: escalate to the lowest common manager of both leaders."""
    _move("escalate_request", request_id, version, as_, format, reason=reason)


@away.command("decide")
def decide(
    request_id: int,
    version: int = VERSION,
    decision: str = typer.Option(..., "--decision", help="reshuffle or keep_roadmap"),
    reason: str = REASON,
    as_: str = AS,
    format: Format = FORMAT,
):
    """The deciding manager: reshuffle the home team's roadmap, or keep it."""
    _move("decide_escalation", request_id, version, as_, format, decision=decision, reason=reason)


@away.command("duplicate")
def duplicate(
    request_id: int,
    version: int = VERSION,
    service: str = typer.Option(..., "--service", help="your team's service that does it"),
    reason: str = typer.Option("", "--reason"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Requesting team: build it in a service of your own instead."""
    _services()
    _move(
        "duplicate_request", request_id, version, as_, format, duplicate_service_id=_service_id(service), reason=reason
    )


@away.command("start")
def start(request_id: int, version: int = VERSION, note: str = NOTE, as_: str = AS, format: Format = FORMAT):
    """Requesting team: start building."""
    _move("start_building", request_id, version, as_, format, note=note)


@away.command("submit")
def submit(
    request_id: int,
    version: int = VERSION,
    tests: bool = False,
    docs: bool = False,
    runbook: bool = False,
    note: str = NOTE,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Requesting team: ask for the home team's review."""
    _move("submit_for_review", request_id, version, as_, format, tests=tests, docs=docs, runbook=runbook, note=note)


@away.command("review")
def review(
    request_id: int,
    version: int = VERSION,
    approve: bool = typer.Option(..., "--approve/--request-changes"),
    note: str = NOTE,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Home team: approve, or request changes (say what in --note)."""
    _move("review_request", request_id, version, as_, format, approved=approve, note=note)


@away.command("hand-off")
def hand_off(
    request_id: int,
    version: int = VERSION,
    tests: bool = False,
    docs: bool = False,
    runbook: bool = False,
    impact: str = typer.Option("", "--impact", help="the downstream impact (earns credit)"),
    note: str = NOTE,
    as_: str = AS,
    format: Format = FORMAT,
):
    """Requesting team: hand off with the checklist complete."""
    _move(
        "hand_off_request",
        request_id,
        version,
        as_,
        format,
        tests=tests,
        docs=docs,
        runbook=runbook,
        downstream_impact=impact,
        note=note,
    )


@away.command("accept-hand-off")
def accept_hand_off(request_id: int, version: int = VERSION, note: str = NOTE, as_: str = AS, format: Format = FORMAT):
    """Home team: take over maintenance; the warranty starts."""
    _move("accept_hand_off", request_id, version, as_, format, note=note)


@away.command("complete")
def complete(request_id: int, version: int = VERSION, note: str = NOTE, as_: str = AS, format: Format = FORMAT):
    """Home team: you shipped what you built yourselves."""
    _move("complete_request", request_id, version, as_, format, note=note)


@away.command("close")
def close(request_id: int, version: int = VERSION, note: str = NOTE, as_: str = AS, format: Format = FORMAT):
    """Either team: close after the warranty."""
    _move("close_request", request_id, version, as_, format, note=note)


@away.command("withdraw")
def withdraw(request_id: int, version: int = VERSION, reason: str = REASON, as_: str = AS, format: Format = FORMAT):
    """Requesting team: withdraw the request."""
    _move("withdraw_request", request_id, version, as_, format, reason=reason)


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
        f"overdue answers: {result.overdue}; median days to answer: {result.median_days_to_answer}",
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
    """Remind overdue answers and close ended warranties (run it daily from cron)."""
    services = _services()
    report = run(lambda: services.sweep(actor=_actor(None)))
    if format is Format.json:
        return emit_json(report)
    typer.echo(f"reminded {report.reminded} overdue answer(s); closed {report.closed} ended warrant(ies)")
