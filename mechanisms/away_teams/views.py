"""The pages of Away Teams (MECHANISMS.md §3): a team's request board, a request with its timeline and a form for
each move the viewer may make now, "request a change" from a service page, the escalations waiting on a manager,
every request with filters, the tax and credit reports. The team-lifecycle pages are in `workflows/views.py`.

Thin: parse, call one service, render. Who may do what is decided by the away-team services (a request page offers
exactly `request_view(...).actions`); a refused move comes back next to the field it names (400, or 409 for a
stale version), a wrong person gets the 403 page. Templates are in
`away_teams/templates/away_teams/`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from mechanisms.away_teams import services as away_services
from mechanisms.away_teams.contracts import OPEN_STATES, AwayTeamRequest, Party, RequestEvent, RequestState, state_words
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import Service
from mechanisms.kernel import clock, machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied
from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, pager, query_int, query_text, show_error
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Team

from .forms import AwayRequestForm

S = RequestState
BOARD_PAGE = 25
STATE_ORDER = [s.value for s in S]  # the order of the state machine: sections of the board follow it
REQUEST_CONFLICT = (
    "Someone else moved this request while you were looking at it (it is now {state}). "
    "Reload to see what changed, then try again."
)


# ---------------------------------------------------------------------------------------------- plain words


def _since(at: dt.datetime | None) -> str:
    """' since 3 days' (DESIGN.md §5 wording), ' since today', or '' when the moment is unknown."""
    if at is None:
        return ""
    days = (clock.today() - timezone.localdate(at)).days
    if days <= 0:
        return " since today"
    return f" since {days} day{'s' if days != 1 else ''}"


def waiting_words(
    r: AwayTeamRequest, teams: dict[int, Team], people: dict[int, Any], *, last_move: dt.datetime | None = None
) -> str:
    """Who the request waits on, and since when, in plain words ("waiting on Payments to answer since 3 days"); who
    it is is the away-team services' (`waiting_on`), the words are the page's."""
    req = teams[r.requesting_team_id].name if r.requesting_team_id in teams else r.requesting_team_slug
    home = teams[r.home_team_id].name if r.home_team_id in teams else r.home_team_slug
    waiting = away_services.waiting_on(request=r, last_move=last_move)
    if waiting.party is None:
        if r.state is S.WARRANTY:
            return f"{home} maintains it; {req} stays on call until {r.warranty_until:%-d %b %Y}"
        return r.outcome or state_words(r.state.value)
    if waiting.party is Party.DECIDER:
        decider = people.get(r.decider_id)
        who = decider.name if decider else "the deciding manager"
    else:
        who = home if waiting.party is Party.HOME else req
    since = _since(waiting.since)
    if r.state is S.FILED:
        due = (
            f"answer due {r.due_on:%-d %b %Y}" if not r.overdue else f"overdue: the answer was due {r.due_on:%-d %b %Y}"
        )
        return f"waiting on {who} to {waiting.to}{since}; {due}"
    if r.state is S.ACCEPTED:
        return f"accepted by {home}; waiting on {who} to {waiting.to}{since}"
    if r.state is S.DECLINED:
        return f"declined by {home}{since}; {who} may {waiting.to}"
    if r.state is S.APPROVED:
        return f"review approved; waiting on {who} to {waiting.to}{since}"
    return f"waiting on {who} to {waiting.to}{since}"


def _event_words(event: RequestEvent) -> str:
    """A timeline entry in words, from the declaration's `done` words (by the state it led to)."""
    if event.transition == "review" and event.to_state == S.IN_REVIEW.value:
        return "approved the change"  # recorded before an approval was a state of its own
    moves = {
        **MACHINE.by_name,
        away_services.FILE.name: away_services.FILE,
        away_services.REROUTE.name: away_services.REROUTE,
    }
    t = moves.get(event.transition)
    return (t.words_for(t.done, event.to_state) if t else "") or event.transition.replace("_", " ")


def _rows(actor: Actor, requests: Sequence[AwayTeamRequest]) -> list[dict[str, Any]]:
    """Requests with their teams' names and the words of who they wait on, in two batch reads."""
    teams = org_services.get_teams(
        actor=actor, ids={t for r in requests for t in (r.requesting_team_id, r.home_team_id)}
    )
    people = org_services.get_people(actor=actor, ids={r.decider_id for r in requests if r.decider_id is not None})
    return [
        {
            "r": r,
            "requesting": teams.get(r.requesting_team_id),
            "home": teams.get(r.home_team_id),
            "state": state_words(r.state.value),
            "waiting": waiting_words(r, teams, people),
        }
        for r in requests
    ]


