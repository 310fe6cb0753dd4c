"""The pages, composed here because web is the top layer (DESIGN.md §3 layers: a team page reads org, catalog and
audit; org may not import catalog). Sign-in, home, search, teams, people and services; the templates of team and
person pages live in `org/templates/org/`, of service pages in `catalog/templates/catalog/`.

The few helpers every page uses:

- `page`: the page must be signed in to; a service's `NotFound`/`PermissionDenied`/... becomes a 404/403/...
  page that says why (the one place kernel errors are mapped to pages);
- `show_error`: a service error shown next to the form field it names, with the HTTP status to answer;
- `history_rows`: audit records in plain words, ids resolved to names in a few batch reads;
- `query_int` / `query_text`: tolerant parsing of query parameters.

Views are thin: parse, call services, render. No rule lives here.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import ChangeRecord
from mechanisms.away_teams import services as away_services
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import DependencyKind, Lifecycle, Service, ServiceChanges
from mechanisms.kernel.errors import Conflict, DomainError, NotFound, PermissionDenied, RuleViolation
from mechanisms.org import services as org_services
from mechanisms.org.contracts import SizeLevel, Team, TeamChanges, TeamStatus

from .forms import (
    DatastoreForm,
    DependencyForm,
    InterfaceForm,
    MemberAddForm,
    ServiceCreateForm,
    ServiceForm,
    TeamAdminForm,
    TeamCreateForm,
    TeamForm,
)

# Errors a form shows next to its fields; NotFound and PermissionDenied become whole error pages instead.
FORM_ERRORS = (RuleViolation, Conflict)

ERROR_TITLES = {
    400: "That did not work",
    403: "You may not do this",
    404: "Not found",
    409: "Someone else changed this",
}

HISTORY_LIMIT = 20
PAGE_SIZE = 50
LIVE_STATUSES = (TeamStatus.FORMING, TeamStatus.ACTIVE)

# Service error fields -> form fields, where the names differ.
TEAM_FORM_FIELDS = {"org_unit_id": "org_unit", "leader_id": "leader", "person_id": "handle"}
SERVICE_FORM_FIELDS = {"owner_team_id": "owner_team"}
DEPENDENCY_FORM_FIELDS = {"interface_id": "target", "datastore_id": "target", "target_service_id": "target"}
TEAM_CONFLICT = "Someone else changed this team while you were editing. Reload to see their change, then edit again."
SERVICE_CONFLICT = (
    "Someone else changed this service while you were editing. Reload to see their change, then edit again."
)


# ---------------------------------------------------------------------------------------------- helpers


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate every page view: anonymous callers go to sign-in; a service error becomes a page that says why."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return error_page(request, exc)

    return wrapped


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The page for a service error: its status, a title, and the service's own message (the reason)."""
    status = exc.http_status
    context = {"status": status, "title": ERROR_TITLES.get(status, "That did not work"), "message": exc.message}
    return render(request, "web/error.html", context, status=status)


def show_error(
    form: forms.Form,
    exc: DomainError,
    *,
    fields: Mapping[str, str] | None = None,
    conflict: str | None = None,
) -> int:
    """Show a service error next to the form field it names (`fields` maps service names to form names), or
    above the form; return the HTTP status to answer with (400, or 409 for a conflict).

    A stale version shows `conflict` (plain words and a reload hint) instead of the technical message."""
    if isinstance(exc, Conflict) and exc.field == "version" and conflict:
        form.add_error(None, conflict)
        return 409
    name = (fields or {}).get(exc.field or "", exc.field)
    if name and name in form.fields and not form.fields[name].widget.is_hidden:
        form.add_error(name, exc.message)
    else:
        form.add_error(None, exc.message)
    return exc.http_status


def query_text(request: HttpRequest, name: str, *, max_length: int = 200) -> str:
    return (request.GET.get(name) or "").strip()[:max_length]


def query_int(request: HttpRequest, name: str) -> int | None:
    """An integer query parameter, or None when absent or not a number (a bad filter is ignored, not a 500)."""
    value = (request.GET.get(name) or "").strip()
    try:
        return int(value) if value else None
    except ValueError:
        return None


