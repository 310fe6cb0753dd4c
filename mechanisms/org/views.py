"""The org app's own pages: the team list, creating and editing a team, the people list (MECHANISMS.md §1).

The team and person pages are composite (other apps add panels to them) and are assembled by the shell
(`mechanisms.web`). Thin: parse, call one service, render; every rule is the org services'. Templates are in
`org/templates/org/`.
"""

from __future__ import annotations

import functools
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.pages import (
    FORM_ERRORS,
    PAGE_SIZE,
    page,
    per_request,
    person_id,
    query_int,
    query_text,
    render_composite,
    show_error,
)
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Person, SizeLevel, Team, TeamChanges, TeamStatus

from .forms import MemberAddForm, RoleGrantForm, TeamAdminForm, TeamCreateForm, TeamForm

# Service error fields -> form fields, where the names differ.
TEAM_FORM_FIELDS = {"org_unit_id": "org_unit", "leader_id": "leader", "person_id": "handle"}
TEAM_CONFLICT = "Someone else changed this team while you were editing. Reload to see their change, then edit again."


@page
def team_list(request: HttpRequest) -> HttpResponse:
    """Teams, filtered by text, org unit (with its sub-units) and status, a page at a time."""
    q = query_text(request, "q")
    units = org_services.all_org_units(actor=request.actor)
    unit_slug = query_text(request, "unit")
    unit = next((u for u in units if u.slug == unit_slug), None)
    status = request.GET.get("status") if request.GET.get("status") in {s.value for s in TeamStatus} else ""
    found = org_services.list_teams(
        actor=request.actor,
        text=q or None,
        org_unit_id=unit.id if unit else None,
        include_sub_units=True,
        status=status or None,
        limit=PAGE_SIZE,
        offset=query_int(request, "offset"),
    )
    ids = [t.id for t in found.items]
    report = org_services.check_org_rules(actor=request.actor, team_ids=ids) if ids else None
    levels = {s.team_id: s.level.value for s in (*report.oversized, *report.size_warnings)} if report else {}
    leaders = org_services.get_people(actor=request.actor, ids={t.leader_id for t in found.items})
    unit_by_id = {u.id: u for u in units}
    rows = [
        {
            "team": t,
            "level": levels.get(t.id, SizeLevel.OK.value),
            "leader": leaders.get(t.leader_id),
            "unit": unit_by_id.get(t.org_unit_id),
        }
        for t in found.items
    ]
    context = {
        "q": q,
        "units": units,
        "unit_slug": unit.slug if unit else "",
        "status": status,
        "statuses": [s.value for s in TeamStatus],
        "page": found,
        "rows": rows,
        "limits": org_services.team_limits(),
        "filtered": bool(q or unit or status),
    }
    return render(request, "org/team_list.html", context)


