"""The catalog app's own pages: the service list, registering and editing a service (MECHANISMS.md §2).

The service page is composite (other apps add panels to it) and is assembled by the shell (`mechanisms.web`).
Thin: parse, call one service, render; every rule is the catalog and org services'. Templates are in
`catalog/templates/catalog/`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import Lifecycle
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, query_int, query_text, show_error
from mechanisms.org import services as org_services
from mechanisms.org.contracts import LIVE_TEAM_STATUSES

from .forms import ServiceCreateForm, ServiceForm

SERVICE_FORM_FIELDS = {"owner_team_id": "owner_team"}
SERVICE_CONFLICT = (
    "Someone else changed this service while you were editing. Reload to see their change, then edit again."
)


@page
def service_list(request: HttpRequest) -> HttpResponse:
    """Services, filtered by text, owning team (slug) and lifecycle, a page at a time."""
    q = query_text(request, "q")
    team_slug = query_text(request, "team", max_length=64)
    team = org_services.find_team(slug=team_slug) if team_slug else None
    lifecycle = request.GET.get("lifecycle") if request.GET.get("lifecycle") in {x.value for x in Lifecycle} else ""
    if team_slug and team is None:
        found = None
    else:
        found = catalog_services.list_services(
            text=q or None,
            team_id=team.id if team else None,
            lifecycle=lifecycle or None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
        )
    teams = org_services.get_teams(ids={s.owner_team_id for s in found.items}) if found else {}
    context = {
        "q": q,
        "team_slug": team_slug,
        "team": team,
        "unknown_team": bool(team_slug and team is None),
        "lifecycle": lifecycle,
        "lifecycles": [x.value for x in Lifecycle],
        "page": found,
        "rows": [{"service": s, "team": teams.get(s.owner_team_id)} for s in found.items] if found else [],
        "filtered": bool(q or team_slug or lifecycle),
    }
    return render(request, "catalog/service_list.html", context)


@page
def service_edit(request: HttpRequest, name: str) -> HttpResponse:
    """Edit a service (owning team's members and administrators); a stale version is refused with a reload hint."""
    service = catalog_services.get_service_by_name(name=name)
    org_services.require_team_change(actor=request.actor, team_id=service.owner_team_id, what="change this service")
    status = 200
    if request.method == "POST":
        form = ServiceForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                updated = catalog_services.update_service(
                    actor=request.actor, service_id=service.id, version=version, **data
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields=SERVICE_FORM_FIELDS, conflict=SERVICE_CONFLICT)
            else:
                return redirect("web:service", name=updated.name)
        else:
            status = 400
    else:
        form = ServiceForm(
            initial={
                "name": service.name,
                "title": service.title,
                "description": service.description,
                "lifecycle": service.lifecycle.value,
                "tier": service.tier,
                "repository": service.repository,
                "on_call": service.on_call,
                "version": service.version,
            }
        )
    owner = org_services.get_team(team_id=service.owner_team_id)
    context = {"service": service, "owner": owner, "form": form, "reload_url": request.path}
    return render(request, "catalog/service_form.html", context, status=status)


@page
def service_new(request: HttpRequest) -> HttpResponse:
    """Register a service, owned by one of the teams the author may change."""
    actor = request.actor
    if actor.is_admin:
        teams = [t for t in org_services.team_index() if t.status in LIVE_TEAM_STATUSES]
    else:
        theirs = org_services.person_teams(person_id=actor.person_id) if actor.person_id is not None else None
        ids = {*theirs.member_of, *theirs.leads} if theirs else set()
        mine = org_services.get_teams(ids=ids).values()
        teams = sorted((t for t in mine if t.status in LIVE_TEAM_STATUSES), key=lambda t: t.name)
    if not teams:
        raise PermissionDenied(
            "you are not a member of any active team; only members of a team or an admin may register a service for it"
        )
    choices = [(t.id, t.name) for t in teams]
    status = 200
    if request.method == "POST":
        form = ServiceCreateForm(request.POST, team_choices=choices)
        if form.is_valid():
            data = dict(form.cleaned_data)
            owner_team_id = data.pop("owner_team")
            try:
                created = catalog_services.create_service(actor=actor, owner_team_id=owner_team_id, **data)
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields=SERVICE_FORM_FIELDS)
            else:
                return redirect("web:service", name=created.name)
        else:
            status = 400
    else:
        team_slug = query_text(request, "team", max_length=64)
        wanted = org_services.find_team(slug=team_slug) if team_slug else None
        form = ServiceCreateForm(
            team_choices=choices,
            initial={"owner_team": wanted.id if wanted else None, "lifecycle": Lifecycle.EXPERIMENTAL.value, "tier": 3},
        )
    return render(request, "catalog/service_form.html", {"service": None, "form": form}, status=status)
