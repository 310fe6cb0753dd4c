"""Public services of the away-teams app (MECHANISMS.md §3): file a request on another team's service, answer it,
escalate it to the lowest common manager, duplicate, build, review, hand off, keep the warranty, withdraw; the
team board, the tax and credit reports; and the moves the team-lifecycle workflows make (re-route, close).

The transitions are declared once in ``machines.py`` and applied by ``kernel.machine_apply`` (docs/machines.md):
the version the caller read is checked first (a stale one is a 409), then the state, the guard and the actor's
party (the wrong moment is a 400, the wrong person a 403, both naming the rule), then the input and its rules; the
change, its timeline event, its audit record and the notifications to the people concerned land together or not
at all. ``_Context`` reads what a transition needs once (both teams' sides in one query, the service's name).

Who may see: away-team requests are not confidential (MECHANISMS.md §3 wants the tax visible to everyone), so
every signed-in person may read every request and report; ``_visible`` is the one chokepoint that says so.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import Lifecycle, Service
from mechanisms.kernel import clock, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, clamp_limit, clamp_offset, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services
from mechanisms.org.contracts import TeamSide

from . import policy as _policy
from . import rules
from .contracts import (
    OPEN_STATES,
    AwayTeamRequest,
    Checklist,
    CreditLine,
    CreditReport,
    Party,
    RequestEvent,
    RequestId,
    RequestState,
    RequestView,
    SweepReport,
    TaxLine,
    TeamBoard,
    Transition,
    WaitingOn,
)
from .machines import FILE, MACHINE, REROUTE
from .models import Event as EventRow
from .models import Request as RequestRow

S = RequestState
# What this app notifies about (notifications' preferences help lists them): each transition, and overdue reminders.
notifications_services.declare_kinds(kinds=[*(f"away_request.{t.value}" for t in Transition), "away_request.overdue"])
SUBJECT_TYPE = "away_team_request"
LIVE_TEAM_STATUSES = ("forming", "active")
DIRECTIONS = ("both", "inbound", "outbound")
# Requests that count in a team's tax: everything filed on its services except duplicates, which are legitimate
# and never counted against anyone (MECHANISMS.md §3).
NOT_TAXED = (S.DUPLICATED.value,)


def response_days() -> int:
    return int(settings.MECHANISMS["AWAY_TEAM_RESPONSE_DAYS"])


def warranty_days() -> int:
    return int(settings.MECHANISMS["AWAY_TEAM_WARRANTY_DAYS"])


# ---------------------------------------------------------------------------------------------- filing


def file_request(
    *,
    actor: Actor,
    service_id: int,
    requesting_team_id: int,
    title: str,
    what: str,
    why: str,
    design: str = "",
) -> AwayTeamRequest:
    """File an away-team request on another team's service (MECHANISMS.md §3): what, why (the customer value) and
    the proposed design. The home team is the service's owner and must answer within the response target
    (working days). Only a member or the leader of the requesting team may file, on a live service of another
    live team. Raises RuleViolation naming the field, PermissionDenied, NotFound."""
    org_services.require_signed_in(actor)
    values = {
        "title": _text(title, "title", 200),
        "what": _text(what, "what", 20000),
        "why": _text(why, "why", 20000),
        "design": _text(design, "design", 20000, required=False),
    }
    # One read of the service, one of both teams' sides, passed along (the teams were read six times here once).
    found = catalog_services.get_services(actor=actor, ids=[service_id]) if isinstance(service_id, int) else {}
    service = found.get(service_id)
    row = RequestRow(
        requesting_team_id=requesting_team_id if isinstance(requesting_team_id, int) else None,
        home_team_id=service.owner_team_id if service else None,
        service_id=service.id if service else None,
    )
    ctx = _Context(actor, row, services={service.id: service} if service else {})
    requesting = _live(ctx.sides().get(requesting_team_id), requesting_team_id, "requesting_team_id")
    if Party.REQUESTING.value not in _parties_for(actor, requesting.id, None, None, people=ctx.people):
        raise PermissionDenied(
            f"only a member of {requesting.slug} may file a request for it", field="requesting_team_id"
        )
    if service is None:
        raise NotFound(f"service {service_id} does not exist", field="service_id")
    if service.lifecycle == "retired":
        raise RuleViolation(f"{service.name} is retired; file on the service that replaced it", field="service_id")
    if service.owner_team_id is None:
        raise RuleViolation(f"{service.name} has no owning team to answer", field="service_id")
    if service.owner_team_id == requesting.id:
        raise RuleViolation(
            f"{service.name} is your own team's service: change it yourselves, no request needed",
            field="service_id",
        )
    home = _live(ctx.sides().get(service.owner_team_id), service.owner_team_id, "service_id")
    now = clock.now()
    # Every refusal above only read; the writes land together (no savepoint of their own: nothing is refused now).
    with transaction.atomic(savepoint=False):
        row = RequestRow.objects.create(
            **values,
            service_id=service.id,
            requesting_team_id=requesting.id,
            home_team_id=home.id,
            filed_by_id=actor.person_id,
            state=MACHINE.initial,
            filed_at=now,
            due_on=rules.add_working_days(clock.today(), response_days()),
        )
        ctx.row = row  # same teams and service: the context's reads stay valid
        _event(row, actor, FILE.name, "", MACHINE.initial, values["why"][:500])
        request = _to_request(row, ctx.names())
        audit_services.record_change(
            actor=actor,
            verb=FILE.name,
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=row.title,
            after=_audit_view(request),
        )
        _notify(
            actor,
            row,
            FILE.name,
            f"{requesting.name} asks {home.name} for a change in {service.name}",
            recipients=ctx.people(requesting.id) | ctx.people(home.id),
        )
        _track_answer(actor, row, ctx.sides()[home.id], fresh=True)
    return request


# ---------------------------------------------------------------------------------------------- transitions


def apply_transition(
    *, actor: Actor, request_id: int, version: int, transition: str, values: Mapping[str, Any]
) -> AwayTeamRequest:
    """Take one transition of the declared machine (away_teams/machines.py) with its input, in the order of
    kernel/machine_apply.py: the version read (409), the state and the party (400/403 naming the rule), the input
    (400 naming the field), the rules, the compare-and-set, the timeline event, the audit record, the notices.
    The API, the CLI and the pages call this; other apps and tests may call the named functions below."""
    org_services.require_signed_in(actor)
    row = _require_row(RequestRow.objects.all(), request_id)
    return machine_apply.apply(_BINDING, actor=actor, row=row, version=version, name=transition, raw=values)


def _move(transition: str, actor: Actor, request_id: int, version: int, **values: Any) -> AwayTeamRequest:
    return apply_transition(actor=actor, request_id=request_id, version=version, transition=transition, values=values)


def accept_request(
    *,
    actor: Actor,
    request_id: int,
    version: int,
    contact_id: int,
    standards: str,
    effort_days: float | None = None,
    note: str = "",
) -> AwayTeamRequest:
    """Accept: the requesting team builds the change in the home team's code; the home team names a point of
    contact (one of its members) and the engineering standards to follow, and may declare the effort it expects
    to spend supporting it (it counts in its tax). Home team only, from `filed` (MECHANISMS.md §3)."""
    return _move(
        "accept",
        actor,
        request_id,
        version,
        contact_id=contact_id,
        standards=standards,
        effort_days=effort_days,
        note=note,
    )


def build_at_home(
    *, actor: Actor, request_id: int, version: int, note: str = "", effort_days: float | None = None
) -> AwayTeamRequest:
    """Answer "we build it ourselves": the home team puts the change on its own roadmap (its effort counts in its
    tax). Home team only, from `filed`."""
    return _move("build_at_home", actor, request_id, version, effort_days=effort_days, note=note)


def decline_request(*, actor: Actor, request_id: int, version: int, reason: str) -> AwayTeamRequest:
    """Decline, with a reason the requesting team can act on (escalate or duplicate). Home team only, from
    `filed`."""
    return _move("decline", actor, request_id, version, reason=reason)


def escalate_request(*, actor: Actor, request_id: int, version: int, reason: str) -> AwayTeamRequest:
    """Escalate, after a decline or when the requesting team cannot build it: a roadmap discussion owned by the
    lowest common manager of both teams' single-threaded leaders, who is named now (MECHANISMS.md §3). Requesting
    team only, once. Raises RuleViolation when a team has no leader or no one manages both."""
    return _move("escalate", actor, request_id, version, reason=reason)


def decide_escalation(*, actor: Actor, request_id: int, version: int, decision: str, reason: str) -> AwayTeamRequest:
    """Record the deciding manager's decision: reshuffle the home team's roadmap (the home team builds it) or
    keep it (the request stays declined; the requesting team may still duplicate). The deciding manager only."""
    return _move("decide", actor, request_id, version, decision=decision, reason=reason)


def duplicate_request(
    *, actor: Actor, request_id: int, version: int, duplicate_service_id: int, reason: str = ""
) -> AwayTeamRequest:
    """Duplicate: the requesting team builds what it needs in a service of its own. Legitimate and recorded,
    linked to the original request and service and to the new service, and never counted against anyone.
    Requesting team only, after an answer (or once the answer is overdue)."""
    return _move("duplicate", actor, request_id, version, duplicate_service_id=duplicate_service_id, reason=reason)


def start_building(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """The requesting team starts building the accepted change. Requesting team only, from `accepted`."""
    return _move("start", actor, request_id, version, note=note)


def submit_for_review(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """Ask the home team to review the change. Requesting team only, from `in_progress`. The checklist (tests,
    docs, runbook) is asked at the hand-off, where MECHANISMS.md §3 puts it."""
    return _move("submit", actor, request_id, version, note=note)


def review_request(*, actor: Actor, request_id: int, version: int, approved: bool, note: str = "") -> AwayTeamRequest:
    """The home team reviews the change against its standards: approved (the request is `approved`, the hand-off
    may follow) or changes requested, saying what to change (back to `in_progress`). Home team only, from
    `in_review`."""
    return _move("review", actor, request_id, version, approved=approved, note=note)


def hand_off_request(
    *,
    actor: Actor,
    request_id: int,
    version: int,
    tests: bool,
    docs: bool,
    runbook: bool,
    downstream_impact: str = "",
    note: str = "",
) -> AwayTeamRequest:
    """Hand the change off (MECHANISMS.md §3): only with the code in good order (tests, docs, runbook ticked) and
    the home team's review approved (from `approved`); a declared downstream impact earns the requesting team
    credit. Requesting team only. Raises RuleViolation listing every missing checklist item."""
    return _move(
        "hand_off",
        actor,
        request_id,
        version,
        tests=tests,
        docs=docs,
        runbook=runbook,
        downstream_impact=downstream_impact,
        note=note,
    )


def accept_hand_off(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """The home team takes over maintenance; the requesting team stays on call for the warranty period
    (default 30 days) before the request closes. Home team only, from `handed_off`."""
    return _move("accept_hand_off", actor, request_id, version, note=note)


def complete_request(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """The home team shipped the change it built itself. Home team only, from `home_builds`."""
    return _move("complete", actor, request_id, version, note=note)


def close_request(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """Close a handed-off request once its warranty period is over. Either team (the sweep does it too)."""
    return _move("close", actor, request_id, version, note=note)


def withdraw_request(*, actor: Actor, request_id: int, version: int, reason: str) -> AwayTeamRequest:
    """The requesting team no longer needs the change. Requesting team only, before the hand-off."""
    return _move("withdraw", actor, request_id, version, reason=reason)


# ---------------------------------------------------------------------------------------------- reads


def get_request(*, actor: Actor, request_id: int) -> AwayTeamRequest:
    """One request. Raises NotFound, PermissionDenied (not signed in)."""
    return _to_request(_require_row(_visible(actor), request_id))


def request_view(*, actor: Actor, request_id: int) -> RequestView:
    """A request, its timeline, and the transitions this viewer may take now (what the request page shows)."""
    row = _require_row(_visible(actor), request_id)
    ctx = _Context(actor, row)
    parties = _parties(actor, row, ctx)
    events = tuple(_to_event(e) for e in row.events.order_by("at", "id"))
    return RequestView(
        request=_to_request(row, ctx.names()),
        timeline=events,
        actions=machines.available(MACHINE, _facts(row), parties),
        viewer_parties=tuple(sorted(parties)),
    )


def list_requests(
    *,
    actor: Actor,
    team_id: int | None = None,
    direction: str = "both",
    state: str | None = None,
    open_only: bool = False,
    overdue: bool | None = None,
    service_id: int | None = None,
    decider_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[AwayTeamRequest]:
    """Requests, newest first, filtered by team (inbound: on its services; outbound: filed by it), state,
    openness, overdue, service or deciding manager. Raises RuleViolation naming a bad filter."""
    qs = _visible(actor)
    if direction not in DIRECTIONS:
        raise RuleViolation(f"direction must be one of {', '.join(DIRECTIONS)}", field="direction")
    if team_id is not None:
        inbound, outbound = Q(home_team_id=team_id), Q(requesting_team_id=team_id)
        qs = qs.filter({"both": inbound | outbound, "inbound": inbound, "outbound": outbound}[direction])
    if state:
        if state not in {s.value for s in S}:
            raise RuleViolation(f"state must be one of {', '.join(s.value for s in S)}", field="state")
        qs = qs.filter(state=state)
    if open_only:
        qs = qs.filter(state__in=[s.value for s in OPEN_STATES])
    if overdue is not None:
        late = Q(state=S.FILED.value, due_on__lt=clock.today())
        qs = qs.filter(late) if overdue else qs.exclude(late)
    if service_id is not None:
        qs = qs.filter(service_id=service_id)
    if decider_id is not None:
        qs = qs.filter(decider_id=decider_id)
    page = paginate(qs.order_by("-filed_at", "-id"), limit=limit, offset=offset, convert=lambda r: r)
    return _to_requests(page)


def escalations_for(*, actor: Actor, limit: int | None = None, offset: int | None = None) -> Page[AwayTeamRequest]:
    """The escalations waiting on this manager's decision (their escalation page)."""
    if actor.person_id is None:
        return Page(items=[], total=0, limit=clamp_limit(limit), offset=clamp_offset(offset))
    return list_requests(actor=actor, state=S.ESCALATED.value, decider_id=actor.person_id, limit=limit, offset=offset)