# What each verb reads like in a history list.
VERBS = {
    "create": "created",
    "update": "changed",
    "delete": "removed",
    "add_member": "added a member",
    "remove_member": "removed a member",
    "transfer": "transferred ownership",
    "dissolve": "dissolved the team",
    "deactivate": "deactivated",
}
# Fields never worth showing in a history line.
QUIET_FIELDS = {"id", "version", "updated_at", "created_at", "member_count"}
# Long text: say it changed, do not print it.
LONG_FIELDS = {"charter", "description", "definition"}
PERSON_KEYS = {"person_id", "leader_id", "manager_id"}
TEAM_KEYS = {"team_id", "owner_team_id"}
UNIT_KEYS = {"org_unit_id", "parent_id"}
# Verbs whose history line lists what changed.
DETAILED_VERBS = {"update", "transfer", "deactivate", "add_member", "remove_member"}


def history_rows(records: Iterable[ChangeRecord]) -> list[dict[str, Any]]:
    """Change records in plain words: who, when, what, and the fields that changed with names, not ids.

    Ids of people, teams and org units in the records are resolved in at most three batch reads."""
    records = list(records)
    wanted: dict[str, set[int]] = defaultdict(set)
    for record in records:
        if record.verb not in DETAILED_VERBS:
            continue
        for state in (record.before or {}, record.after or {}):
            for key, value in state.items():
                if isinstance(value, int) and not isinstance(value, bool):
                    if key in PERSON_KEYS:
                        wanted["person"].add(value)
                    elif key in TEAM_KEYS and record.subject_type != "team":
                        wanted["team"].add(value)
                    elif key in UNIT_KEYS:
                        wanted["unit"].add(value)
    people = org_services.get_people(ids=wanted["person"]) if wanted["person"] else {}
    teams = org_services.get_teams(ids=wanted["team"]) if wanted["team"] else {}
    units = org_services.get_org_units(ids=wanted["unit"]) if wanted["unit"] else {}

    def show(key: str, value: Any) -> str:
        if value is None or value == "":
            return "none"
        if key in PERSON_KEYS and value in people:
            return people[value].name
        if key in TEAM_KEYS and value in teams:
            return teams[value].name
        if key in UNIT_KEYS and value in units:
            return units[value].name
        text = str(value)
        return text if len(text) <= 80 else text[:77] + "..."

    rows = []
    for record in records:
        before, after = record.before or {}, record.after or {}
        details: list[str] = []
        if record.verb in ("add_member", "remove_member"):
            state = after if record.verb == "add_member" else before
            details.append(show("person_id", state.get("person_id")))
        elif record.verb in ("update", "transfer", "deactivate"):
            for key in after:
                if key in QUIET_FIELDS or before.get(key) == after.get(key):
                    continue
                label = key.removesuffix("_id").replace("_", " ")
                if key in LONG_FIELDS:
                    details.append(f"{label} rewritten")
                else:
                    details.append(f"{label}: {show(key, before.get(key))} → {show(key, after.get(key))}")
        rows.append(
            {
                "at": record.at,
                "who": record.actor_label,
                "what": VERBS.get(record.verb, record.verb.replace("_", " ")),
                "details": details,
                "reason": record.reason,
            }
        )
    return rows


def history(request: HttpRequest, *, subject_type: str, subject_id: int) -> dict[str, Any]:
    """The newest changes of one record for its page, with the total count."""
    changes = audit_services.list_changes(
        actor=request.actor, subject_type=subject_type, subject_id=subject_id, limit=HISTORY_LIMIT
    )
    return {"rows": history_rows(changes.items), "total": changes.total, "shown": len(changes.items)}


# ---------------------------------------------------------------------------------------------- sign-in


class SignInView(auth_views.LoginView):
    """Sign in with a username and password; shows the demo sign-in when the server was started with one."""

    template_name = "web/signin.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["demo_hint"] = getattr(settings, "MECH_DEMO_HINT", None)
        return context


# Sign-out is a POST (with the CSRF token) from the button in the header; afterwards, the sign-in page.
signout = auth_views.LogoutView.as_view(next_page=settings.LOGIN_URL)


# ---------------------------------------------------------------------------------------------- home


# A unit with more teams shows its breaching and watched teams first and links to the team list for the rest.
UNIT_TEAM_CAP = 40
BREACH_LIST_CAP = 25


