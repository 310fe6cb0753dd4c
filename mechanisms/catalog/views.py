"""The catalog app's own pages: the service list, registering and editing a service (MECHANISMS.md §2).

The service page is composite (other apps add panels to it) and is assembled by the shell (`mechanisms.web`).
Thin: parse, call one service, render; every rule is the catalog and org services'. Templates are in
`catalog/templates/catalog/`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import DependencyKind, Lifecycle, Service, ServiceChanges
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied
from mechanisms.kernel.pages import (
    FORM_ERRORS,
    PAGE_SIZE,
    page,
    per_request,
    query_int,
    query_text,
    render_composite,
    show_error,
)
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Team, TeamStatus

from .forms import DatastoreForm, DependencyForm, InterfaceForm, ServiceCreateForm, ServiceForm

TEAMS_IN_A_SELECT = 50  # more teams than this to choose from (an admin's thousands): the owning team is typed
SERVICE_FORM_FIELDS = {"owner_team_id": "owner_team"}
DEPENDENCY_FORM_FIELDS = {"interface_id": "target", "datastore_id": "target", "target_service_id": "target"}
SERVICE_CONFLICT = (
    "Someone else changed this service while you were editing. Reload to see their change, then edit again."
)


@page
def service_list(request: HttpRequest) -> HttpResponse:
    """Services, filtered by text, owning team (slug) and lifecycle, a page at a time."""
    q = query_text(request, "q")
    team_slug = query_text(request, "team", max_length=64)
    team = org_services.find_team(actor=request.actor, slug=team_slug) if team_slug else None
    lifecycle = request.GET.get("lifecycle") if request.GET.get("lifecycle") in {x.value for x in Lifecycle} else ""
    if team_slug and team is None:
        found = None
    else:
        found = catalog_services.list_services(
            actor=request.actor,
            text=q or None,
            team_id=team.id if team else None,
            lifecycle=lifecycle or None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
        )
    teams = org_services.get_teams(actor=request.actor, ids={s.owner_team_id for s in found.items}) if found else {}
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
    service = catalog_services.get_service_by_name(actor=request.actor, name=name)
    org_services.require_team_change(actor=request.actor, team_id=service.owner_team_id, what="change this service")
    status = 200
    if request.method == "POST":
        form = ServiceForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            version = data.pop("version")
            try:
                updated = catalog_services.update_service(
                    actor=request.actor, service_id=service.id, version=version, changes=ServiceChanges(**data)
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
    owner = org_services.get_team(actor=request.actor, team_id=service.owner_team_id)
    context = {"service": service, "owner": owner, "form": form, "reload_url": request.path}
    return render(request, "catalog/service_form.html", context, status=status)


@page
def service_new(request: HttpRequest) -> HttpResponse:
    """Register a service, owned by one of the teams the author may change."""
    actor = request.actor
    teams = org_services.live_teams_changeable_by(actor=actor)
    if not teams:
        raise PermissionDenied(
            "you are not a member of any active team; only members of a team or an admin may register a service for it"
        )
    choices = [(t.id, t.name) for t in teams] if len(teams) <= TEAMS_IN_A_SELECT else None
    status = 200
    if request.method == "POST":
        form = ServiceCreateForm(request.POST, team_choices=choices)
        owner_team_id = None
        if form.is_valid():
            data = dict(form.cleaned_data)
            owner_team_id = data.pop("owner_team")
            if choices is None:
                # Only the slug is resolved here; whether this author may register for the team is the service's say.
                found = org_services.find_team(actor=actor, slug=owner_team_id)
                if found is None:
                    form.add_error("owner_team", f"There is no team with the slug {owner_team_id!r}.")
                owner_team_id = found.id if found else None
        if form.is_valid():
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
        wanted = org_services.find_team(actor=actor, slug=team_slug) if team_slug else None
        form = ServiceCreateForm(
            team_choices=choices,
            initial={
                "owner_team": _owner_initial(wanted, typed=choices is None),
                "lifecycle": Lifecycle.EXPERIMENTAL.value,
                "tier": 3,
            },
        )
    return render(request, "catalog/service_form.html", {"service": None, "form": form}, status=status)


def _owner_initial(team: Team | None, *, typed: bool) -> int | str | None:
    """The owning team the page starts with (`?team=`): its slug when typed, its id in a select."""
    if team is None:
        return None
    return team.slug if typed else team.id


# ---------------------------------------------------------------------------------------------- parts of a service


def _add_part(request: HttpRequest, name: str, form_class, prefix: str, create) -> HttpResponse:
    """Post a part of a service (an interface, a datastore) to its create service, showing errors in place."""
    service = catalog_services.get_service_by_name(actor=request.actor, name=name)
    form = form_class(request.POST, prefix=prefix)
    status = 400
    if form.is_valid():
        try:
            create(service, form.cleaned_data)
        except FORM_ERRORS as exc:
            status = show_error(form, exc)
        else:
            return redirect("web:service", name=service.name)
    return render_composite(
        request, "service", service, title=service.name, status=status, open_form=prefix, **{f"{prefix}_form": form}
    )


@require_POST
@page
def interface_add(request: HttpRequest, name: str) -> HttpResponse:
    return _add_part(
        request,
        name,
        InterfaceForm,
        "interface",
        lambda service, data: catalog_services.create_interface(actor=request.actor, service_id=service.id, **data),
    )


@require_POST
@page
def datastore_add(request: HttpRequest, name: str) -> HttpResponse:
    return _add_part(
        request,
        name,
        DatastoreForm,
        "datastore",
        lambda service, data: catalog_services.create_datastore(
            actor=request.actor, owner_service_id=service.id, **data
        ),
    )


@require_POST
@page
def dependency_add(request: HttpRequest, name: str) -> HttpResponse:
    """Record what this service depends on, naming the interface, datastore or service by its name."""
    service = catalog_services.get_service_by_name(actor=request.actor, name=name)
    form = DependencyForm(request.POST, prefix="dependency")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        target = _dependency_target(request.actor, form, data["kind"], data["target"])
        if target is not None:
            try:
                catalog_services.add_dependency(
                    actor=request.actor,
                    service_id=service.id,
                    kind=data["kind"],
                    access=data["access"],
                    description=data["description"],
                    **target,
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields=DEPENDENCY_FORM_FIELDS)
            else:
                return redirect("web:service", name=service.name)
    return render_composite(
        request, "service", service, title=service.name, status=status, open_form="dependency", dependency_form=form
    )


@require_POST
@page
def dependency_remove(request: HttpRequest, name: str, dependency_id: int) -> HttpResponse:
    service = catalog_services.get_service_by_name(actor=request.actor, name=name)
    dependency = catalog_services.get_dependency(actor=request.actor, dependency_id=dependency_id)
    if dependency.service_id != service.id:
        raise NotFound(f"dependency {dependency_id} is not an edge of {service.name}", field="dependency_id")
    catalog_services.remove_dependency(actor=request.actor, dependency_id=dependency.id, version=dependency.version)
    return redirect("web:service", name=service.name)


def _dependency_target(actor: Actor, form: forms.Form, kind: str, name: str) -> dict[str, int] | None:
    """The id argument for add_dependency, found by name; an unknown name is an error on the target field."""
    name = name.strip().lower()
    if kind == DependencyKind.CONSUMES:
        found, what, key = catalog_services.find_interface(actor=actor, name=name), "interface", "interface_id"
    elif kind == DependencyKind.ACCESSES:
        found, what, key = catalog_services.find_datastore(actor=actor, name=name), "datastore", "datastore_id"
    else:
        found, what, key = catalog_services.find_service(actor=actor, name=name), "service", "target_service_id"
    if found is None:
        form.add_error("target", f"no {what} is named {name!r}")
        return None
    return {key: found.id}


# ---------------------------------------------------------------------------------------------- panels
# What catalog adds to the composite team and service pages (declared in apps.py, drawn by the shell).


def _can_change(request: HttpRequest, team_id: int) -> bool:
    key = f"org.can_change_team:{team_id}"
    return per_request(request, key, lambda: org_services.can_change_team(actor=request.actor, team_id=team_id))


def team_services_panel(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any]:
    return {
        "team": team,
        "services": catalog_services.services_owned_by(actor=request.actor, team_ids=[team.id], include_retired=True),
    }


def team_dependencies_panel(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any]:
    """The teams this team depends on and that depend on it, rolled up from the services' edges."""
    edges = catalog_services.team_edges(actor=request.actor, team_id=team.id)
    others = org_services.get_teams(
        actor=request.actor, ids={e.to_team_id for e in edges} | {e.from_team_id for e in edges}
    )
    return {
        "team": team,
        "depends_on": [{"edge": e, "team": others.get(e.to_team_id)} for e in edges if e.from_team_id == team.id],
        "depended_on_by": [{"edge": e, "team": others.get(e.from_team_id)} for e in edges if e.to_team_id == team.id],
    }