def open_requests_of(*, team_id: int) -> list[AwayTeamRequest]:
    """Every open request a team is party to, on either side (a team has tens): what dissolving it must map."""
    rows = RequestRow.objects.filter(
        Q(home_team_id=team_id) | Q(requesting_team_id=team_id), state__in=[s.value for s in OPEN_STATES]
    ).order_by("id")
    names = _names(rows)
    return [_to_request(r, names) for r in rows]


def team_board(*, actor: Actor, team_id: int) -> TeamBoard:
    """A team's requests counted by state, inbound and outbound, how many answers are overdue, and the median
    time its answers took, in days (MECHANISMS.md §3 reports)."""
    _visible(actor)
    team = org_services.get_team(actor=actor, team_id=team_id)
    inbound = Counter(RequestRow.objects.filter(home_team_id=team_id).values_list("state", flat=True))
    outbound = Counter(RequestRow.objects.filter(requesting_team_id=team_id).values_list("state", flat=True))
    overdue = RequestRow.objects.filter(home_team_id=team_id, state=S.FILED.value, due_on__lt=clock.today()).count()
    answered = RequestRow.objects.filter(home_team_id=team_id, answered_at__isnull=False).values_list(
        "filed_at", "answered_at"
    )
    median = rules.median_days((a - f).total_seconds() / 86400 for f, a in answered)
    return TeamBoard(team.id, team.slug, dict(inbound), dict(outbound), overdue, median)