@page
def home(request: HttpRequest) -> HttpResponse:
    """The org at a glance: the org-unit tree with its teams, the rule breaches, and catalog counts.

    A fixed number of queries whatever the size of the org: every team comes from one index read, the rules from
    one report, and only the leaders of the teams shown are read."""
    units = org_services.all_org_units()
    teams = org_services.team_index()
    report = org_services.check_org_rules()
    services_per_team = catalog_services.service_owner_counts()

    levels = {s.team_id: s.level.value for s in (*report.oversized, *report.size_warnings)}
    multi_led = {t for breach in report.stl_breaches for t in breach.team_ids}
    live_by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for team in teams:
        if team.status in LIVE_STATUSES:
            level = levels.get(team.id, SizeLevel.OK.value)
            breach = level == SizeLevel.VIOLATION.value or team.id in multi_led or team.leader_id is None
            live_by_unit[team.org_unit_id].append(
                {
                    "team": team,
                    "level": level,
                    "services": services_per_team.get(team.id, 0),
                    "multi_led": team.id in multi_led,
                    "breach": breach,
                    "watch": breach or level == SizeLevel.WARNING.value,
                }
            )

    # The tree, flattened depth-first so the template draws it without recursion.
    known = {u.id for u in units}
    children: dict[int | None, list] = defaultdict(list)
    for unit in units:
        children[unit.parent_id if unit.parent_id in known else None].append(unit)
    tree: list[dict[str, Any]] = []
    stack = [(u, 0) for u in reversed(children[None])]
    while stack:
        unit, depth = stack.pop()
        rows = live_by_unit.get(unit.id, [])
        shown = rows
        if len(rows) > UNIT_TEAM_CAP:
            shown = ([r for r in rows if r["watch"]] + [r for r in rows if not r["watch"]])[:UNIT_TEAM_CAP]
            shown.sort(key=lambda r: (r["team"].name, r["team"].id))
        tree.append(
            {
                "unit": unit,
                "depth": min(depth, 6),
                "teams": shown,
                "own_count": len(rows),
                "hidden": len(rows) - len(shown),
                "has_children": bool(children[unit.id]),
                "breaches": sum(1 for r in rows if r["breach"]),
            }
        )
        stack.extend((c, depth + 1) for c in reversed(children[unit.id]))
    totals: dict[int, int] = {}
    for node in reversed(tree):  # children before parents: teams in all, the unit's own and those below it
        unit_id = node["unit"].id
        node["total"] = totals[unit_id] = node["own_count"] + sum(totals.get(c.id, 0) for c in children[unit_id])

    shown_rows = [row for node in tree for row in node["teams"]]
    leaders = org_services.get_people(ids={r["team"].leader_id for r in shown_rows})
    for row in shown_rows:
        row["leader"] = leaders.get(row["team"].leader_id)
    team_by_id = {t.id: t for t in teams}
    live_count = sum(len(rows) for rows in live_by_unit.values())
    context = {
        "tree": tree,
        "open_units": live_count <= 60,
        "report": report,
        "limits": org_services.team_limits(),
        "stl_breaches": [
            {"person": b, "teams": [team_by_id[t] for t in b.team_ids if t in team_by_id]} for b in report.stl_breaches
        ],
        "live_count": live_count,
        "dissolved_count": len(teams) - live_count,
        "unit_count": len(units),
        "counts": catalog_services.catalog_counts(),
        "breach_limit": BREACH_LIST_CAP,
    }
    return render(request, "web/home.html", context)


# ---------------------------------------------------------------------------------------------- search

SEARCH_CAP = 10
SEARCH_KINDS = ("teams", "services", "people", "interfaces")


@page
def search(request: HttpRequest) -> HttpResponse:
    """Teams, services, people and interfaces matching a text, each list capped with a link to see more.

    With `only=<kind>` one list is shown in full, page by page."""
    q = query_text(request, "q")
    only = request.GET.get("only") if request.GET.get("only") in SEARCH_KINDS else None
    offset = query_int(request, "offset") if only else None
    limit = 50 if only else SEARCH_CAP
    sections: list[dict[str, Any]] = []
    if q:
        kinds = [only] if only else list(SEARCH_KINDS)
        for kind in kinds:
            found = _search_one(kind, q, limit=limit, offset=offset)
            sections.append({"kind": kind, **found})
    context = {"q": q, "only": only, "sections": sections, "cap": SEARCH_CAP}
    return render(request, "web/search.html", context)


