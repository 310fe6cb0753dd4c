"""The shell's pages: sign-in, home, search, and the composite pages (team, service, person) that show several
apps' records at once (DESIGN.md §3 layers: a team page reads org, catalog and audit; org may not import
catalog). Each app's own pages live in its `views.py`; the page toolkit is `mechanisms.kernel.pages`.

History lines come in the words each owning app registered for its records (`audit_services.history_lines`).

Views are thin: parse, call services, render. No rule lives here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.conf import settings
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import Service
from mechanisms.kernel import mounts
from mechanisms.kernel.pages import page, query_int, query_text, render_composite
from mechanisms.org import services as org_services
from mechanisms.org.contracts import LIVE_TEAM_STATUSES, Person, Team, TeamStanding

HISTORY_LIMIT = 20


# ---------------------------------------------------------------------------------------------- history


def history(request: HttpRequest, *, subject_type: str, subject_id: int) -> dict[str, Any]:
    """The newest changes of one record for its page, with the total count."""
    changes = audit_services.list_changes(
        actor=request.actor, subject_type=subject_type, subject_id=subject_id, limit=HISTORY_LIMIT
    )
    # In the words each owning app registered for its kind of record (audit_services.history_lines).
    rows = audit_services.history_lines(records=changes.items)
    return {"rows": rows, "total": changes.total, "shown": len(changes.items)}


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
    units = org_services.all_org_units(actor=request.actor)
    teams = org_services.team_index(actor=request.actor)
    report = org_services.check_org_rules(actor=request.actor)
    services_per_team = catalog_services.service_owner_counts(actor=request.actor)

    standings = org_services.team_standings(report=report)
    clear = TeamStanding()
    live_by_unit: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for team in teams:
        if team.status in LIVE_TEAM_STATUSES:
            standing = standings.get(team.id, clear)
            live_by_unit[team.org_unit_id].append(
                {
                    "team": team,
                    "level": standing.level.value,
                    "services": services_per_team.get(team.id, 0),
                    "multi_led": standing.multi_led,
                    "breach": standing.breach,
                    "watch": standing.watch,
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
    leaders = org_services.get_people(actor=request.actor, ids={r["team"].leader_id for r in shown_rows})
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
        "counts": catalog_services.catalog_counts(actor=request.actor),
        "breach_limit": BREACH_LIST_CAP,
        "panels": mounts.panel_slots(request, "home", None),  # what the apps add (the mandate's findings, ...)
    }
    # Other apps' panels for the home page (kernel.mounts): the side column under the breaches, and below the tree.
    context["panels"] = mounts.panel_slots(request, "home", None)
    return render(request, "web/home.html", context)


# ---------------------------------------------------------------------------------------------- search

SEARCH_CAP = 10


@page
def search(request: HttpRequest) -> HttpResponse:
    """Every kind of record the installed apps let search find (kernel.mounts.SearchKind: teams, services,
    people, interfaces, openings, candidates...), each list capped with a link to see more. Each app's provider
    reads through its services, so a viewer finds only what they may see (a candidate only by their insiders).

    With `only=<kind>` one list is shown in full, page by page."""
    q = query_text(request, "q")
    kinds = {k.name: k for k in mounts.search_kinds()}
    only = request.GET.get("only") if request.GET.get("only") in kinds else None
    offset = query_int(request, "offset") if only else None
    limit = 50 if only else SEARCH_CAP
    sections: list[dict[str, Any]] = []
    if q:
        for kind in [kinds[only]] if only else kinds.values():
            hits = mounts.load(kind.provider)(request.actor, q, limit, offset)
            if hits is not None:
                sections.append(
                    {
                        "kind": kind.name,
                        "words": kind.words,
                        "page": hits.page,
                        "items": list(hits.page.items),
                        "template": hits.template,
                        "more_url": hits.more_url,
                    }
                )
    context = {"q": q, "only": only, "sections": sections, "cap": SEARCH_CAP}
    return render(request, "web/search.html", context)


# ---------------------------------------------------------------------------------------------- composite pages
# Assembled from every app's panels (each app's apps.py declares them; kernel.mounts). Each panel reads what it
# shows through its app's services; the page's query count stays fixed whatever the size of the org.


@page
def team_detail(request: HttpRequest, slug: str) -> HttpResponse:
    team = org_services.get_team_by_slug(actor=request.actor, slug=slug)
    return render_composite(request, "team", team, title=team.name)


@page
def person_detail(request: HttpRequest, handle: str) -> HttpResponse:
    person = org_services.get_person_by_handle(actor=request.actor, handle=handle)
    return render_composite(request, "person", person, title=person.name)


@page
def service_detail(request: HttpRequest, name: str) -> HttpResponse:
    service = catalog_services.get_service_by_name(actor=request.actor, name=name)
    return render_composite(request, "service", service, title=service.name)


def team_history_panel(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any]:
    return {"history": history(request, subject_type="team", subject_id=team.id)}


def person_history_panel(request: HttpRequest, person: Person, **bound: Any) -> dict[str, Any]:
    return {"history": history(request, subject_type="person", subject_id=person.id)}


def service_history_panel(request: HttpRequest, service: Service, **bound: Any) -> dict[str, Any]:
    return {"history": history(request, subject_type="service", subject_id=service.id)}