def tax_report(*, actor: Actor, limit: int | None = None, offset: int | None = None) -> Page[TaxLine]:
    """What each team spends serving others (MECHANISMS.md §3, tax): inbound requests (duplicates excluded),
    how many it accepted or built itself, and the effort it declared for them; ranked by effort, then by
    inbound requests, so no team sits in a silently high tax bracket."""
    _visible(actor)
    today = clock.today()
    per_team: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    rows = RequestRow.objects.exclude(state__in=NOT_TAXED).values_list(
        "home_team_id", "state", "answer", "effort_days", "due_on"
    )
    for team, state, answer, effort, due_on in rows:
        line = per_team[team]
        line["inbound"] += 1
        if answer == "accept":
            line["accepted"] += 1
        if answer == "build_at_home" or state == S.HOME_BUILDS.value:
            line["home_builds"] += 1
        if answer in ("accept", "build_at_home") or state == S.HOME_BUILDS.value:
            line["effort"] += effort or 0.0
        if state in OPEN_STATES:
            line["open"] += 1
        if state == S.FILED.value and due_on < today:
            line["overdue"] += 1
    ranked = sorted(per_team.items(), key=lambda kv: (-kv[1]["effort"], -kv[1]["inbound"], kv[0]))
    limit, offset = clamp_limit(limit), clamp_offset(offset)
    window = ranked[offset : offset + limit]
    teams = org_services.get_teams(actor=actor, ids=[t for t, _ in window])
    items = [
        TaxLine(
            rank=offset + i + 1,
            team_id=team,
            team_slug=teams[team].slug if team in teams else str(team),
            team_name=teams[team].name if team in teams else str(team),
            inbound=int(line["inbound"]),
            accepted=int(line["accepted"]),
            home_builds=int(line["home_builds"]),
            effort_days=round(line["effort"], 2),
            open_inbound=int(line["open"]),
            overdue=int(line["overdue"]),
        )
        for i, (team, line) in enumerate(window)
    ]
    return Page(items=items, total=len(ranked), limit=limit, offset=offset)