def _search_one(kind: str, q: str, *, limit: int, offset: int | None) -> dict[str, Any]:
    if kind == "teams":
        found = org_services.list_teams(text=q, limit=limit, offset=offset)
        return {"page": found, "more_url": "/teams", "items": [{"team": t} for t in found.items]}
    if kind == "services":
        found = catalog_services.list_services(text=q, limit=limit, offset=offset)
        teams = org_services.get_teams(ids={s.owner_team_id for s in found.items})
        return {
            "page": found,
            "more_url": "/services",
            "items": [{"service": s, "team": teams.get(s.owner_team_id)} for s in found.items],
        }
    if kind == "people":
        found = org_services.list_people(text=q, limit=limit, offset=offset)
        return {"page": found, "more_url": "/people", "items": [{"person": p} for p in found.items]}
    found = catalog_services.list_interfaces(text=q, limit=limit, offset=offset)
    services = catalog_services.get_services(ids={i.service_id for i in found.items})
    return {
        "page": found,
        "more_url": None,
        "items": [{"interface": i, "service": services.get(i.service_id)} for i in found.items],
    }


# ---------------------------------------------------------------------------------------------- teams


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
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = org_services.get_team_by_slug(slug=slug)
    return _render_team(request, team)


def _render_team(
    request: HttpRequest, team: Team, *, member_form: MemberAddForm | None = None, status: int = 200
) -> HttpResponse:
    """The team page: charter, leader, members with the two-pizza badge, services owned, the teams it depends
    on and that depend on it, and its history. A fixed number of queries whatever the size of the org."""
    actor = request.actor
    memberships = org_services.list_memberships(team_id=team.id, limit=200).items
    edges = catalog_services.team_edges(team_id=team.id)
    people = org_services.get_people(ids={m.person_id for m in memberships} | {team.leader_id})
    others = org_services.get_teams(ids={e.to_team_id for e in edges} | {e.from_team_id for e in edges})
    size = org_services.team_size(team_id=team.id)
    can_change = org_services.can_change_team(actor=actor, team_id=team.id)
    units = {u.id: u for u in org_services.all_org_units()}
    unit_path, unit_id = [], team.org_unit_id
    while unit_id in units and len(unit_path) < 32:  # the tree refuses cycles; the bound only guards bad data
        unit_path.insert(0, units[unit_id])
        unit_id = units[unit_id].parent_id
    members = [
        {"membership": m, "person": people[m.person_id], "is_leader": m.person_id == team.leader_id}
        for m in memberships
        if m.person_id in people
    ]
    context: dict[str, Any] = {
        "team": team,
        "leader": people.get(team.leader_id) if team.leader_id is not None else None,
        "leader_is_member": any(m["is_leader"] for m in members),
        "members": members,
        "size": size,
        "limits": org_services.team_limits(),
        "services": catalog_services.services_owned_by(team_ids=[team.id], include_retired=True),
        "depends_on": [{"edge": e, "team": others.get(e.to_team_id)} for e in edges if e.from_team_id == team.id],
        "depended_on_by": [{"edge": e, "team": others.get(e.from_team_id)} for e in edges if e.to_team_id == team.id],
        "unit_path": unit_path,
        "can_change": can_change,
        "can_add_members": can_change and team.status != TeamStatus.DISSOLVED,
        "member_form": member_form or MemberAddForm(),
        "history": history(request, subject_type="team", subject_id=team.id),
    }
    return render(request, "org/team_detail.html", context, status=status)


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
            # The member-editable fields always; the admin-only ones only when they changed, so an admin's edit
            # of the charter does not re-check a leader nobody touched.
            changes: dict[str, Any] = {f: data[f] for f in TeamChanges.MEMBER_FIELDS}
            if actor.is_admin:
                leader_id = _person_id(form, "leader", data["leader"])
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
    unit_choices = [(u.id, u.name) for u in org_services.all_org_units()]
    status = 200
    if request.method == "POST":
        form = TeamCreateForm(request.POST, unit_choices=unit_choices)
        if form.is_valid():
            data = form.cleaned_data
            leader_id = _person_id(form, "leader", data["leader"])
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