@page
def team_edit(request: HttpRequest, slug: str) -> HttpResponse:
    """Edit a team: members change name and charter; administrators also its leader, org unit and status."""
    actor = request.actor
    team = org_services.get_team_by_slug(actor=actor, slug=slug)
    editable = org_services.editable_team_fields(actor=actor, team_id=team.id)
    full = "leader_id" in editable  # the form with leader, org unit and status, or the one with name and charter
    unit_choices = [(u.id, u.name) for u in org_services.all_org_units(actor=actor)] if full else []
    leader = org_services.get_person(actor=actor, person_id=team.leader_id) if team.leader_id is not None else None
    initial = {
        "name": team.name,
        "charter": team.charter,
        "version": team.version,
        "leader": leader.handle if leader else "",
        "org_unit": team.org_unit_id,
        "status": team.status.value,
    }
    status = 200

    def make(data=None):
        if full:
            return TeamAdminForm(data, initial=initial, unit_choices=unit_choices)
        return TeamForm(data, initial=initial)

    if request.method == "POST":
        form = make(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            # The member-editable fields always; the admin-only ones only when they changed, so an admin's edit
            # of the charter does not re-check a leader nobody touched.
            changes: dict[str, Any] = {f: data[f] for f in TeamChanges.MEMBER_FIELDS}
            if full:
                leader_id = person_id(
                    form, "leader", data["leader"], find=functools.partial(org_services.find_person, actor=actor)
                )
                if data["org_unit"] != team.org_unit_id:
                    changes["org_unit_id"] = data["org_unit"]
                if leader_id != team.leader_id:
                    changes["leader_id"] = leader_id
                if data["status"] != team.status.value:
                    changes["status"] = data["status"]
            if not form.errors:
                try:
                    updated = org_services.update_team(
                        actor=actor, team_id=team.id, version=data["version"], changes=TeamChanges(**changes)
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields=TEAM_FORM_FIELDS, conflict=TEAM_CONFLICT)
                else:
                    return redirect("web:team", slug=updated.slug)
        if form.errors and status == 200:
            status = 400
    else:
        form = make()
    context = {"team": team, "form": form, "reload_url": request.path}
    return render(request, "org/team_form.html", context, status=status)


@page
def team_new(request: HttpRequest) -> HttpResponse:
    """Create a team (administrators)."""
    actor = request.actor
    org_services.require_admin(actor, "create teams")
    unit_choices = [(u.id, u.name) for u in org_services.all_org_units(actor=actor)]
    status = 200
    if request.method == "POST":
        form = TeamCreateForm(request.POST, unit_choices=unit_choices)
        if form.is_valid():
            data = form.cleaned_data
            leader_id = person_id(
                form, "leader", data["leader"], find=functools.partial(org_services.find_person, actor=request.actor)
            )
            if not form.errors:
                try:
                    team = org_services.create_team(
                        actor=actor,
                        slug=data["slug"],
                        name=data["name"],
                        org_unit_id=data["org_unit"],
                        charter=data["charter"],
                        leader_id=leader_id,
                        status=data["status"],
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields=TEAM_FORM_FIELDS)
                else:
                    return redirect("web:team", slug=team.slug)
        if form.errors and status == 200:
            status = 400
    else:
        unit = (
            org_services.find_org_unit(actor=actor, slug=query_text(request, "unit"))
            if request.GET.get("unit")
            else None
        )
        form = TeamCreateForm(initial={"org_unit": unit.id if unit else None}, unit_choices=unit_choices)
    return render(request, "org/team_form.html", {"team": None, "form": form}, status=status)


@page
def person_list(request: HttpRequest) -> HttpResponse:
    q = query_text(request, "q")
    found = org_services.list_people(
        actor=request.actor, text=q or None, limit=PAGE_SIZE, offset=query_int(request, "offset")
    )
    managers = org_services.get_people(actor=request.actor, ids={p.manager_id for p in found.items})
    rows = [{"person": p, "manager": managers.get(p.manager_id)} for p in found.items]
    return render(request, "org/person_list.html", {"q": q, "page": found, "rows": rows})


@require_POST
@page
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a member by handle; on a field error the team page comes back with the error next to the field."""
    team = org_services.get_team_by_slug(actor=request.actor, slug=slug)
    form = MemberAddForm(request.POST)
    status = 400
    if form.is_valid():
        member_id = person_id(
            form,
            "handle",
            form.cleaned_data["handle"],
            find=functools.partial(org_services.find_person, actor=request.actor),
        )
        if member_id is not None:
            try:
                org_services.add_member(actor=request.actor, team_id=team.id, person_id=member_id)
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields=TEAM_FORM_FIELDS)
            else:
                return redirect("web:team", slug=team.slug)
    team = org_services.get_team(actor=request.actor, team_id=team.id)
    return render_composite(request, "team", team, title=team.name, member_form=form, status=status)


@require_POST
@page
def member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    team = org_services.get_team_by_slug(actor=request.actor, slug=slug)
    membership = org_services.get_membership(actor=request.actor, membership_id=membership_id)
    if membership.team_id != team.id:
        raise NotFound(f"membership {membership_id} is not on team {team.slug}", field="membership_id")
    org_services.remove_member(actor=request.actor, membership_id=membership.id)
    return redirect("web:team", slug=team.slug)


# ---------------------------------------------------------------------------------------------- panels
# What org adds to the composite team and person pages (declared in apps.py, drawn by the shell).


def can_change(request: HttpRequest, team_id: int) -> bool:
    """May the viewer change this team (and what it owns)? Asked by several panels of a page, answered once."""
    key = f"org.can_change_team:{team_id}"
    return per_request(request, key, lambda: org_services.can_change_team(actor=request.actor, team_id=team_id))


def team_head_panel(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any]:
    units = {u.id: u for u in org_services.all_org_units(actor=request.actor)}
    unit_path, unit_id = [], team.org_unit_id
    while unit_id in units and len(unit_path) < 32:  # the tree refuses cycles; the bound only guards bad data
        unit_path.insert(0, units[unit_id])
        unit_id = units[unit_id].parent_id
    return {"team": team, "unit_path": unit_path}


def team_edit_action(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any] | None:
    return {"team": team} if can_change(request, team.id) else None


def team_charter_panel(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any]:
    return {"team": team, "can_change": can_change(request, team.id)}


def team_members_panel(
    request: HttpRequest, team: Team, *, member_form: MemberAddForm | None = None, **bound: Any
) -> dict[str, Any]:
    """The leader, the two-pizza size and the members, with the add form for those who may change the team."""
    memberships = org_services.list_memberships(actor=request.actor, team_id=team.id, limit=200).items
    people = org_services.get_people(actor=request.actor, ids={m.person_id for m in memberships} | {team.leader_id})
    members = [
        {"membership": m, "person": people[m.person_id], "is_leader": m.person_id == team.leader_id}
        for m in memberships
        if m.person_id in people
    ]
    changeable = can_change(request, team.id)
    return {
        "team": team,
        "leader": people.get(team.leader_id) if team.leader_id is not None else None,
        "leader_is_member": any(m["is_leader"] for m in members),
        "members": members,
        "size": org_services.team_size(actor=request.actor, team_id=team.id),
        "limits": org_services.team_limits(),
        "can_change": changeable,
        "can_add_members": changeable and team.status != TeamStatus.DISSOLVED,
        "member_form": member_form or MemberAddForm(),
    }


def _chain(request: HttpRequest, person: Person) -> list[Person]:
    return per_request(
        request,
        f"org.chain:{person.id}",
        lambda: org_services.management_chain(actor=request.actor, person_id=person.id),
    )


def person_head_panel(request: HttpRequest, person: Person, **bound: Any) -> dict[str, Any]:
    return {"person": person, "chain": list(reversed(_chain(request, person)))}


def person_teams_panel(request: HttpRequest, person: Person, **bound: Any) -> dict[str, Any]:
    """The teams they belong to and lead (a leader of several active teams is a breach), their chain, reports."""
    their_teams = org_services.person_teams(actor=request.actor, person_id=person.id)
    teams = org_services.get_teams(actor=request.actor, ids={*their_teams.member_of, *their_teams.leads})
    by_name = sorted(teams.values(), key=lambda t: t.name)
    leads, member_of = set(their_teams.leads), set(their_teams.member_of)
    return {
        "person": person,
        "chain": list(reversed(_chain(request, person))),
        "reports": org_services.list_people(actor=request.actor, manager_id=person.id, limit=200),
        "member_of": [t for t in by_name if t.id in member_of],
        "leads": [t for t in by_name if t.id in leads],
        "leads_live": [t for t in by_name if t.id in leads and t.status == TeamStatus.ACTIVE],
    }


# ---------------------------------------------------------------------------------------------- role grants

GRANT_FORM_FIELDS = {"person_id": "handle", "org_unit_id": "org_unit"}


@page
def role_grants(request: HttpRequest) -> HttpResponse:
    """The grants the signed-in person may see; an admin also gets the grant form (POST here grants)."""
    actor = request.actor
    form = RoleGrantForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        person = org_services.find_person(actor=actor, handle=data["handle"])
        unit = org_services.find_org_unit(actor=actor, slug=data["org_unit"]) if data["org_unit"] else None
        if person is None:
            form.add_error("handle", f"no person with handle {data['handle']!r}")
        elif data["org_unit"] and unit is None:
            form.add_error("org_unit", f"no org unit {data['org_unit']!r}")
        else:
            try:
                grant = org_services.grant_role(
                    actor=actor,
                    person_id=person.id,
                    role=data["role"],
                    org_unit_id=unit.id if unit else None,
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    reason=data["reason"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields=GRANT_FORM_FIELDS)
            else:
                messages.success(request, f"{person.handle} is {grant.role.value} (grant {grant.id}).")
                return redirect("web:roles")
        status = 400 if status == 200 else status
    elif request.method == "POST":
        status = 400
    found = org_services.list_role_grants(actor=actor, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    people = org_services.get_people(actor=actor, ids=[g.person_id for g in found.items])
    units = org_services.get_org_units(actor=actor, ids=[g.org_unit_id for g in found.items if g.org_unit_id])
    can_grant = org_services.can_grant_role(actor=actor)
    rows = [
        {
            "grant": g,
            "person": people.get(g.person_id),
            "unit": units.get(g.org_unit_id) if g.org_unit_id else None,
            "can_end": can_grant and g.ends_on is None,
        }
        for g in found.items
    ]
    context = {"page": found, "rows": rows, "form": form if can_grant else None}
    return render(request, "org/role_grants.html", context, status=status)


@require_POST
@page
def role_grant_end(request: HttpRequest, grant_id: int) -> HttpResponse:
    """End one grant today (admins); back to the list."""
    version = _int(request.POST.get("version"))
    grant = org_services.end_role_grant(
        actor=request.actor, grant_id=grant_id, version=version or 0, reason=request.POST.get("reason", "")[:2000]
    )
    messages.success(request, f"Grant {grant.id} ended: not in force from {grant.ends_on}.")
    return redirect("web:roles")


def _int(value: str | None) -> int | None:
    try:
        return int(value or "")
    except ValueError:
        return None


# ---------------------------------------------------------------------------------------------- search
# The search page's teams and people (kernel.mounts.SearchKind, declared in apps.py): the directory is open to every
# signed-in person, so each section lists what the org services return for the viewer.


def search_teams(actor, text: str, limit: int, offset: int | None):
    from mechanisms.kernel.mounts import SearchHits

    found = org_services.list_teams(actor=actor, text=text, limit=limit, offset=offset)
    return SearchHits(page=found, template="org/_search_team.html", more_url="/teams")


def search_people(actor, text: str, limit: int, offset: int | None):
    from mechanisms.kernel.mounts import SearchHits

    found = org_services.list_people(actor=actor, text=text, limit=limit, offset=offset)
    return SearchHits(page=found, template="org/_search_person.html", more_url="/people")
