"""CLI of the mandate app: `mech mandate evaluate|findings|scorecard TEAM|unit-scorecard UNIT|waivers|waive|revoke|
conway`. Thin: parse, call services, print. Django is set up lazily, only when a command runs.

The CLI acts as the product itself (an operator's command), so `waive` names the approving bar raiser explicitly:
the service still checks that they are in the pool and independent of the subject's team."""

from __future__ import annotations

import datetime as dt

import typer

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, page_footer, run, setup_django

mandate = typer.Typer(
    help="The API mandate in the server: evaluate, findings, scorecards, waivers, Conway.", no_args_is_help=True
)


def _services():
    setup_django()
    from mechanisms.mandate import services

    return services


def _system():
    from mechanisms.kernel.actor import Actor

    return Actor.system("cli")


@mandate.command("evaluate")
def evaluate(format: Format = typer.Option(Format.text, "--format")):
    """Evaluate the whole organization now and store the findings and team scores (exit 1 on unwaived errors)."""
    services = _services()
    summary = run(lambda: services.evaluate_org(actor=_system()))
    if format is Format.json:
        emit_json(summary)
    else:
        typer.echo(
            f"evaluation {summary.id}: {summary.errors} error(s), {summary.warnings} warning(s), "
            f"{summary.waived} waived; {summary.teams_scored} team(s) scored"
        )
        for rule, count in summary.by_rule.items():
            typer.echo(f"  {rule:<32} {count}")
    raise typer.Exit(1 if summary.errors else 0)


@mandate.command("findings")
def findings(
    team: str = typer.Option(None, "--team", help="team slug"),
    rule: str = typer.Option(None, "--rule"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    format: Format = typer.Option(Format.text, "--format"),
):
    """Findings of the latest evaluation."""
    services = _services()
    from mechanisms.org import services as org_services

    team_id = run(lambda: org_services.get_team_by_slug(actor=Actor.system("mandate"), slug=team)).id if team else None
    page = run(lambda: services.list_findings(actor=_system(), team_id=team_id, rule=rule, limit=limit, offset=offset))
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Findings",
        ["rule", "severity", "subject", "related", "status"],
        [(f.rule, f.severity, f.subject, ", ".join(f.related), "waived" if f.waived else "open") for f in page.items],
        page_footer(page),
    )


@mandate.command("scorecard")
def scorecard(
    team: str = typer.Argument(..., help="team slug"), format: Format = typer.Option(Format.text, "--format")
):
    """A team's scorecard: current counts by rule and the history of every evaluation."""
    services = _services()
    from mechanisms.org import services as org_services

    team_id = run(lambda: org_services.get_team_by_slug(actor=Actor.system("mandate"), slug=team)).id
    card = run(lambda: services.team_scorecard(actor=_system(), team_id=team_id))
    _emit_card(card, format)


def _run_as(fn, options: dict[str, str]):
    """Call a service; a domain error names the command-line option of the field it is about, then exits 1."""
    from mechanisms.kernel.errors import DomainError

    try:
        return fn()
    except DomainError as exc:
        where = f" ({options.get(exc.field or '', exc.field)})" if exc.field else ""
        fail(f"{exc.message}{where}")


def _emit_card(card, format: Format) -> None:
    if format is Format.json:
        return emit_json(card)
    typer.echo(f"{card.name}: {card.errors} error(s), {card.warnings} warning(s), {card.waived} waived")
    emit_table("By rule", ["rule", "findings"], list(card.by_rule.items()))
    emit_table(
        "History",
        ["evaluated", "errors", "warnings", "waived"],
        [(p.at.strftime("%Y-%m-%d %H:%M"), p.errors, p.warnings, p.waived) for p in card.history],
    )


@mandate.command("unit-scorecard")
def unit_scorecard(
    unit: str = typer.Argument(..., help="org unit slug"), format: Format = typer.Option(Format.text, "--format")
):
    """An org unit's scorecard: every team in it and below, counts by rule and the history of every evaluation."""
    services = _services()
    from mechanisms.org import services as org_services

    found = org_services.find_org_unit(actor=Actor.system("mandate"), slug=unit)
    if found is None:
        fail(f"no org unit has the slug {unit!r} (UNIT)")
    card = run(lambda: services.org_unit_scorecard(actor=_system(), org_unit_id=found.id))
    _emit_card(card, format)


@mandate.command("waivers")
def waivers(
    team: str = typer.Option(None, "--team", help="team slug: waivers on the team, its services, people..."),
    state: str = typer.Option("active", "--state", help="active, expired, revoked or all"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    format: Format = typer.Option(Format.text, "--format"),
):
    """Waivers, by state and team."""
    services = _services()
    from mechanisms.org import services as org_services

    team_id = (
        _run_as(lambda: org_services.get_team_by_slug(actor=Actor.system("mandate"), slug=team), {"slug": "--team"}).id
        if team
        else None
    )
    page = _run_as(
        lambda: services.list_waivers(actor=_system(), state=state, team_id=team_id, limit=limit, offset=offset),
        {"state": "--state", "team_id": "--team"},
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})

    def state_of(w) -> str:
        if w.state != "active":
            return w.state
        return "revoked" if w.revoked else "expired" if w.expired else "active"

    emit_table(
        "Waivers",
        ["id", "rule", "subject", "related", "expires", "approver", "state"],
        [
            (w.id, w.rule, w.subject, w.related, w.expires.isoformat(), w.approver_handle, state_of(w))
            for w in page.items
        ],
        page_footer(page),
    )