@require_POST
@page
def member_add(request: HttpRequest, slug: str) -> HttpResponse:
    """Add a member by handle; on a field error the team page comes back with the error next to the field."""
    team = org_services.get_team_by_slug(slug=slug)
    form = MemberAddForm(request.POST)
    status = 400
    if form.is_valid():
        person_id = _person_id(form, "handle", form.cleaned_data["handle"])
        if person_id is not None:
            try:
                org_services.add_member(actor=request.actor, team_id=team.id, person_id=person_id)
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields=TEAM_FORM_FIELDS)
            else:
                return redirect("web:team", slug=team.slug)
    return _render_team(request, org_services.get_team(team_id=team.id), member_form=form, status=status)


@require_POST
@page
def member_remove(request: HttpRequest, slug: str, membership_id: int) -> HttpResponse:
    team = org_services.get_team_by_slug(slug=slug)
    membership = org_services.get_membership(membership_id=membership_id)
    if membership.team_id != team.id:
        raise NotFound(f"membership {membership_id} is not on team {team.slug}", field="membership_id")
    org_services.remove_member(actor=request.actor, membership_id=membership.id)
    return redirect("web:team", slug=team.slug)


def _person_id(form, field: str, handle: str) -> int | None:
    """The id of the person with this handle; an unknown handle is an error on the field. Empty is None."""
    handle = (handle or "").strip()
    if not handle:
        if form.fields[field].required:
            form.add_error(field, "name a person by their handle")
        return None
    person = org_services.find_person(handle=handle.lstrip("@"))
    if person is None:
        form.add_error(field, f"no person has the handle {handle!r}")
        return None
    return person.id


# ---------------------------------------------------------------------------------------------- people


