"""CLI of the mandate app: `mech mandate evaluate|findings|scorecard TEAM|conway`. Thin: parse, call services,
print. Django is set up lazily, only when a command runs."""

from __future__ import annotations

import typer

from mechanisms.kernel.cli import Format, emit_json, emit_table, page_footer, run, setup_django

mandate = typer.Typer(
    help="The API mandate in the server: evaluate, findings, scorecards, Conway.", no_args_is_help=True
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

    team_id = run(lambda: org_services.get_team_by_slug(slug=team)).id if team else None
    page = run(
        lambda: services.list_findings(actor=_system(), team_id=team_id, rule=rule, limit=limit, offset=offset)
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Findings",
        ["rule", "severity", "subject", "related", "status"],
        [
            (f.rule, f.severity, f.subject, ", ".join(f.related), "waived" if f.waived else "open")
            for f in page.items
        ],
        page_footer(page),
    )


@mandate.command("scorecard")
def scorecard(
    team: str = typer.Argument(..., help="team slug"), format: Format = typer.Option(Format.text, "--format")
):
    """A team's scorecard: current counts by rule and the history of every evaluation."""
    services = _services()
    from mechanisms.org import services as org_services

    team_id = run(lambda: org_services.get_team_by_slug(slug=team)).id
    card = run(lambda: services.team_scorecard(actor=_system(), team_id=team_id))
    if format is Format.json:
        return emit_json(card)
    typer.echo(f"{card.name}: {card.errors} error(s), {card.warnings} warning(s), {card.waived} waived")
    emit_table("By rule", ["rule", "findings"], list(card.by_rule.items()))
    emit_table(
        "History",
        ["evaluated", "errors", "warnings", "waived"],
        [(p.at.strftime("%Y-%m-%d %H:%M"), p.errors, p.warnings, p.waived) for p in card.history],
    )


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
        [(t.slug, t.org_unit_slug or "", t.fan_in, t.fan_out) for t in report.teams[:limit]],
        f"{min(limit, len(report.teams))} of {len(report.teams)} teams",
    )
    emit_table(
        "Coupled across org units",
        ["team", "team", "edges", "tight"],
        [(p.team_a_slug, p.team_b_slug, p.edges, "yes" if p.tight else "") for p in report.coupled_pairs[:limit]],
    )
