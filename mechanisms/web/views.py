"""The shell's pages: sign-in, home, search, and the composite pages (team, service, person) that show several
apps' records at once (DESIGN.md §3 layers: a team page reads org, catalog and audit; org may not import
catalog). Each app's own pages live in its `views.py`; the page toolkit is `mechanisms.kernel.pages`.

`history_rows` puts audit records in plain words, ids resolved to names in a few batch reads.

Views are thin: parse, call services, render. No rule lives here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import ChangeRecord
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import Service
from mechanisms.kernel import mounts
from mechanisms.kernel.pages import page, query_int, query_text, render_composite
from mechanisms.org import services as org_services
from mechanisms.org.contracts import LIVE_TEAM_STATUSES, Person, SizeLevel, Team

HISTORY_LIMIT = 20


# ---------------------------------------------------------------------------------------------- history


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
        if team.status in LIVE_TEAM_STATUSES:
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
        "panels": mounts.panel_slots(request, "home", None),  # what the apps add (the mandate's findings, ...)
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


# ---------------------------------------------------------------------------------------------- composite pages
# Assembled from every app's panels (each app's apps.py declares them; kernel.mounts). Each panel reads what it
# shows through its app's services; the page's query count stays fixed whatever the size of the org.


@page
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = org_services.get_team_by_slug(slug=slug)
    return render_composite(request, "team", team, title=team.name)


@page
def person_detail(request: HttpRequest, handle: str) -> HttpResponse:
    person = org_services.get_person_by_handle(handle=handle)
    return render_composite(request, "person", person, title=person.name)


@page
def service_detail(request: HttpRequest, name: str) -> HttpResponse:
    service = catalog_services.get_service_by_name(name=name)
    return render_composite(request, "service", service, title=service.name)


def team_history_panel(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any]:
    return {"history": history(request, subject_type="team", subject_id=team.id)}


def person_history_panel(request: HttpRequest, person: Person, **bound: Any) -> dict[str, Any]:
    return {"history": history(request, subject_type="person", subject_id=person.id)}


def service_history_panel(request: HttpRequest, service: Service, **bound: Any) -> dict[str, Any]:
    return {"history": history(request, subject_type="service", subject_id=service.id)}