def credit_report(*, actor: Actor) -> CreditReport:
    """Credit (MECHANISMS.md §3) for changes handed off with a declared downstream impact: per requesting team,
    and rolled up to its org unit and every unit above it."""
    _visible(actor)
    handed = RequestRow.objects.filter(handed_off_at__isnull=False).exclude(state=S.HANDED_OFF.value)
    per_team: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for team, impact in handed.values_list("requesting_team_id", "downstream_impact"):
        per_team[team][0] += 1
        per_team[team][1] += 1 if impact.strip() else 0
    teams = org_services.get_teams(actor=actor, ids=per_team)
    units = {u.id: u for u in org_services.all_org_units(actor=actor)}
    per_unit: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for team_id, (count, impact) in per_team.items():
        unit = units.get(teams[team_id].org_unit_id) if team_id in teams else None
        while unit is not None:
            per_unit[unit.id][0] += count
            per_unit[unit.id][1] += impact
            unit = units.get(unit.parent_id) if unit.parent_id else None
    team_lines = sorted(
        (CreditLine("team", t, teams[t].slug, teams[t].name, c, i) for t, (c, i) in per_team.items() if t in teams),
        key=lambda line: (-line.with_impact, -line.handed_off, line.slug),
    )
    unit_lines = sorted(
        (CreditLine("org_unit", u, units[u].slug, units[u].name, c, i) for u, (c, i) in per_unit.items()),
        key=lambda line: (-line.with_impact, -line.handed_off, line.slug),
    )
    return CreditReport(teams=tuple(team_lines), org_units=tuple(unit_lines))


