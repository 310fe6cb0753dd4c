"""CLI of the catalog app: list and show services. Thin: parse, call services, print."""

from __future__ import annotations

import typer

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.cli import Format, emit_json, emit_table, page_footer, run, setup_django

services_app = typer.Typer(help="Services, their interfaces, datastores and dependencies.", no_args_is_help=True)


AS = typer.Option(None, "--as", help="act as this person's account (handle); default: the product itself")


def _as(handle: str | None):
    """The actor of a command: that person's account with --as, else the product itself (an operator)."""
    _, org = _services()
    return run(lambda: org.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


def _services():
    setup_django()
    from mechanisms.catalog import services
    from mechanisms.org import services as org_services

    return services, org_services


@services_app.command("list")
def list_services(
    text: str = typer.Option(None, "--text"),
    team: str = typer.Option(None, "--team", help="owner team slug"),
    lifecycle: str = typer.Option(None, "--lifecycle"),
    limit: int = 50,
    offset: int = 0,
    as_: str = AS,
    format: Format = typer.Option(Format.text, "--format"),
):
    """List services."""
    actor = _as(as_)
    catalog, org = _services()
    team_id = run(lambda: org.get_team_by_slug(actor=actor, slug=team)).id if team else None
    page = run(
        lambda: catalog.list_services(
            actor=actor, text=text, team_id=team_id, lifecycle=lifecycle, limit=limit, offset=offset
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    owners = org.get_teams(actor=actor, ids={s.owner_team_id for s in page.items})
    emit_table(
        "Services",
        ["name", "owner", "lifecycle", "tier"],
        [
            (s.name, owners[s.owner_team_id].slug if s.owner_team_id in owners else "?", s.lifecycle.value, s.tier)
            for s in page.items
        ],
        page_footer(page),
    )


@services_app.command("show")
def show_service(name: str, as_: str = AS, format: Format = typer.Option(Format.text, "--format")):
    """Show a service with its interfaces, datastores, dependencies and consumers."""
    actor = _as(as_)
    catalog, org = _services()
    service = run(lambda: catalog.get_service_by_name(actor=actor, name=name))
    detail = catalog.service_detail(actor=actor, service_id=service.id)
    # An imported service may be owned by something that is not a team: shown as its source wrote it.
    owner_id = service.owner_team_id
    owner_team = org.get_team(actor=actor, team_id=owner_id).slug if owner_id is not None else None
    if format is Format.json:
        return emit_json({"detail": detail, "owner_team": owner_team, "owner_ref": service.owner_ref})
    emit_table(
        service.name,
        ["field", "value"],
        [
            ("owner", owner_team or f"{service.owner_ref or '?'} (not a team)"),
            ("lifecycle", service.lifecycle.value),
            ("tier", service.tier),
            ("repository", service.repository),
            ("interfaces", ", ".join(i.name for i in detail.interfaces) or "-"),
            ("datastores", ", ".join(d.name for d in detail.datastores) or "-"),
            ("depends on", ", ".join(f"{d.kind} {d.target_name}" for d in detail.dependencies) or "-"),
            ("consumers", ", ".join(s.name for s in detail.consumer_services) or "-"),
        ],
    )