@page
def person_list(request: HttpRequest) -> HttpResponse:
    q = query_text(request, "q")
    found = org_services.list_people(text=q or None, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    managers = org_services.get_people(ids={p.manager_id for p in found.items})
    rows = [{"person": p, "manager": managers.get(p.manager_id)} for p in found.items]
    return render(request, "org/person_list.html", {"q": q, "page": found, "rows": rows})


@page
def person_detail(request: HttpRequest, handle: str) -> HttpResponse:
    """A person: their manager chain, direct reports, the teams they belong to and lead, bar-raiser pool, history."""
    person = org_services.get_person_by_handle(handle=handle)
    chain = org_services.management_chain(person_id=person.id)
    reports = org_services.list_people(manager_id=person.id, limit=200)
    their_teams = org_services.person_teams(person_id=person.id)
    teams = org_services.get_teams(ids={*their_teams.member_of, *their_teams.leads})
    by_name = sorted(teams.values(), key=lambda t: t.name)
    context = {
        "person": person,
        "chain": list(reversed(chain)),
        "reports": reports,
        "member_of": [t for t in by_name if t.id in set(their_teams.member_of)],
        "leads": [t for t in by_name if t.id in set(their_teams.leads)],
        "leads_live": [t for t in by_name if t.id in set(their_teams.leads) and t.status == TeamStatus.ACTIVE],
        "history": history(request, subject_type="person", subject_id=person.id),
    }
    return render(request, "org/person_detail.html", context)


# ---------------------------------------------------------------------------------------------- services


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
def service_detail(request: HttpRequest, name: str) -> HttpResponse:
    service = catalog_services.get_service_by_name(name=name)
    return _render_service(request, service)


def _render_service(
    request: HttpRequest,
    service: Service,
    *,
    forms_bound: dict[str, forms.Form] | None = None,
    open_form: str = "",
    status: int = 200,
) -> HttpResponse:
    """The service page: owner, lifecycle, interfaces, datastores, what it depends on and who depends on it,
    ownership and change history; the add forms for those allowed. A fixed number of queries."""
    detail = catalog_services.service_detail(service_id=service.id)
    service = detail.service
    related = {s.id: s for s in (*detail.dependency_services, *detail.consumer_services)}
    teams = org_services.get_teams(
        ids={service.owner_team_id}
        | {s.owner_team_id for s in related.values()}
        | {p.team_id for p in detail.ownership}
    )
    owner = teams.get(service.owner_team_id)
    can_change = org_services.can_change_team(actor=request.actor, team_id=service.owner_team_id)

    def other_end(service_id: int | None) -> dict[str, Any]:
        other = related.get(service_id) if service_id is not None else None
        team = teams.get(other.owner_team_id) if other else None
        return {"service": other, "team": team, "other_team": bool(team and team.id != service.owner_team_id)}

    dependencies = [{"dep": d, **other_end(d.target_owner_service_id)} for d in detail.dependencies]
    consumers = [{"dep": d, **other_end(d.service_id)} for d in detail.consumers]
    bound = forms_bound or {}
    context = {
        "service": service,
        "owner": owner,
        "interfaces": detail.interfaces,
        "datastores": detail.datastores,
        "dependencies": dependencies,
        "consumers": consumers,
        "ownership": [{"period": p, "team": teams.get(p.team_id)} for p in detail.ownership],
        "can_change": can_change,
        # "Request a change" (an away-team request) is for a member of a team other than the owner.
        "can_request_change": service.lifecycle != Lifecycle.RETIRED
        and bool(set(away_services.can_file_for(actor=request.actor)) - {service.owner_team_id}),
        "interface_form": bound.get("interface") or InterfaceForm(prefix="interface"),
        "datastore_form": bound.get("datastore") or DatastoreForm(prefix="datastore"),
        "dependency_form": bound.get("dependency") or DependencyForm(prefix="dependency"),
        "open_form": open_form,
        "history": history(request, subject_type="service", subject_id=service.id),
    }
    return render(request, "catalog/service_detail.html", context, status=status)


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
    owner = org_services.get_team(team_id=service.owner_team_id)
    context = {"service": service, "owner": owner, "form": form, "reload_url": request.path}
    return render(request, "catalog/service_form.html", context, status=status)


@page
def service_new(request: HttpRequest) -> HttpResponse:
    """Register a service, owned by one of the teams the author may change."""
    actor = request.actor
    if actor.is_admin:
        teams = [t for t in org_services.team_index() if t.status in LIVE_STATUSES]
    else:
        theirs = org_services.person_teams(person_id=actor.person_id) if actor.person_id is not None else None
        ids = {*theirs.member_of, *theirs.leads} if theirs else set()
        mine = org_services.get_teams(ids=ids).values()
        teams = sorted((t for t in mine if t.status in LIVE_STATUSES), key=lambda t: t.name)
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


# ---------------------------------------------------------------------------------------------- parts of a service


def _add_part(request: HttpRequest, name: str, form_class, prefix: str, create) -> HttpResponse:
    """Post a part of a service (an interface, a datastore) to its create service, showing errors in place."""
    service = catalog_services.get_service_by_name(name=name)
    form = form_class(request.POST, prefix=prefix)
    status = 400
    if form.is_valid():
        try:
            create(service, form.cleaned_data)
        except FORM_ERRORS as exc:
            status = show_error(form, exc)
        else:
            return redirect("web:service", name=service.name)
    return _render_service(request, service, forms_bound={prefix: form}, open_form=prefix, status=status)


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
    service = catalog_services.get_service_by_name(name=name)
    form = DependencyForm(request.POST, prefix="dependency")
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        target = _dependency_target(form, data["kind"], data["target"])
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
    return _render_service(request, service, forms_bound={"dependency": form}, open_form="dependency", status=status)


@require_POST
@page
def dependency_remove(request: HttpRequest, name: str, dependency_id: int) -> HttpResponse:
    service = catalog_services.get_service_by_name(name=name)
    dependency = catalog_services.get_dependency(dependency_id=dependency_id)
    if dependency.service_id != service.id:
        raise NotFound(f"dependency {dependency_id} is not an edge of {service.name}", field="dependency_id")
    catalog_services.remove_dependency(actor=request.actor, dependency_id=dependency.id, version=dependency.version)
    return redirect("web:service", name=service.name)


def _dependency_target(form: forms.Form, kind: str, name: str) -> dict[str, int] | None:
    """The id argument for add_dependency, found by name; an unknown name is an error on the target field."""
    name = name.strip().lower()
    if kind == DependencyKind.CONSUMES:
        found, what, key = catalog_services.find_interface(name=name), "interface", "interface_id"
    elif kind == DependencyKind.ACCESSES:
        found, what, key = catalog_services.find_datastore(name=name), "datastore", "datastore_id"
    else:
        found, what, key = catalog_services.find_service(name=name), "service", "target_service_id"
    if found is None:
        form.add_error("target", f"no {what} is named {name!r}")
        return None
    return {key: found.id}