def can_file_for(*, actor: Actor) -> list[int]:
    """The live teams this actor may file requests for (the "request a change" form offers them)."""
    teams = org_services.get_teams(actor=actor, ids=_policy.teams_of(actor))
    return sorted(t.id for t in teams.values() if t.status.value in LIVE_TEAM_STATUSES)


def waiting_on(*, request: AwayTeamRequest, last_move: dt.datetime | None = None) -> WaitingOn:
    """Who must act next on this request, to do what, since when (MECHANISMS.md §3; pure: reads nothing)."""
    return rules.waiting_on(request, last_move=last_move)


def can_request_change(*, actor: Actor, service: Service) -> bool:
    """MECHANISMS.md §3: "request a change" is for a member of a live team other than the service's owner, on a
    service that is not retired (the owner changes its own service directly)."""
    if service.lifecycle == Lifecycle.RETIRED:
        return False
    return bool(set(can_file_for(actor=actor)) - {service.owner_team_id})


# ---------------------------------------------------------------------------------------------- the periodic sweep


def sweep(*, actor: Actor, today: dt.date | None = None) -> SweepReport:
    """Remind home teams of overdue answers (once a day at most, through the notifications app's deadlines) and
    close requests whose warranty is over (MECHANISMS.md §3: overdue answers are flagged and reminded). Admins or
    the product itself; the worker's schedule runs it every hour (`mech away sweep` by hand)."""
    org_services.require_admin(actor, "run the away-team sweep")
    today = today or clock.today()
    now = as_of = clock.now()
    if today != clock.today():  # a sweep "as of" another day (the API's `today`) reminds as of that day
        as_of = timezone.make_aware(dt.datetime.combine(today, now.astimezone(timezone.get_current_timezone()).time()))
    closed = 0
    # A request filed before answers were tracked as deadlines gets its deadline on its first overdue sweep.
    late = list(RequestRow.objects.filter(state=S.FILED.value, due_on__lt=today))
    tracked = notifications_services.tracked_subjects(
        actor=actor, subject_type=SUBJECT_TYPE, subject_ids=[r.id for r in late]
    )
    homes = org_services.team_sides(actor=actor, team_ids={r.home_team_id for r in late if r.id not in tracked})
    for row in late:
        if row.id not in tracked and row.home_team_id in homes:
            with transaction.atomic():
                _track_answer(actor, row, homes[row.home_team_id])
    reminded = notifications_services.run_deadlines(actor=actor, now=as_of, subject_type=SUBJECT_TYPE).reminded
    ended = RequestRow.objects.filter(state=S.WARRANTY.value, warranty_until__lt=today).order_by("id")
    for row in ended:
        try:
            machine_apply.write(
                _BINDING,
                actor=actor,
                row=row,
                transition=MACHINE.transition("close"),
                to_state=S.CLOSED.value,
                changes={"closed_at": now, "outcome": "handed off; warranty over"},
                note="warranty over",
            )
            closed += 1
        except Conflict:
            continue
    return SweepReport(reminded=reminded, closed=closed)


# ---------------------------------------------------------------------------------------------- lifecycle moves


def reroute_request(
    *,
    actor: Actor,
    request_id: int,
    reason: str,
    requesting_team_id: int | None = None,
    home_team_id: int | None = None,
) -> AwayTeamRequest:
    """Move an open request to another party: a new requesting team, or a new home team (when its service moved).
    Made by the team-lifecycle workflows (MECHANISMS.md §1: dissolving leaves no request orphaned). Admin only.
    Raises RuleViolation naming the field, NotFound, PermissionDenied."""
    org_services.require_admin(actor, "re-route away-team requests")
    with transaction.atomic():
        row = _require_row(RequestRow.objects.all(), request_id)
        return _reroute(actor, row, reason, requesting_team_id=requesting_team_id, home_team_id=home_team_id)


def close_open_request(*, actor: Actor, request_id: int, reason: str) -> AwayTeamRequest:
    """Close an open request that no one will carry on (a dissolution plan says so), with the reason. Admin only."""
    org_services.require_admin(actor, "close away-team requests")
    with transaction.atomic():
        return _close_open(actor, _require_row(RequestRow.objects.all(), request_id), reason)


def follow_service_transfer(*, actor: Actor, service_id: int, from_team_id: int, to_team_id: int, reason: str) -> int:
    """Open requests follow their service to its new owner (MECHANISMS.md §1 transfer): the new owner becomes the
    home team; a request filed by the new owner itself is closed, since it now owns what it asked to change.
    Called by the transfer workflow inside its transaction, by whoever may move the service (the old owner's
    members, admins). Returns how many requests moved or closed. Raises PermissionDenied."""
    org_services.require_team_change(actor=actor, team_id=from_team_id, what="move this service's requests")
    rows = RequestRow.objects.filter(
        service_id=service_id, home_team_id=from_team_id, state__in=[s.value for s in OPEN_STATES]
    ).order_by("id")
    count = 0
    with transaction.atomic():
        for row in rows:
            if row.requesting_team_id == to_team_id:
                _close_open(actor, row, f"the requesting team now owns the service; {reason}")
            else:
                _reroute(actor, row, reason, home_team_id=to_team_id)
            count += 1
    return count