@mandate.command("waive")
def waive(
    rule: str = typer.Argument(..., help="the rule, e.g. mandate/back-door"),
    subject: str = typer.Argument(..., help="entity reference, e.g. component:default/checkout-api"),
    reason: str = typer.Option(..., "--reason", help="why the exception is accepted"),
    expires: str = typer.Option(..., "--expires", help="expiry date, YYYY-MM-DD, in the future"),
    as_: str = typer.Option(..., "--as", help="your handle: the person requesting the waiver"),
    approver: str = typer.Option(None, "--approver", help="the approving bar raiser's handle (default: suggested)"),
    approver_reason: str = typer.Option("", "--approver-reason", help="why this approver, if not the suggestion"),
    question: str = typer.Option("", "--question", help="what you ask the approver to look at"),
    related: str = typer.Option(None, "--related", help="narrow to findings naming this reference"),
    format: Format = typer.Option(Format.text, "--format"),
):
    """Request a waiver (MECHANISMS.md §2 M6): it is pending until an independent bar raiser recommends on its
    review and you accept (`mech bar-raisers recommend|accept REVIEW_ID`); then it applies from the next
    evaluation."""
    try:
        expiry = dt.date.fromisoformat(expires)
    except ValueError:
        fail(f"{expires!r} is not a date YYYY-MM-DD (--expires)", EXIT_USAGE)
    services = _services()
    from mechanisms.org import services as org_services

    approver_id = None
    if approver:
        person = org_services.find_person(actor=Actor.system("mandate"), handle=approver.strip().lstrip("@").lower())
        if person is None:
            fail(f"no person has the handle {approver!r} (--approver)")
        approver_id = person.id
    actor = _run_as(lambda: org_services.actor_for_handle(handle=as_), {})
    waiver = _run_as(
        lambda: services.request_waiver(
            actor=actor,
            subject=subject,
            rule=rule,
            reason=reason,
            expires=expiry,
            approver_id=approver_id,
            approver_reason=approver_reason,
            question=question,
            related=related,
        ),
        {
            "rule": "RULE",
            "subject": "SUBJECT",
            "reason": "--reason",
            "expires": "--expires",
            "approver_id": "--approver",
            "approver_reason": "--approver-reason",
            "question": "--question",
            "related": "--related",
        },
    )
    if format is Format.json:
        return emit_json(waiver)
    typer.echo(
        f"waiver {waiver.id}: {waiver.rule} on {waiver.subject} until {waiver.expires.isoformat()}, pending: "
        f"{waiver.approver_handle} reviews it (bar-raiser review {waiver.review_id}); it applies once you accept "
        "an approval"
    )


@mandate.command("revoke")
def revoke(
    waiver_id: int = typer.Argument(..., help="the waiver's id (mech mandate waivers)"),
    reason: str = typer.Option("", "--reason", help="why it is withdrawn"),
    format: Format = typer.Option(Format.text, "--format"),
):
    """Revoke a waiver (kept in the history): its finding counts again at the next evaluation."""
    services = _services()
    waiver = _run_as(
        lambda: services.revoke_waiver(actor=_system(), waiver_id=waiver_id, reason=reason),
        {"waiver_id": "WAIVER_ID"},
    )
    if format is Format.json:
        return emit_json(waiver)
    typer.echo(f"waiver {waiver.id} revoked: {waiver.rule} on {waiver.subject} counts again at the next evaluation")


@mandate.command("conway")
def conway(
    limit: int = typer.Option(30, help="teams to show, by degree"),
    format: Format = typer.Option(Format.text, "--format"),
):
    """The Conway report: fan-in and fan-out per team, and team pairs coupled across org units."""
    services = _services()
    report = run(lambda: services.conway_report(actor=_system()))
    if format is Format.json:
        return emit_json(report)
    emit_table(
        "Teams by fan-in (tax bracket)",
        ["team", "org unit", "fan-in", "fan-out"],
        [(t.slug, t.org_unit_slug, t.fan_in, t.fan_out) for t in report.teams[:limit]],
        f"{min(limit, len(report.teams))} of {len(report.teams)} teams",
    )
    emit_table(
        "Coupled across org units",
        ["team", "team", "edges", "tight"],
        [(p.team_a_slug, p.team_b_slug, p.edges, "yes" if p.tight else "") for p in report.coupled_pairs[:limit]],
    )