# ---------------------------------------------------------------------------------------------- team board


@page
def team_requests(request: HttpRequest, slug: str) -> HttpResponse:
    """A team's request board: counts by state inbound and outbound, overdue answers, the median time to answer,
    and both lists grouped by state (each a page at a time; `?state=` narrows both)."""
    actor = request.actor
    team = org_services.get_team_by_slug(actor=actor, slug=slug)
    board = away_services.team_board(actor=actor, team_id=team.id)
    state = request.GET.get("state") if request.GET.get("state") in STATE_ORDER else ""
    lists = []
    for direction, param in (("inbound", "in_offset"), ("outbound", "out_offset")):
        found = away_services.list_requests(
            actor=actor,
            team_id=team.id,
            direction=direction,
            state=state or None,
            limit=BOARD_PAGE,
            offset=query_int(request, param),
        )
        rows = _rows(request.actor, found.items)
        groups = [
            {"state": s, "words": state_words(s), "rows": [row for row in rows if row["r"].state.value == s]}
            for s in STATE_ORDER
        ]
        lists.append(
            {
                "direction": direction,
                "groups": [g for g in groups if g["rows"]],
                "pager": pager(request, found, param),
            }
        )
    counts = [
        {
            "state": s,
            "words": state_words(s),
            "inbound": board.inbound_by_state.get(s, 0),
            "outbound": board.outbound_by_state.get(s, 0),
        }
        for s in STATE_ORDER
        if board.inbound_by_state.get(s) or board.outbound_by_state.get(s)
    ]
    context = {
        "team": team,
        "board": board,
        "counts": counts,
        "inbound_total": sum(board.inbound_by_state.values()),
        "outbound_total": sum(board.outbound_by_state.values()),
        "state": state,
        "inbound": lists[0],
        "outbound": lists[1],
    }
    return render(request, "away_teams/team_board.html", context)


# ---------------------------------------------------------------------------------------------- one request


MACHINE = away_services.MACHINE  # the declared request machine: its forms, buttons and words make this page


def _action_form(actor: Actor, name: str, r: AwayTeamRequest, data=None, *, viewer: int | None = None) -> forms.Form:
    """The generated form of one transition, bound to `data` or filled with the version read; the selects of its
    reference inputs offer what makes sense on this request (the home team's people, the requesting team's
    services)."""
    t = MACHINE.transition(name)
    choices: dict[str, list[tuple[int, str]]] = {}
    initial: dict[str, Any] = {}
    for spec in machine_forms.ref_fields(t):
        if spec.ref == "person":  # a point of contact: one of the home team
            people = {p.id: p for p in org_services.team_members(actor=actor, team_id=r.home_team_id)}
            home = org_services.get_teams(actor=actor, ids=[r.home_team_id]).get(r.home_team_id)
            if home is not None and home.leader_id is not None and home.leader_id not in people:
                people.update(org_services.get_people(actor=actor, ids=[home.leader_id]))
            choices[spec.name] = [(p.id, f"{p.name} ({p.handle})") for p in sorted(people.values(), key=_by_name)]
            if viewer in people:
                initial[spec.name] = viewer  # the viewer, when one of the home team
        elif spec.ref == "service":  # a duplicate: one of the requesting team's own services
            owned = catalog_services.services_owned_by(actor=actor, team_ids=[r.requesting_team_id])
            choices[spec.name] = [(s.id, s.name) for s in owned]
    return machine_forms.action_form(MACHINE, name, data, version=r.version, choices=choices, initial=initial)


def _by_name(person) -> str:
    return person.name


@page
def request_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    return _render_request(request, request_id)