def _reroute(
    actor: Actor,
    row: RequestRow,
    reason: str,
    *,
    requesting_team_id: int | None = None,
    home_team_id: int | None = None,
) -> AwayTeamRequest:
    if S(row.state) not in OPEN_STATES:
        raise RuleViolation(f"request {row.id} is {row.state}; only open requests are re-routed", field="request_id")
    changes: dict[str, Any] = {}
    if requesting_team_id is not None:
        changes["requesting_team_id"] = _live_team(requesting_team_id, "requesting_team_id").id
    if home_team_id is not None:
        changes["home_team_id"] = _live_team(home_team_id, "home_team_id").id
    if not changes:
        raise RuleViolation("name the new requesting team or the new home team", field="requesting_team_id")
    if changes.get("requesting_team_id", row.requesting_team_id) == changes.get("home_team_id", row.home_team_id):
        raise RuleViolation("a request cannot be re-routed to the team on its other side", field="requesting_team_id")
    note = _text(reason, "reason", 5000)
    return machine_apply.write(
        _BINDING, actor=actor, row=row, transition=REROUTE, to_state=row.state, changes=changes, note=note
    )


def _close_open(actor: Actor, row: RequestRow, reason: str) -> AwayTeamRequest:
    if S(row.state) not in OPEN_STATES:
        raise RuleViolation(f"request {row.id} is already {row.state}", field="request_id")
    text = _text(reason, "reason", 5000)
    changes = {"closed_at": clock.now(), "outcome": f"closed: {text}"[:300]}
    return machine_apply.write(
        _BINDING,
        actor=actor,
        row=row,
        transition=MACHINE.transition("close"),
        to_state=S.CLOSED.value,
        changes=changes,
        note=text,
    )


# ---------------------------------------------------------------------------------------------- private helpers


def _visible(actor: Actor):
    """The one visibility chokepoint (away_teams.policy): every signed-in person may read every request."""
    return _policy.visible_to(actor, RequestRow.objects.all())


def _require_row(qs, request_id: int) -> RequestRow:
    row = qs.filter(pk=request_id).first()
    if row is None:
        raise NotFound(f"away-team request {request_id} does not exist", field="request_id")
    return row


class _Context:
    """What one operation on a request reads about it, each at most once (query economy): both teams' sides
    (slug, leader, members, the leaders' chains: one query), the services' names; passed along to the guards,
    the effects, the audit record and the notices. Also what the declaration's effects see."""

    def __init__(self, actor: Actor, row: RequestRow, *, services: dict | None = None):
        self.actor, self.row, self.values = actor, row, {}
        self.now, self.today = clock.now(), clock.today()
        self.warranty_days = warranty_days()
        self._sides: dict = {}
        self._services: dict = dict(services or {})

    def sides(self) -> dict:
        wanted = {self.row.requesting_team_id, self.row.home_team_id} - set(self._sides) - {None}
        if wanted:
            self._sides.update(org_services.team_sides(actor=self.actor, team_ids=wanted))
        return self._sides

    def people(self, team_id: int) -> set[int]:
        """Members and the leader of one of the request's teams."""
        side = self.sides().get(team_id)
        return set(side.people) if side is not None else set()

    def home_people(self) -> set[int]:
        return self.people(self.row.home_team_id)

    def _load_services(self, *ids: int) -> None:
        wanted = {self.row.service_id, *ids} - set(self._services)
        if wanted:
            found = catalog_services.get_services(actor=Actor.system("away_teams"), ids=wanted)
            self._services.update({i: found.get(i) for i in wanted})

    def names(self) -> dict[str, dict[int, str]]:
        self._load_services()
        return {
            "teams": {t.id: t.slug for t in self.sides().values()},
            "services": {s.id: s.name for s in self._services.values() if s is not None},
        }

    def team_service(self, service_id: int):
        self._load_services(service_id)
        return self._services.get(service_id)

    def lowest_common_manager(self) -> int:
        return _lowest_common_manager(self.row, self.sides())


def _load(actor: Actor, row: RequestRow) -> _Context:
    return _Context(actor, row)


def _snapshot(ctx: _Context) -> dict[str, Any]:
    return _audit_view(_to_request(ctx.row, ctx.names()))