def team_new_service_action(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any] | None:
    if team.status == TeamStatus.DISSOLVED or not _can_change(request, team.id):
        return None
    return {"team": team}


def _detail(request: HttpRequest, service: Service) -> dict[str, Any]:
    """The service with its parts, edges and ownership, and the teams they name: read once for every panel."""

    def read() -> dict[str, Any]:
        detail = catalog_services.service_detail(actor=request.actor, service_id=service.id)
        related = {s.id: s for s in (*detail.dependency_services, *detail.consumer_services)}
        teams = org_services.get_teams(
            actor=request.actor,
            ids={detail.service.owner_team_id}
            | {s.owner_team_id for s in related.values()}
            | {p.team_id for p in detail.ownership},
        )
        return {"detail": detail, "related": related, "teams": teams}

    return per_request(request, f"catalog.service_detail:{service.id}", read)


def service_head_panel(request: HttpRequest, service: Service, **bound: Any) -> dict[str, Any]:
    read = _detail(request, service)
    service = read["detail"].service
    return {"service": service, "owner": read["teams"].get(service.owner_team_id)}


def service_edit_action(request: HttpRequest, service: Service, **bound: Any) -> dict[str, Any] | None:
    return {"service": service} if _can_change(request, service.owner_team_id) else None


def service_parts_panel(
    request: HttpRequest,
    service: Service,
    *,
    interface_form: forms.Form | None = None,
    datastore_form: forms.Form | None = None,
    dependency_form: forms.Form | None = None,
    open_form: str = "",
    **bound: Any,
) -> dict[str, Any]:
    """Owner, lifecycle, interfaces, datastores, what it depends on and who depends on it; the add forms for
    those allowed (a form posted back with errors comes back open, with them)."""
    read = _detail(request, service)
    detail, related, teams = read["detail"], read["related"], read["teams"]
    service = detail.service

    def other_end(service_id: int | None) -> dict[str, Any]:
        other = related.get(service_id) if service_id is not None else None
        team = teams.get(other.owner_team_id) if other else None
        return {"service": other, "team": team, "other_team": bool(team and team.id != service.owner_team_id)}

    return {
        "service": service,
        "owner": teams.get(service.owner_team_id),
        "interfaces": detail.interfaces,
        "datastores": detail.datastores,
        "dependencies": [{"dep": d, **other_end(d.target_owner_service_id)} for d in detail.dependencies],
        "consumers": [{"dep": d, **other_end(d.service_id)} for d in detail.consumers],
        "can_change": _can_change(request, service.owner_team_id),
        "interface_form": interface_form or InterfaceForm(prefix="interface"),
        "datastore_form": datastore_form or DatastoreForm(prefix="datastore"),
        "dependency_form": dependency_form or DependencyForm(prefix="dependency"),
        "open_form": open_form,
    }


