"""The org app's own pages: the team list, creating and editing a team, the people list (MECHANISMS.md §1).

The team and person pages are composite (other apps add panels to them) and are assembled by the shell
(`mechanisms.web`). Thin: parse, call one service, render; every rule is the org services'. Templates are in
`org/templates/org/`.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, person_id, query_int, query_text, show_error
from mechanisms.org import services as org_services
from mechanisms.org.contracts import SizeLevel, TeamStatus

from .forms import TeamAdminForm, TeamCreateForm, TeamForm

# Service error fields -> form fields, where the names differ.
TEAM_FORM_FIELDS = {"org_unit_id": "org_unit", "leader_id": "leader", "person_id": "handle"}
TEAM_CONFLICT = "Someone else changed this team while you were editing. Reload to see their change, then edit again."


@page
def team_list(request: HttpRequest) -> HttpResponse:
    """Teams, filtered by text, org unit (with its sub-units) and status, a page at a time."""
    q = query_text(request, "q")
    units = org_services.all_org_units()
    unit_slug = query_text(request, "unit")
    unit = next((u for u in units if u.slug == unit_slug), None)
    status = request.GET.get("status") if request.GET.get("status") in {s.value for s in TeamStatus} else ""
    found = org_services.list_teams(
        text=q or None,
        org_unit_id=unit.id if unit else None,
        include_sub_units=True,
        status=status or None,
        limit=PAGE_SIZE,
        offset=query_int(request, "offset"),
    )
    ids = [t.id for t in found.items]
    report = org_services.check_org_rules(team_ids=ids) if ids else None
    levels = {s.team_id: s.level.value for s in (*report.oversized, *report.size_warnings)} if report else {}
    leaders = org_services.get_people(ids={t.leader_id for t in found.items})
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
    team = org_services.get_team_by_slug(slug=slug)
    actor = request.actor
    org_services.require_team_change(actor=actor, team_id=team.id, what="change this team")
    unit_choices = [(u.id, u.name) for u in org_services.all_org_units()] if actor.is_admin else []
    leader = org_services.get_person(person_id=team.leader_id) if team.leader_id is not None else None
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
        if actor.is_admin:
            return TeamAdminForm(data, initial=initial, unit_choices=unit_choices)
        return TeamForm(data, initial=initial)

    if request.method == "POST":
        form = make(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            changes: dict[str, Any] = {"name": data["name"], "charter": data["charter"]}
            if actor.is_admin:
                leader_id = person_id(form, "leader", data["leader"], find=org_services.find_person)
                if data["org_unit"] != team.org_unit_id:
                    changes["org_unit_id"] = data["org_unit"]
                if leader_id != team.leader_id:
                    changes["leader_id"] = leader_id
                if data["status"] != team.status.value:
                    changes["status"] = data["status"]
            if not form.errors:
                try:
                    updated = org_services.update_team(actor=actor, team_id=team.id, version=data["version"], **changes)
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
    unit_choices = [(u.id, u.name) for u in org_services.all_org_units()]
    status = 200
    if request.method == "POST":
        form = TeamCreateForm(request.POST, unit_choices=unit_choices)
        if form.is_valid():
            data = form.cleaned_data
            leader_id = person_id(form, "leader", data["leader"], find=org_services.find_person)
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
        unit = org_services.find_org_unit(slug=query_text(request, "unit")) if request.GET.get("unit") else None
        form = TeamCreateForm(initial={"org_unit": unit.id if unit else None}, unit_choices=unit_choices)
    return render(request, "org/team_form.html", {"team": None, "form": form}, status=status)


@page
def person_list(request: HttpRequest) -> HttpResponse:
    q = query_text(request, "q")
    found = org_services.list_people(text=q or None, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    managers = org_services.get_people(ids={p.manager_id for p in found.items})
    rows = [{"person": p, "manager": managers.get(p.manager_id)} for p in found.items]
    return render(request, "org/person_list.html", {"q": q, "page": found, "rows": rows})