def _record(step: machine_apply.Step) -> AwayTeamRequest:
    """After the compare-and-set: the timeline event, the audit record and the notices, in the same transaction."""
    ctx: _Context = step.context
    row, t = ctx.row, step.transition
    _event(row, ctx.actor, t.name, step.from_state, step.to_state, step.note)
    # Leaving `filed` settles the answer's deadline: the deadlines helper asks `awaiting_answer` before it reminds
    # anyone (registered in apps.py), so no write is spent on it here. A re-route names a new home team to answer.
    if t is REROUTE and step.to_state == S.FILED.value:
        ctx._sides.pop(row.home_team_id, None)
        _track_answer(ctx.actor, row, ctx.sides()[row.home_team_id])
    request = _to_request(row, ctx.names())
    audit_services.record_change(
        actor=ctx.actor,
        verb=t.name,
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
        subject_label=row.title,
        before=step.before,
        after=_audit_view(request),
        reason=step.note,
    )
    words = t.words_for(t.notice, step.to_state) or t.name.replace("_", " ")
    headline = words.format(
        requesting=request.requesting_team_slug,
        home=request.home_team_slug,
        warranty_until=request.warranty_until,
    )
    recipients = ctx.people(row.requesting_team_id) | ctx.people(row.home_team_id)
    if row.decider_id is not None and t.name in ("escalate", "decide"):
        recipients.add(row.decider_id)
    _notify(ctx.actor, row, t.name, f"{request.title}: {headline}", recipients=recipients)
    return request


_BINDING = machine_apply.Binding(
    machine=MACHINE,
    load=_load,
    facts=lambda ctx: _facts(ctx.row),
    parties=lambda ctx: _parties(ctx.actor, ctx.row, ctx),
    snapshot=_snapshot,
    record=_record,
)


def _notify(
    actor: Actor,
    row: RequestRow,
    transition: str | None,
    title: str,
    *,
    recipients: Iterable[int],
    kind: str | None = None,
) -> None:
    """Tell the people concerned (both teams' members and leaders, the deciding manager of an escalation)."""
    notifications_services.notify(
        actor=actor,
        recipients=recipients,
        kind=kind or f"away_request.{transition or 'update'}",
        title=title[:200],
        body=row.what[:1000],
        url=f"/away/requests/{row.id}",
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
    )


def awaiting_answer(subject_ids: set[int]) -> set[int]:
    """Which of these requests still wait for the home team's answer (still `filed`): the deadlines helper's check
    before it reminds or escalates (MECHANISMS.md §3: an answered request is never reminded)."""
    return set(RequestRow.objects.filter(pk__in=subject_ids, state=S.FILED.value).values_list("id", flat=True))


def _track_answer(actor: Actor, row: RequestRow, home: TeamSide, *, fresh: bool = False) -> None:
    """The home team owes an answer by the end of ``due_on`` (MECHANISMS.md §3): its members and leader are
    reminded once a day while it is late; after ``AWAY_TEAM_ESCALATE_AFTER_DAYS`` more days, and again after each
    such span, the next manager up the home leader's chain hears of it (notifications' deadlines helper)."""
    escalate_days = int(settings.MECHANISMS.get("AWAY_TEAM_ESCALATE_AFTER_DAYS", 5))
    owners = set(home.people)
    notifications_services.track_deadline(
        actor=actor,
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
        due_at=timezone.make_aware(dt.datetime.combine(row.due_on + dt.timedelta(days=1), dt.time.min)),
        owner_ids=owners,
        title=f"{row.title} waits for an answer from {home.name}",
        kind="away_request.overdue",
        url=f"/away/requests/{row.id}",
        remind_every=dt.timedelta(days=1),
        escalate_after=dt.timedelta(days=escalate_days) if escalate_days > 0 else None,
        escalate_from_id=home.leader_id,
        fresh=fresh,
    )


def _event(row: RequestRow, actor: Actor, transition: str, from_state: str, to_state: str, note: str) -> None:
    EventRow.objects.create(
        request=row,
        at=clock.now(),
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.person_id,
        actor_label=actor.label[:200],
        note=note or "",
    )


def _facts(row: RequestRow) -> rules.RequestFacts:
    today = clock.today()
    return rules.RequestFacts(
        state=S(row.state),
        escalated_before=bool(row.decision),
        overdue=row.state == S.FILED.value and row.due_on < today,
        warranty_over=row.warranty_until is not None and row.warranty_until < today,
    )


def _parties(actor: Actor, row: RequestRow, ctx: _Context | None = None) -> frozenset[str]:
    ctx = ctx or _Context(actor, row)
    return _parties_for(actor, row.requesting_team_id, row.home_team_id, row.decider_id, people=ctx.people)


def _parties_for(
    actor: Actor,
    requesting: int | None,
    home: int | None,
    decider: int | None,
    *,
    people: Callable[[int], set[int]] | None = None,
) -> frozenset[str]:
    """Which side(s) the actor is on: a member or the leader of a team is that team (MECHANISMS.md §3 roles;
    away_teams.policy). `people(team_id)` gives a team's members and leader when the caller has them loaded already."""
    if actor.person_id is None:
        return frozenset()
    if people is None:  # away_teams.policy decides from the actor's relations (read once per request)
        return frozenset(p.value for p in _policy.parties(actor, requesting, home, decider))
    on = {t for t in (requesting, home) if t is not None and actor.person_id in people(t)}
    parties = set()
    if requesting in on:
        parties.add(Party.REQUESTING.value)
    if home in on:
        parties.add(Party.HOME.value)
    if decider is not None and decider == actor.person_id:
        parties.add(Party.DECIDER.value)
    return frozenset(parties)


