"""CLI of the team lifecycle, mounted by config under `mech teams form|dissolution|dissolve` and
`mech services transfer`. Thin: parse, call one workflow, print."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.cli import EXIT_USAGE, Format, emit_json, emit_table, fail, run, setup_django

AS = typer.Option(None, "--as", help="act as this person's account (handle); default: the product itself")
FORMAT = typer.Option(Format.text, "--format")


def _setup():
    setup_django()
    from mechanisms.workflows import lifecycle

    return lifecycle


def _actor(handle: str | None):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.cli_actor(handle=handle))


def _team(slug: str):
    from mechanisms.org import services as org_services

    return run(lambda: org_services.get_team_by_slug(actor=Actor.system("workflows"), slug=slug))


def form(
    slug: str = typer.Argument(..., help="the new team's slug"),
    name: str = typer.Option(..., "--name"),
    org_unit: str = typer.Option(..., "--org-unit", help="org unit slug"),
    charter: str = typer.Option(..., "--charter", help="the customer problem it exists to solve"),
    leader: str = typer.Option(None, "--leader", help="its single-threaded leader (handle)"),
    member: list[str] = typer.Option([], "--member", help="a first member (handle); repeat"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Form a team (status forming) around a customer problem."""
    lifecycle = _setup()
    from mechanisms.org import services as org_services

    unit = org_services.find_org_unit(actor=Actor.system("workflows"), slug=org_unit)
    if unit is None:
        fail(f"--org-unit: no org unit {org_unit!r}", EXIT_USAGE)
    people = [
        run(lambda h=h: org_services.get_person_by_handle(actor=Actor.system("workflows"), handle=h)).id for h in member
    ]
    leader_id = (
        run(lambda: org_services.get_person_by_handle(actor=Actor.system("workflows"), handle=leader)).id
        if leader
        else None
    )
    team = run(
        lambda: lifecycle.form_team(
            actor=_actor(as_),
            slug=slug,
            name=name,
            org_unit_id=unit.id,
            charter=charter,
            leader_id=leader_id,
            member_ids=people,
        )
    )
    if format is Format.json:
        return emit_json(team)
    typer.echo(f"formed {team.slug} ({team.status.value}) in {org_unit} with {team.member_count} member(s)")


def dissolution(slug: str = typer.Argument(..., help="team slug"), format: Format = FORMAT):
    """What dissolving a team must map, and a plan template to fill in for `mech teams dissolve --plan`."""
    lifecycle = _setup()
    team = _team(slug)
    held = run(lambda: lifecycle.holdings_for(actor=_actor(None), team_id=team.id))
    template = {
        "services": {s.name: "TEAM-SLUG or retire" for s in held.services},
        "requests": {
            str(r.id): "follow, TEAM-SLUG or close" if r.home_team_id == team.id else "TEAM-SLUG or close"
            for r in held.requests
        },
    }
    if format is Format.json:
        return emit_json({"services": held.services, "requests": held.requests, "plan_template": template})
    emit_table("Services to map", ["service", "lifecycle"], [(s.name, s.lifecycle) for s in held.services])
    emit_table(
        "Open requests to map",
        ["id", "state", "requesting", "home", "title"],
        [(r.id, r.state.value, r.requesting_team_slug, r.home_team_slug, r.title) for r in held.requests],
    )
    typer.echo("plan template (JSON):\n" + json.dumps(template, indent=2))


def dissolve(
    slug: str = typer.Argument(..., help="team slug"),
    plan: Path = typer.Option(
        ...,
        "--plan",
        help="JSON: services by name -> team slug or 'retire'; requests by id -> team slug, 'close', 'follow'",
    ),
    reason: str = typer.Option(..., "--reason"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Dissolve a team in one atomic step from a plan; refused with every orphan listed when it is incomplete."""
    lifecycle = _setup()
    from mechanisms.catalog import services as catalog_services
    from mechanisms.org import services as org_services

    try:
        document = json.loads(plan.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        fail(f"{plan}: cannot read: {exc}", EXIT_USAGE)
    except json.JSONDecodeError as exc:
        fail(f"{plan}:{exc.lineno}: not JSON: {exc.msg}", EXIT_USAGE)
    if not isinstance(document, dict) or not set(document) <= {"services", "requests"}:
        fail(f"{plan}: expected an object with 'services' and 'requests'", EXIT_USAGE)

    def target(value, keep: tuple[str, ...], where: str):
        if value in keep:
            return value
        found = org_services.find_team(actor=Actor.system("workflows"), slug=str(value))
        if found is None:
            fail(f"{plan}: {where}: no team {value!r} (a team slug or {' or '.join(keep)})", EXIT_USAGE)
        return found.id

    services = {}
    for name, value in (document.get("services") or {}).items():
        found = catalog_services.find_service(actor=Actor.system("workflows"), name=name)
        if found is None:
            fail(f"{plan}: services.{name}: no such service", EXIT_USAGE)
        services[found.id] = target(value, ("retire",), f"services.{name}")
    requests = {}
    for key, value in (document.get("requests") or {}).items():
        if not str(key).isdigit():
            fail(f"{plan}: requests.{key}: a request id is a number", EXIT_USAGE)
        requests[int(key)] = target(value, ("close", "follow"), f"requests.{key}")
    team = _team(slug)
    result = run(
        lambda: lifecycle.dissolve_team(
            actor=_actor(as_),
            team_id=team.id,
            version=team.version,
            plan=lifecycle.DissolutionPlan(services=services, requests=requests),
            reason=reason,
        )
    )
    if format is Format.json:
        return emit_json(result)
    typer.echo(
        f"dissolved {slug}: {result.transferred} service(s) transferred, {result.retired} retired, "
        f"{result.rerouted} request(s) re-routed, {result.closed} closed, {result.released} member(s) released"
    )


def transfer(
    name: str = typer.Argument(..., help="service name"),
    to: str = typer.Option(..., "--to", help="the team taking it over (slug)"),
    reason: str = typer.Option("", "--reason"),
    as_: str = AS,
    format: Format = FORMAT,
):
    """Move a service to another team; its history is kept and its open requests follow it."""
    lifecycle = _setup()
    from mechanisms.catalog import services as catalog_services

    service = run(lambda: catalog_services.get_service_by_name(actor=Actor.system("workflows"), name=name))
    team = _team(to)
    moved = run(
        lambda: lifecycle.transfer_service(
            actor=_actor(as_), service_id=service.id, version=service.version, to_team_id=team.id, reason=reason
        )
    )
    if format is Format.json:
        return emit_json(moved)
    typer.echo(f"{moved.name} now belongs to {to}")