def service_ownership_panel(request: HttpRequest, service: Service, **bound: Any) -> dict[str, Any]:
    read = _detail(request, service)
    return {"ownership": [{"period": p, "team": read["teams"].get(p.team_id)} for p in read["detail"].ownership]}


# ---------------------------------------------------------------------------------------------- search
# The search page's services and interfaces (kernel.mounts.SearchKind, declared in apps.py), as the catalog
# services return them for the viewer; each item carries the names its line shows.


def search_services(actor: Actor, text: str, limit: int, offset: int | None):
    from mechanisms.kernel.mounts import SearchHits

    found = catalog_services.list_services(actor=actor, text=text, limit=limit, offset=offset)
    teams = org_services.get_teams(actor=actor, ids={s.owner_team_id for s in found.items})
    page = found.map(lambda s: {"service": s, "team": teams.get(s.owner_team_id)})
    return SearchHits(page=page, template="catalog/_search_service.html", more_url="/services")


def search_interfaces(actor: Actor, text: str, limit: int, offset: int | None):
    from mechanisms.kernel.mounts import SearchHits

    found = catalog_services.list_interfaces(actor=actor, text=text, limit=limit, offset=offset)
    services = catalog_services.get_services(actor=actor, ids={i.service_id for i in found.items})
    page = found.map(lambda i: {"interface": i, "service": services.get(i.service_id)})
    return SearchHits(page=page, template="catalog/_search_interface.html")