def _live(team, team_id: Any, field: str):
    """`team` (a Team or a TeamSide) when it is live; NotFound or RuleViolation naming `field`."""
    if team is None:
        raise NotFound(f"team {team_id} does not exist", field=field)
    if team.status.value not in LIVE_TEAM_STATUSES:
        raise RuleViolation(f"team {team.slug} is {team.status.value}", field=field)
    return team


def _live_team(team_id: Any, field: str):
    teams = org_services.get_teams(actor=Actor.system("away_teams"), ids=[team_id]) if isinstance(team_id, int) else {}
    return _live(teams.get(team_id), team_id, field)


def _lowest_common_manager(row: RequestRow, sides: dict) -> int:
    chains = []
    for team_id in (row.requesting_team_id, row.home_team_id):
        side = sides.get(team_id)
        if side is None or side.leader_id is None:
            slug = side.slug if side else team_id
            raise RuleViolation(
                f"team {slug} has no single-threaded leader; an escalation climbs from both leaders", field="decider"
            )
        chains.append(list(side.leader_chain))
    decider = rules.lowest_common_manager(chains[0], chains[1])
    if decider is None:
        raise RuleViolation("no one manages both teams' leaders, so no one can decide an escalation", field="decider")
    return decider


def _names(rows: Iterable[RequestRow]) -> dict[str, dict[int, str]]:
    rows = list(rows)
    teams = org_services.get_teams(
        actor=Actor.system("away_teams"), ids={t for r in rows for t in (r.home_team_id, r.requesting_team_id)}
    )
    services = catalog_services.get_services(actor=Actor.system("away_teams"), ids={r.service_id for r in rows})
    return {
        "teams": {t.id: t.slug for t in teams.values()},
        "services": {s.id: s.name for s in services.values()},
    }


def _to_requests(page: Page) -> Page[AwayTeamRequest]:
    names = _names(page.items)
    return page.map(lambda r: _to_request(r, names))


def _audit_view(request: AwayTeamRequest) -> dict[str, Any]:
    return {
        "state": request.state.value,
        "service": request.service_name,
        "requesting_team": request.requesting_team_slug,
        "home_team": request.home_team_slug,
        "contact_id": request.contact_id,
        "decider_id": request.decider_id,
        "decision": request.decision,
        "duplicate_service_id": request.duplicate_service_id,
        "checklist": {
            "tests": request.checklist.tests,
            "docs": request.checklist.docs,
            "runbook": request.checklist.runbook,
            "review_approved": request.checklist.review_approved,
        },
        "warranty_until": request.warranty_until.isoformat() if request.warranty_until else None,
        "outcome": request.outcome,
        "version": request.version,
    }


def _to_event(row: EventRow) -> RequestEvent:
    return RequestEvent(
        id=row.id,
        at=row.at,
        transition=row.transition,
        from_state=row.from_state,
        to_state=row.to_state,
        actor_id=row.actor_id,
        actor_label=row.actor_label,
        note=row.note,
    )


def _to_request(row: RequestRow, names: dict[str, dict[int, str]] | None = None) -> AwayTeamRequest:
    names = names if names is not None else _names([row])
    return AwayTeamRequest(
        id=RequestId(row.id),
        version=row.version,
        title=row.title,
        what=row.what,
        why=row.why,
        design=row.design,
        service_id=row.service_id,
        service_name=names["services"].get(row.service_id, str(row.service_id)),
        requesting_team_id=row.requesting_team_id,
        requesting_team_slug=names["teams"].get(row.requesting_team_id, str(row.requesting_team_id)),
        home_team_id=row.home_team_id,
        home_team_slug=names["teams"].get(row.home_team_id, str(row.home_team_id)),
        filed_by_id=row.filed_by_id,
        state=S(row.state),
        filed_at=row.filed_at,
        due_on=row.due_on,
        overdue=row.state == S.FILED.value and row.due_on < clock.today(),
        answer=row.answer,
        answered_at=row.answered_at,
        effort_days=row.effort_days,
        contact_id=row.contact_id,
        standards=row.standards,
        decline_reason=row.decline_reason,
        decider_id=row.decider_id,
        escalation_reason=row.escalation_reason,
        decision=row.decision,
        decision_reason=row.decision_reason,
        duplicate_service_id=row.duplicate_service_id,
        checklist=Checklist(row.tests_done, row.docs_done, row.runbook_done, row.review_approved),
        downstream_impact=row.downstream_impact,
        handed_off_at=row.handed_off_at,
        warranty_until=row.warranty_until,
        closed_at=row.closed_at,
        outcome=row.outcome,
    )
