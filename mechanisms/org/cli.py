"""CLI of the org app: people, teams, org rules, accounts and tokens. Thin: parse, call services, print."""

from __future__ import annotations

import typer

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.cli import Format, emit_json, emit_table, fail, page_footer, run, setup_django

people = typer.Typer(help="People and their reporting lines.", no_args_is_help=True)
teams = typer.Typer(help="Two-pizza teams and the org rules.", no_args_is_help=True)
users = typer.Typer(help="Sign-in accounts.", no_args_is_help=True)
tokens = typer.Typer(help="API bearer tokens.", no_args_is_help=True)


AS = typer.Option(None, "--as", help="act as this person's account (handle); default: the product itself")


def _as(handle: str | None):
    """The actor of a command: that person's account with --as, else the product itself (an operator)."""
    services = _services()
    return run(lambda: services.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


def _services():
    setup_django()
    from mechanisms.org import services

    return services


@people.command("list")
def list_people(
    text: str = typer.Option(None, "--text", help="match name, handle or email"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = AS,
    format: Format = typer.Option(Format.text, "--format"),
):
    """List people."""
    actor = _as(as_)
    page = _services().list_people(actor=actor, text=text, limit=limit, offset=offset)
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "People",
        ["handle", "name", "title", "email"],
        [(p.handle, p.name, p.title, p.email) for p in page.items],
        page_footer(page),
    )


@people.command("show")
def show_person(handle: str, as_: str = AS, format: Format = typer.Option(Format.text, "--format")):
    """Show a person with their manager chain and teams."""
    actor = _as(as_)
    services = _services()
    person = run(lambda: services.get_person_by_handle(actor=actor, handle=handle))
    chain = services.management_chain(actor=actor, person_id=person.id)
    membership = services.person_teams(actor=actor, person_id=person.id)
    team_map = services.get_teams(actor=actor, ids=[*membership.member_of, *membership.leads])
    data = {
        "person": person,
        "manager_chain": [p.handle for p in chain],
        "member_of": [team_map[t].slug for t in membership.member_of],
        "leads": [team_map[t].slug for t in membership.leads],
    }
    if format is Format.json:
        return emit_json(data)
    emit_table(
        person.name,
        ["field", "value"],
        [
            ("handle", person.handle),
            ("email", person.email),
            ("title", person.title),
            ("manager chain", " > ".join(data["manager_chain"]) or "-"),
            ("member of", ", ".join(data["member_of"]) or "-"),
            ("leads", ", ".join(data["leads"]) or "-"),
        ],
    )


@teams.command("list")
def list_teams(
    text: str = typer.Option(None, "--text"),
    org_unit: str = typer.Option(None, "--org-unit", help="org unit slug (includes its sub-units)"),
    status: str = typer.Option(None, "--status"),
    limit: int = 50,
    offset: int = 0,
    as_: str = AS,
    format: Format = typer.Option(Format.text, "--format"),
):
    """List teams with their sizes."""
    actor = _as(as_)
    services = _services()
    unit_id = None
    if org_unit:
        unit = services.find_org_unit(actor=actor, slug=org_unit)
        if unit is None:
            fail(f"no org unit {org_unit!r} (--org-unit)", 2)
        unit_id = unit.id
    page = run(
        lambda: services.list_teams(
            actor=actor,
            text=text,
            org_unit_id=unit_id,
            include_sub_units=True,
            status=status,
            limit=limit,
            offset=offset,
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "Teams",
        ["slug", "name", "status", "members"],
        [(t.slug, t.name, t.status.value, t.member_count) for t in page.items],
        page_footer(page),
    )


@teams.command("show")
def show_team(slug: str, as_: str = AS, format: Format = typer.Option(Format.text, "--format")):
    """Show a team: leader, members and size against the two-pizza rule."""
    actor = _as(as_)
    services = _services()
    team = run(lambda: services.get_team_by_slug(actor=actor, slug=slug))
    members = services.team_members(actor=actor, team_id=team.id)
    size = services.team_size(actor=actor, team_id=team.id)
    leader = services.get_people(actor=actor, ids=[team.leader_id]).get(team.leader_id) if team.leader_id else None
    data = {
        "team": team,
        "leader": leader.handle if leader else None,
        "members": [m.handle for m in members],
        "size": size.size,
        "size_level": size.level,
    }
    if format is Format.json:
        return emit_json(data)
    emit_table(
        team.name,
        ["field", "value"],
        [
            ("slug", team.slug),
            ("status", team.status.value),
            ("leader", data["leader"] or "none (breach)"),
            ("size", f"{size.size} ({size.level.value})"),
            ("members", ", ".join(data["members"])),
            ("charter", team.charter),
        ],
    )


@teams.command("rules")
def org_rules(format: Format = typer.Option(Format.text, "--format")):
    """Two-pizza and single-threaded-leader breaches across the org. Exit 1 when there is any breach."""
    report = _services().check_org_rules(actor=Actor.system("org"))
    if format is Format.json:
        emit_json(report)
    else:
        rows = [("team too large", t.slug, f"{t.size} members") for t in report.oversized]
        rows += [("team size warning", t.slug, f"{t.size} members") for t in report.size_warnings]
        rows += [("leads several teams", b.handle, f"{len(b.team_ids)} active teams") for b in report.stl_breaches]
        rows += [("no leader", t.slug, "") for t in report.leaderless]
        emit_table(f"Org rules ({report.teams_checked} teams checked)", ["rule", "subject", "detail"], rows)
    raise typer.Exit(1 if report.breach_count else 0)


@users.command("create")
def create_user(
    username: str,
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    admin: bool = typer.Option(False, "--admin", help="may change everything"),
    person: str = typer.Option(None, "--person", help="the handle of the person this account signs in as"),
):
    """Create a sign-in account (run by an operator on the server)."""
    services = _services()
    from mechanisms.kernel.actor import Actor

    person_id = None
    if person:
        found = services.find_person(actor=Actor.system("org"), handle=person)
        if found is None:
            fail(f"no person with handle {person!r} (--person)", 2)
        person_id = found.id
    account = run(
        lambda: services.create_account(
            actor=Actor.system("cli"), username=username, password=password, is_admin=admin, person_id=person_id
        )
    )
    typer.echo(f"created account {account.username}" + (" (admin)" if admin else ""))


@tokens.command("create")
def create_token(
    username: str = typer.Argument(..., help="the account (user name) the token acts as"),
    name: str = typer.Option("cli", "--name", help="a label for the token, to tell it from the others"),
):
    """Issue an API bearer token for an account; the secret is printed once."""
    services = _services()
    from mechanisms.kernel.actor import Actor

    issued = run(lambda: services.issue_api_token(actor=Actor.system("cli"), name=name, username=username))
    typer.echo(issued.secret)


# ------------------------------------------------------------------------------------------------ roles

roles = typer.Typer(
    help="Role grants: recruiter, finance, leadership over the company or an org unit.", no_args_is_help=True
)
ROLE_AS = typer.Option(None, "--as", help="act as this person's account (handle); default: the product itself")


def _roles_actor(handle: str | None):
    from mechanisms.kernel.actor import Actor

    services = _services()
    return run(lambda: services.actor_for_handle(handle=handle)) if handle else Actor.system("cli")


def _date(value: str | None, option: str):
    import datetime as dt

    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date such as 2026-01-31, not {value!r}", 2)


def _unit_id(services, slug: str | None) -> int | None:
    if not slug:
        return None
    unit = services.find_org_unit(actor=Actor.system("org"), slug=slug)
    if unit is None:
        fail(f"no org unit {slug!r} (--org-unit)", 2)
    return unit.id


@roles.command("grant")
def grant_role(
    handle: str = typer.Argument(..., help="the person's handle"),
    role: str = typer.Argument(..., help="recruiter, finance or leadership"),
    org_unit: str = typer.Option(None, "--org-unit", help="org unit slug (its subtree); default: the whole company"),
    starts_on: str = typer.Option(None, "--starts-on", help="YYYY-MM-DD (default today)"),
    ends_on: str = typer.Option(None, "--ends-on", help="YYYY-MM-DD, first day no longer in force"),
    reason: str = typer.Option("", "--reason"),
    as_: str = ROLE_AS,
    format: Format = typer.Option(Format.text, "--format"),
):
    """Grant a role (admins only)."""
    services = _services()
    actor = _roles_actor(as_)
    person = run(lambda: services.get_person_by_handle(actor=actor, handle=handle))
    grant = run(
        lambda: services.grant_role(
            actor=actor,
            person_id=person.id,
            role=role,
            org_unit_id=_unit_id(services, org_unit),
            starts_on=_date(starts_on, "--starts-on"),
            ends_on=_date(ends_on, "--ends-on"),
            reason=reason,
        )
    )
    if format is Format.json:
        return emit_json(grant)
    typer.echo(f"granted #{grant.id}: {handle} is {grant.role.value} over {org_unit or 'the whole company'}")


@roles.command("list")
def list_role_grants(
    handle: str = typer.Option(None, "--person", help="only this person's grants"),
    role: str = typer.Option(None, "--role"),
    in_force: bool = typer.Option(False, "--in-force", help="only grants in force today"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    as_: str = ROLE_AS,
    format: Format = typer.Option(Format.text, "--format"),
):
    """List the role grants you may see."""
    import datetime as dt

    services = _services()
    actor = _roles_actor(as_)
    person_id = run(lambda: services.get_person_by_handle(actor=actor, handle=handle)).id if handle else None
    page = run(
        lambda: services.list_role_grants(
            actor=actor,
            person_id=person_id,
            role=role,
            in_force_on=dt.date.today() if in_force else None,
            limit=limit,
            offset=offset,
        )
    )
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    people = services.get_people(actor=actor, ids=[g.person_id for g in page.items])
    units = services.get_org_units(actor=actor, ids=[g.org_unit_id for g in page.items if g.org_unit_id])
    emit_table(
        "Role grants",
        ["id", "person", "role", "scope", "from", "until", "version"],
        [
            (
                g.id,
                people[g.person_id].handle if g.person_id in people else g.person_id,
                g.role.value,
                units[g.org_unit_id].slug if g.org_unit_id in units else "company",
                g.starts_on,
                g.ends_on or "-",
                g.version,
            )
            for g in page.items
        ],
        page_footer(page),
    )


@roles.command("end")
def end_role_grant(
    grant_id: int = typer.Argument(..., help="the grant's id (mech roles list)"),
    version: int = typer.Option(None, "--version", help="the version you read (default: the current one)"),
    ends_on: str = typer.Option(None, "--ends-on", help="YYYY-MM-DD (default today)"),
    reason: str = typer.Option("", "--reason"),
    as_: str = ROLE_AS,
    format: Format = typer.Option(Format.text, "--format"),
):
    """End a role grant (admins only): it is no longer in force from --ends-on."""
    services = _services()
    actor = _roles_actor(as_)
    if version is None:
        version = run(lambda: services.get_role_grant(actor=actor, grant_id=grant_id)).version
    grant = run(
        lambda: services.end_role_grant(
            actor=actor, grant_id=grant_id, version=version, ends_on=_date(ends_on, "--ends-on"), reason=reason
        )
    )
    if format is Format.json:
        return emit_json(grant)
    typer.echo(f"ended #{grant.id}: not in force from {grant.ends_on}")
