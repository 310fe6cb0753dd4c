"""CLI of the org app: people, teams, org rules, accounts and tokens. Thin: parse, call services, print."""

from __future__ import annotations

import typer

from mechanisms.kernel.cli import Format, emit_json, emit_table, fail, page_footer, run, setup_django

people = typer.Typer(help="People and their reporting lines.", no_args_is_help=True)
teams = typer.Typer(help="Two-pizza teams and the org rules.", no_args_is_help=True)
users = typer.Typer(help="Sign-in accounts.", no_args_is_help=True)
tokens = typer.Typer(help="API bearer tokens.", no_args_is_help=True)


def _services():
    setup_django()
    from mechanisms.org import services

    return services


@people.command("list")
def list_people(
    text: str = typer.Option(None, "--text", help="match name, handle or email"),
    limit: int = typer.Option(50, help="page size (max 200)"),
    offset: int = 0,
    format: Format = typer.Option(Format.text, "--format"),
):
    """List people."""
    page = _services().list_people(text=text, limit=limit, offset=offset)
    if format is Format.json:
        return emit_json({"items": page.items, "total": page.total, "limit": page.limit, "offset": page.offset})
    emit_table(
        "People",
        ["handle", "name", "title", "email"],
        [(p.handle, p.name, p.title, p.email) for p in page.items],
        page_footer(page),
    )


@people.command("show")
def show_person(handle: str, format: Format = typer.Option(Format.text, "--format")):
    """Show a person with their manager chain and teams."""
    services = _services()
    person = run(lambda: services.get_person_by_handle(handle=handle))
    chain = services.management_chain(person_id=person.id)
    membership = services.person_teams(person_id=person.id)
    team_map = services.get_teams(ids=[*membership.member_of, *membership.leads])
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
            ("bar raiser", f"since {person.bar_raiser_since}" if person.bar_raiser_since else "no"),
        ],
    )


@teams.command("list")
def list_teams(
    text: str = typer.Option(None, "--text"),
    org_unit: str = typer.Option(None, "--org-unit", help="org unit slug (includes its sub-units)"),
    status: str = typer.Option(None, "--status"),
    limit: int = 50,
    offset: int = 0,
    format: Format = typer.Option(Format.text, "--format"),
):
    """List teams with their sizes."""
    services = _services()
    unit_id = None
    if org_unit:
        unit = services.find_org_unit(slug=org_unit)
        if unit is None:
            fail(f"no org unit {org_unit!r} (--org-unit)", 2)
        unit_id = unit.id
    page = run(
        lambda: services.list_teams(
            text=text, org_unit_id=unit_id, include_sub_units=True, status=status, limit=limit, offset=offset
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
def show_team(slug: str, format: Format = typer.Option(Format.text, "--format")):
    """Show a team: leader, members and size against the two-pizza rule."""
    services = _services()
    team = run(lambda: services.get_team_by_slug(slug=slug))
    members = services.team_members(team_id=team.id)
    size = services.team_size(team_id=team.id)
    leader = services.get_people(ids=[team.leader_id]).get(team.leader_id) if team.leader_id else None
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
    report = _services().check_org_rules()
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
        found = services.find_person(handle=person)
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