def _render_request(
    request: HttpRequest, request_id: int, *, failed: tuple[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    """The request page: what, why, design, the state and who it waits on, the answer, escalation, duplicate,
    checklist and warranty, the timeline, and a form for each move the viewer may make now."""
    view = away_services.request_view(actor=request.actor, request_id=request_id)
    r = view.request
    teams = org_services.get_teams(actor=request.actor, ids=[r.requesting_team_id, r.home_team_id])
    people = org_services.get_people(
        actor=request.actor, ids={p for p in (r.filed_by_id, r.contact_id, r.decider_id) if p is not None}
    )
    services = catalog_services.get_services(actor=request.actor, ids={r.service_id, r.duplicate_service_id})
    last_move = view.timeline[-1].at if view.timeline else None
    action_forms = []
    for name in view.actions:  # the declaration's order: the next step first, the ways out last
        t = MACHINE.transition(name)
        if failed and failed[0] == name:
            form = failed[1]
        else:
            form = _action_form(request.actor, name, r, viewer=request.actor.person_id)
        refs = machine_forms.ref_fields(t)
        action_forms.append(
            {
                "name": name,
                "url": f"/away/requests/{r.id}/{t.slug}",
                "title": t.title,
                "help": t.help,
                "form": form,
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
                "fields": [f for f in form if f.name != machine_forms.VERDICT],
                # A required select with nothing to choose (the requesting team owns no service yet): say so.
                "no_services": any(
                    spec.ref == "service" and spec.required and not form.fields[spec.name].widget.choices[1:]
                    for spec in refs
                ),
            }
        )
    timeline = [
        {
            "event": e,
            "words": _event_words(e),
            "from": state_words(e.from_state) if e.from_state else "",
            "to": state_words(e.to_state),
        }
        for e in view.timeline
    ]
    context = {
        "r": r,
        "requesting": teams.get(r.requesting_team_id),
        "home": teams.get(r.home_team_id),
        "service": services.get(r.service_id),
        "duplicate_service": services.get(r.duplicate_service_id) if r.duplicate_service_id else None,
        "filed_by": people.get(r.filed_by_id),
        "contact": people.get(r.contact_id),
        "decider": people.get(r.decider_id),
        "state": state_words(r.state.value),
        "waiting": waiting_words(r, teams, people, last_move=last_move),
        "open": r.state in OPEN_STATES,
        "show_checklist": r.state in (S.IN_PROGRESS, S.IN_REVIEW, S.APPROVED, S.HANDED_OFF, S.WARRANTY)
        or bool(r.handed_off_at),
        "timeline": timeline,
        "action_forms": action_forms,
        "stale_form": failed[1] if failed and failed[0] not in view.actions else None,
        "parties": view.viewer_parties,
        "reload_url": f"/away/requests/{r.id}",
    }
    return render(request, "away_teams/request_detail.html", context, status=status)


@require_POST
@page
def request_action(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    """One move on a request (the action names the service function); back to the request page on success, or
    the page again with the error next to the field it names."""
    name = action.replace("-", "_")
    if name not in MACHINE.by_name:
        raise NotFound(f"there is no move {action!r} on an away-team request", field="action")
    t = MACHINE.transition(name)
    current = away_services.get_request(actor=request.actor, request_id=request_id)
    form = _action_form(request.actor, name, current, request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            away_services.apply_transition(
                actor=request.actor,
                request_id=current.id,
                version=data["version"],
                transition=name,
                values=machine_forms.form_values(t, data),
            )
        except FORM_ERRORS as exc:
            now = exc.details.get("state", "changed") if isinstance(exc.details, dict) else "changed"
            conflict = REQUEST_CONFLICT.format(state=state_words(str(now)))
            status = show_error(form, exc, conflict=conflict)
        else:
            return redirect("web:away-request", request_id=current.id)
    return _render_request(request, current.id, failed=(name, form), status=status)


# ---------------------------------------------------------------------------------------------- request a change


@page
def request_change(request: HttpRequest, name: str) -> HttpResponse:
    """File an away-team request on a service, for one of the teams the viewer may file for (not its owner)."""
    actor = request.actor
    service = catalog_services.get_service_by_name(actor=actor, name=name)
    team_ids = [t for t in away_services.can_file_for(actor=actor) if t != service.owner_team_id]
    if not team_ids:
        raise PermissionDenied(
            f"only a member of a team other than {service.name}'s owner may request a change in it; "
            "the owning team changes it directly"
        )
    teams = org_services.get_teams(actor=actor, ids=[*team_ids, service.owner_team_id])
    owner = teams.get(service.owner_team_id)
    choices = [(t, teams[t].name) for t in team_ids if t in teams]
    status = 200
    if request.method == "POST":
        form = AwayRequestForm(request.POST, team_choices=choices)
        if form.is_valid():
            data = form.cleaned_data
            try:
                filed = away_services.file_request(
                    actor=actor,
                    service_id=service.id,
                    requesting_team_id=data["requesting_team"],
                    title=data["title"],
                    what=data["what"],
                    why=data["why"],
                    design=data["design"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields={"requesting_team_id": "requesting_team"})
            else:
                messages.success(
                    request,
                    f"Filed. {owner.name if owner else 'The owning team'} answers by {filed.due_on:%-d %b %Y}.",
                )
                return redirect("web:away-request", request_id=filed.id)
        if form.errors and status == 200:
            status = 400
    else:
        form = AwayRequestForm(team_choices=choices, initial={"requesting_team": choices[0][0] if choices else None})
    context = {"service": service, "owner": owner, "form": form, "response_days": away_services.response_days()}
    return render(request, "away_teams/request_form.html", context, status=status)


# ---------------------------------------------------------------------------------------------- lists and reports


@page
def escalations(request: HttpRequest) -> HttpResponse:
    """The escalations waiting on the signed-in manager's decision."""
    found = away_services.escalations_for(actor=request.actor, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    return render(request, "away_teams/escalations.html", {"page": found, "rows": _rows(request.actor, found.items)})


@page
def request_list(request: HttpRequest) -> HttpResponse:
    """Every away-team request, newest first, filtered by state (or open), overdue, team (and direction) and
    service, a page at a time."""
    state = query_text(request, "state", max_length=20)
    state = state if state in (*STATE_ORDER, "open") else ""
    overdue = request.GET.get("overdue") == "1"
    direction = request.GET.get("direction") if request.GET.get("direction") in away_services.DIRECTIONS else "both"
    team_slug = query_text(request, "team", max_length=64)
    service_name = query_text(request, "service", max_length=63)
    team = org_services.find_team(actor=request.actor, slug=team_slug) if team_slug else None
    service = catalog_services.find_service(actor=request.actor, name=service_name) if service_name else None
    unknown = []
    if team_slug and team is None:
        unknown.append(f"No team has the slug “{team_slug}”.")
    if service_name and service is None:
        unknown.append(f"No service is named “{service_name}”.")
    found = None
    if not unknown:
        found = away_services.list_requests(
            actor=request.actor,
            team_id=team.id if team else None,
            direction=direction,
            state=state if state in STATE_ORDER else None,
            open_only=state == "open",
            overdue=True if overdue else None,
            service_id=service.id if service else None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
        )
    context = {
        "page": found,
        "rows": _rows(request.actor, found.items) if found else [],
        "state": state,
        "states": [(s, state_words(s)) for s in STATE_ORDER],
        "overdue": overdue,
        "direction": direction,
        "team_slug": team_slug,
        "service_name": service_name,
        "unknown": unknown,
        "filtered": bool(state or overdue or team_slug or service_name),
    }
    return render(request, "away_teams/request_list.html", context)


@page
def tax(request: HttpRequest) -> HttpResponse:
    """What each team spends serving others, ranked (MECHANISMS.md §3, tax), a page at a time."""
    found = away_services.tax_report(actor=request.actor, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    return render(request, "away_teams/tax.html", {"page": found})


@page
def credit(request: HttpRequest) -> HttpResponse:
    """Credit for changes handed off with a declared downstream impact, per team and per org unit."""
    report = away_services.credit_report(actor=request.actor)
    return render(request, "away_teams/credit.html", {"report": report})


# ---------------------------------------------------------------------------------------------- panels
# What away teams add to the composite team and service pages (declared in apps.py, drawn by the shell).


def team_requests_link(request: HttpRequest, team: Team, **bound: Any) -> dict[str, Any]:
    return {"team": team}


def service_requests_link(request: HttpRequest, service: Service, **bound: Any) -> dict[str, Any]:
    return {"service": service}


def service_request_change_action(request: HttpRequest, service: Service, **bound: Any) -> dict[str, Any] | None:
    return {"service": service} if away_services.can_request_change(actor=request.actor, service=service) else None


HOME_ESCALATIONS = 5


def home_escalations_panel(request: HttpRequest, subject: None, **bound: Any) -> dict[str, Any] | None:
    """On the home page, the escalations waiting on the viewer's decision; nothing for one with none."""
    found = away_services.escalations_for(actor=request.actor, limit=HOME_ESCALATIONS)
    if not found.total:
        return None
    return {"rows": _rows(request.actor, found.items), "total": found.total}
