"""Public services of the away-teams app (MECHANISMS.md §3): file a request on another team's service, answer it,
escalate it to the lowest common manager, duplicate, build, review, hand off, keep the warranty, withdraw; the
team board, the tax and credit reports; and the moves the team-lifecycle workflows make (re-route, close).

Every transition is one transaction: the version the caller read is checked first (a stale one is a 409), then
the state and the actor's party through the pure ``rules.check_transition`` (the wrong moment is a 400, the
wrong person a 403, both naming the rule), then the input; the change, its timeline event, its audit record and
the notifications to the people concerned land together or not at all.

Who may see: away-team requests are not confidential (MECHANISMS.md §3 wants the tax visible to everyone), so
every signed-in person may read every request and report; ``_visible`` is the one chokepoint that says so.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from mechanisms.audit import services as audit_services
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import Lifecycle, Service
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, clamp_limit, clamp_offset, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import rules
from .contracts import (
    OPEN_STATES,
    AwayTeamRequest,
    Checklist,
    CreditLine,
    CreditReport,
    Decision,
    Party,
    RequestEvent,
    RequestId,
    RequestState,
    RequestView,
    SweepReport,
    TaxLine,
    TeamBoard,
    Transition,
)
from .models import Event as EventRow
from .models import Request as RequestRow

S = RequestState
T = Transition
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
    with transaction.atomic():
        requesting = _live_team(requesting_team_id, "requesting_team_id")
        if Party.REQUESTING not in _parties_for(actor, requesting.id, None, None):
            raise PermissionDenied(
                f"only a member of {requesting.slug} may file a request for it", field="requesting_team_id"
            )
        try:
            service = catalog_services.get_service(service_id=service_id)
        except NotFound as exc:
            raise NotFound(f"service {service_id} does not exist", field="service_id") from exc
        if service.lifecycle == "retired":
            raise RuleViolation(f"{service.name} is retired; file on the service that replaced it", field="service_id")
        if service.owner_team_id is None:
            raise RuleViolation(f"{service.name} has no owning team to answer", field="service_id")
        if service.owner_team_id == requesting.id:
            raise RuleViolation(
                f"{service.name} is your own team's service: change it yourselves, no request needed",
                field="service_id",
            )
        home = _live_team(service.owner_team_id, "service_id")
        now = clock.now()
        row = RequestRow.objects.create(
            **values,
            service_id=service.id,
            requesting_team_id=requesting.id,
            home_team_id=home.id,
            filed_by_id=actor.person_id,
            state=S.FILED.value,
            filed_at=now,
            due_on=rules.add_working_days(clock.today(), response_days()),
        )
        _event(row, actor, T.FILE, "", S.FILED, values["why"][:500])
        request = _to_request(row)
        audit_services.record_change(
            actor=actor,
            verb="file",
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=row.title,
            after=_audit_view(request),
        )
        _notify(actor, row, T.FILE, f"{requesting.name} asks {home.name} for a change in {service.name}")
    return request


# ---------------------------------------------------------------------------------------------- the home team answers


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
    to spend supporting it (it counts in its tax). Home team only, from `filed`."""

    def validate(row: RequestRow) -> dict[str, Any]:
        members = _team_people(row.home_team_id)
        if contact_id not in members:
            raise RuleViolation("the point of contact must be a member of the home team", field="contact_id")
        return {
            "contact_id": contact_id,
            "standards": _text(standards, "standards", 20000),
            "effort_days": _effort(effort_days),
            "answer": T.ACCEPT.value,
            "answered_at": clock.now(),
        }

    return _transition(actor, request_id, version, T.ACCEPT, S.ACCEPTED, validate, note)


def build_at_home(
    *, actor: Actor, request_id: int, version: int, note: str = "", effort_days: float | None = None
) -> AwayTeamRequest:
    """Answer "we build it ourselves": the home team puts the change on its own roadmap (its effort counts in its
    tax). Home team only, from `filed`."""
    return _transition(
        actor,
        request_id,
        version,
        T.BUILD_AT_HOME,
        S.HOME_BUILDS,
        lambda row: {"effort_days": _effort(effort_days), "answer": T.BUILD_AT_HOME.value, "answered_at": clock.now()},
        note,
    )


def decline_request(*, actor: Actor, request_id: int, version: int, reason: str) -> AwayTeamRequest:
    """Decline, with a reason the requesting team can act on (escalate or duplicate). Home team only, from
    `filed`."""
    return _transition(
        actor,
        request_id,
        version,
        T.DECLINE,
        S.DECLINED,
        lambda row: {
            "decline_reason": _text(reason, "reason", 5000),
            "answer": T.DECLINE.value,
            "answered_at": clock.now(),
        },
        reason,
    )


# ---------------------------------------------------------------------------------------------- escalation


def escalate_request(*, actor: Actor, request_id: int, version: int, reason: str) -> AwayTeamRequest:
    """Escalate, after a decline or when the requesting team cannot build it: a roadmap discussion owned by the
    lowest common manager of both teams' single-threaded leaders, who is named now (MECHANISMS.md §3). Requesting
    team only, once. Raises RuleViolation when a team has no leader or no one manages both."""

    def validate(row: RequestRow) -> dict[str, Any]:
        text = _text(reason, "reason", 5000)
        return {"escalation_reason": text, "decider_id": _lowest_common_manager(row)}

    return _transition(actor, request_id, version, T.ESCALATE, S.ESCALATED, validate, reason)


def decide_escalation(*, actor: Actor, request_id: int, version: int, decision: str, reason: str) -> AwayTeamRequest:
    """Record the deciding manager's decision: reshuffle the home team's roadmap (the home team builds it) or
    keep it (the request stays declined; the requesting team may still duplicate). The deciding manager only."""

    def validate(row: RequestRow) -> dict[str, Any]:
        if decision not in {d.value for d in Decision}:
            raise RuleViolation(f"decision must be one of {', '.join(d.value for d in Decision)}", field="decision")
        return {"decision": decision, "decision_reason": _text(reason, "reason", 5000)}

    to_state = S.HOME_BUILDS if decision == Decision.RESHUFFLE.value else S.DECLINED
    return _transition(actor, request_id, version, T.DECIDE, to_state, validate, reason)


def duplicate_request(
    *, actor: Actor, request_id: int, version: int, duplicate_service_id: int, reason: str = ""
) -> AwayTeamRequest:
    """Duplicate: the requesting team builds what it needs in a service of its own. Legitimate and recorded,
    linked to the original request and service and to the new service, and never counted against anyone.
    Requesting team only, after an answer (or once the answer is overdue)."""

    def validate(row: RequestRow) -> dict[str, Any]:
        try:
            service = catalog_services.get_service(service_id=duplicate_service_id)
        except NotFound as exc:
            raise RuleViolation(f"service {duplicate_service_id} does not exist", field="duplicate_service_id") from exc
        if service.owner_team_id != row.requesting_team_id:
            raise RuleViolation("the duplicate must be a service your team owns", field="duplicate_service_id")
        return {
            "duplicate_service_id": service.id,
            "closed_at": clock.now(),
            "outcome": f"duplicated in {service.name}"[:300],
        }

    return _transition(actor, request_id, version, T.DUPLICATE, S.DUPLICATED, validate, reason)


# ---------------------------------------------------------------------------------------------- building and hand-off


def start_building(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """The requesting team starts building the accepted change. Requesting team only, from `accepted`."""
    return _transition(actor, request_id, version, T.START, S.IN_PROGRESS, lambda row: {}, note)


def submit_for_review(
    *,
    actor: Actor,
    request_id: int,
    version: int,
    tests: bool = False,
    docs: bool = False,
    runbook: bool = False,
    note: str = "",
) -> AwayTeamRequest:
    """Ask the home team to review the change, with the checklist as it stands. Requesting team only."""
    return _transition(
        actor,
        request_id,
        version,
        T.SUBMIT,
        S.IN_REVIEW,
        lambda row: {
            "tests_done": bool(tests),
            "docs_done": bool(docs),
            "runbook_done": bool(runbook),
            "review_approved": False,
        },
        note,
    )


def review_request(*, actor: Actor, request_id: int, version: int, approved: bool, note: str = "") -> AwayTeamRequest:
    """The home team reviews the change against its standards: approved (the hand-off may follow) or changes
    requested, with what to change (back to in progress). Home team only, from `in_review`."""

    def validate(row: RequestRow) -> dict[str, Any]:
        if not approved and not (note or "").strip():
            raise RuleViolation("say what has to change when you request changes", field="note")
        return {"review_approved": bool(approved)}

    to_state = S.IN_REVIEW if approved else S.IN_PROGRESS
    return _transition(actor, request_id, version, T.REVIEW, to_state, validate, note)


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
    """Hand the change off (MECHANISMS.md §3): only with the code in good order (tests, docs, runbook, and the
    home team's review approved); a declared downstream impact earns the requesting team credit. Requesting
    team only. Raises RuleViolation listing every missing checklist item."""

    def validate(row: RequestRow) -> dict[str, Any]:
        items = {"tests": tests, "docs": docs, "runbook": runbook, "review_approved": row.review_approved}
        missing = rules.missing_checklist(items)
        if missing:
            raise RuleViolation(
                "the hand-off checklist is incomplete: " + "; ".join(missing),
                field="checklist",
                details={"field": "checklist", "missing": missing},
            )
        return {
            "tests_done": True,
            "docs_done": True,
            "runbook_done": True,
            "downstream_impact": _text(downstream_impact, "downstream_impact", 5000, required=False),
            "handed_off_at": clock.now(),
        }

    return _transition(actor, request_id, version, T.HAND_OFF, S.HANDED_OFF, validate, note)


def accept_hand_off(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """The home team takes over maintenance; the requesting team stays on call for the warranty period
    (default 30 days) before the request closes. Home team only, from `handed_off`."""
    return _transition(
        actor,
        request_id,
        version,
        T.ACCEPT_HAND_OFF,
        S.WARRANTY,
        lambda row: {"warranty_until": clock.today() + dt.timedelta(days=warranty_days())},
        note,
    )


def complete_request(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """The home team shipped the change it built itself. Home team only, from `home_builds`."""
    return _transition(
        actor,
        request_id,
        version,
        T.COMPLETE,
        S.CLOSED,
        lambda row: {"closed_at": clock.now(), "outcome": "built by the home team"},
        note,
    )


def close_request(*, actor: Actor, request_id: int, version: int, note: str = "") -> AwayTeamRequest:
    """Close a handed-off request once its warranty period is over. Either team (the sweep does it too)."""
    return _transition(
        actor,
        request_id,
        version,
        T.CLOSE,
        S.CLOSED,
        lambda row: {"closed_at": clock.now(), "outcome": "handed off; warranty over"},
        note,
    )


def withdraw_request(*, actor: Actor, request_id: int, version: int, reason: str) -> AwayTeamRequest:
    """The requesting team no longer needs the change. Requesting team only, before the hand-off."""
    return _transition(
        actor,
        request_id,
        version,
        T.WITHDRAW,
        S.WITHDRAWN,
        lambda row: {"closed_at": clock.now(), "outcome": "withdrawn: " + _text(reason, "reason", 5000)[:280]},
        reason,
    )


# ---------------------------------------------------------------------------------------------- reads


def get_request(*, actor: Actor, request_id: int) -> AwayTeamRequest:
    """One request. Raises NotFound, PermissionDenied (not signed in)."""
    return _to_request(_require_row(_visible(actor), request_id))


def request_view(*, actor: Actor, request_id: int) -> RequestView:
    """A request, its timeline, and the transitions this viewer may take now (what the request page shows)."""
    row = _require_row(_visible(actor), request_id)
    parties = _parties(actor, row)
    events = tuple(_to_event(e) for e in row.events.order_by("at", "id"))
    actions = rules.available(_facts(row), parties)
    return RequestView(
        request=_to_request(row),
        timeline=events,
        actions=tuple(a.value for a in actions),
        viewer_parties=tuple(sorted(p.value for p in parties)),
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
    team = org_services.get_team(team_id=team_id)
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
        if answer == T.ACCEPT.value:
            line["accepted"] += 1
        if answer == T.BUILD_AT_HOME.value or state == S.HOME_BUILDS.value:
            line["home_builds"] += 1
        if answer in (T.ACCEPT.value, T.BUILD_AT_HOME.value) or state == S.HOME_BUILDS.value:
            line["effort"] += effort or 0.0
        if state in OPEN_STATES:
            line["open"] += 1
        if state == S.FILED.value and due_on < today:
            line["overdue"] += 1
    ranked = sorted(per_team.items(), key=lambda kv: (-kv[1]["effort"], -kv[1]["inbound"], kv[0]))
    limit, offset = clamp_limit(limit), clamp_offset(offset)
    window = ranked[offset : offset + limit]
    teams = org_services.get_teams(ids=[t for t, _ in window])
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
    teams = org_services.get_teams(ids=per_team)
    units = {u.id: u for u in org_services.all_org_units()}
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
    if actor.person_id is None:
        return []
    mine = org_services.person_teams(person_id=actor.person_id)
    teams = org_services.get_teams(ids={*mine.member_of, *mine.leads})
    return sorted(t.id for t in teams.values() if t.status.value in LIVE_TEAM_STATUSES)


def can_request_change(*, actor: Actor, service: Service) -> bool:
    """MECHANISMS.md §3: "request a change" is for a member of a live team other than the service's owner, on a
    service that is not retired (the owner changes its own service directly)."""
    if service.lifecycle == Lifecycle.RETIRED:
        return False
    return bool(set(can_file_for(actor=actor)) - {service.owner_team_id})


# ---------------------------------------------------------------------------------------------- the periodic sweep


def sweep(*, actor: Actor, today: dt.date | None = None) -> SweepReport:
    """Remind home teams of overdue answers (once a day at most) and close requests whose warranty is over
    (MECHANISMS.md §3: overdue answers are flagged and reminded). Admins or the product itself; run by `mech away
    sweep` from cron."""
    org_services.require_admin(actor, "run the away-team sweep")
    today = today or clock.today()
    now = clock.now()
    reminded = closed = 0
    overdue = RequestRow.objects.filter(state=S.FILED.value, due_on__lt=today).filter(
        Q(reminded_at__isnull=True) | Q(reminded_at__lt=now - dt.timedelta(hours=23))
    )
    for row in overdue.order_by("id"):
        with transaction.atomic():
            if RequestRow.objects.filter(pk=row.pk, version=row.version).update(reminded_at=now) == 0:
                continue  # someone answered meanwhile
            late = rules.working_days_between(row.due_on, today)
            audit_services.record_change(
                actor=actor,
                verb="remind",
                subject_type=SUBJECT_TYPE,
                subject_id=row.id,
                subject_label=row.title,
                after={"due_on": row.due_on.isoformat(), "working_days_late": late},
            )
            _notify(
                actor,
                row,
                None,
                f"Overdue: {row.title} waits for an answer since {row.due_on.isoformat()}",
                recipients=_team_people(row.home_team_id),
                kind="away_request.overdue",
            )
            reminded += 1
    ended = RequestRow.objects.filter(state=S.WARRANTY.value, warranty_until__lt=today).order_by("id")
    for row in ended:
        try:
            _apply(
                actor,
                row,
                row.version,
                T.CLOSE,
                S.CLOSED,
                {"closed_at": now, "outcome": "handed off; warranty over"},
                "warranty over",
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
    return _apply(actor, row, row.version, T.REROUTE, S(row.state), changes, _text(reason, "reason", 5000))


def _close_open(actor: Actor, row: RequestRow, reason: str) -> AwayTeamRequest:
    if S(row.state) not in OPEN_STATES:
        raise RuleViolation(f"request {row.id} is already {row.state}", field="request_id")
    text = _text(reason, "reason", 5000)
    changes = {"closed_at": clock.now(), "outcome": f"closed: {text}"[:300]}
    return _apply(actor, row, row.version, T.CLOSE, S.CLOSED, changes, text)


# ---------------------------------------------------------------------------------------------- private helpers


def _visible(actor: Actor):
    """The one visibility chokepoint: every signed-in person may read every request (not confidential)."""
    org_services.require_signed_in(actor)
    return RequestRow.objects.all()


def _require_row(qs, request_id: int) -> RequestRow:
    row = qs.filter(pk=request_id).first()
    if row is None:
        raise NotFound(f"away-team request {request_id} does not exist", field="request_id")
    return row


def _transition(
    actor: Actor,
    request_id: int,
    version: int,
    transition: Transition,
    to_state: RequestState,
    validate: Callable[[RequestRow], dict[str, Any]],
    note: str,
) -> AwayTeamRequest:
    """Judge and apply one party's transition (see the module docstring for the order of the checks)."""
    org_services.require_signed_in(actor)
    with transaction.atomic():
        row = _require_row(RequestRow.objects.all(), request_id)
        if row.version != version:
            raise Conflict(
                f"request {row.id} was changed by someone else (you read version {version}, it is now "
                f"{row.version}: {row.state}); reload and try again",
                field="version",
                details={"field": "version", "expected": version, "current": row.version, "state": row.state},
            )
        refusal = rules.check_transition(transition, _facts(row), _parties(actor, row))
        if refusal is not None:
            error = PermissionDenied if refusal.forbidden else RuleViolation
            raise error(
                refusal.message,
                field=refusal.field,
                details={"field": refusal.field, "rule": transition.value, "state": row.state},
            )
        changes = validate(row)
        return _apply(actor, row, version, transition, to_state, changes, _text(note, "note", 5000, required=False))


def _apply(
    actor: Actor,
    row: RequestRow,
    version: int,
    transition: Transition,
    to_state: RequestState,
    changes: dict[str, Any],
    note: str,
) -> AwayTeamRequest:
    """Write the change (compare-and-set on the version), its timeline event, its audit record, the notices."""
    with transaction.atomic():
        names = _names([row])
        before = _audit_view(_to_request(row, names))
        from_state = row.state
        update_versioned(row, expected_version=version, changes={**changes, "state": to_state.value})
        _event(row, actor, transition, from_state, to_state, note)
        after_request = _to_request(row)
        audit_services.record_change(
            actor=actor,
            verb=transition.value,
            subject_type=SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=row.title,
            before=before,
            after=_audit_view(after_request),
            reason=note,
        )
        _notify(actor, row, transition, _headline(transition, after_request))
    return after_request


def _headline(transition: Transition, request: AwayTeamRequest) -> str:
    words = {
        T.ACCEPT: f"{request.home_team_slug} accepted: {request.requesting_team_slug} builds it",
        T.BUILD_AT_HOME: f"{request.home_team_slug} will build it on its own roadmap",
        T.DECLINE: f"{request.home_team_slug} declined",
        T.ESCALATE: f"{request.requesting_team_slug} escalated; a manager decides",
        T.DECIDE: f"escalation decided: {request.decision.replace('_', ' ')}",
        T.DUPLICATE: f"{request.requesting_team_slug} duplicates it in a service of its own",
        T.START: f"{request.requesting_team_slug} started building",
        T.SUBMIT: f"{request.requesting_team_slug} asks {request.home_team_slug} for a review",
        T.REVIEW: "review approved" if request.checklist.review_approved else "changes requested",
        T.HAND_OFF: f"{request.requesting_team_slug} handed off; {request.home_team_slug} to accept",
        T.ACCEPT_HAND_OFF: f"{request.home_team_slug} took over maintenance; warranty until {request.warranty_until}",
        T.COMPLETE: f"{request.home_team_slug} shipped it",
        T.CLOSE: "closed",
        T.WITHDRAW: f"{request.requesting_team_slug} withdrew",
        T.REROUTE: f"re-routed: {request.requesting_team_slug} asks {request.home_team_slug}",
    }
    return f"{request.title}: {words.get(transition, transition.value)}"


def _notify(
    actor: Actor,
    row: RequestRow,
    transition: Transition | None,
    title: str,
    *,
    recipients: Iterable[int] | None = None,
    kind: str | None = None,
) -> None:
    """The people concerned: both teams (members and leaders) and, once there is one, the deciding manager."""
    if recipients is None:
        people = _team_people(row.requesting_team_id) | _team_people(row.home_team_id)
        if row.decider_id is not None and transition in (T.ESCALATE, T.DECIDE):
            people.add(row.decider_id)
        recipients = people
    notifications_services.notify(
        actor=actor,
        recipients=recipients,
        kind=kind or f"away_request.{transition.value if transition else 'update'}",
        title=title[:200],
        body=row.what[:1000],
        url=f"/away/requests/{row.id}",
        subject_type=SUBJECT_TYPE,
        subject_id=row.id,
    )


def _event(row: RequestRow, actor: Actor, transition: Transition, from_state: str, to_state: RequestState, note: str):
    EventRow.objects.create(
        request=row,
        at=clock.now(),
        transition=transition.value,
        from_state=from_state,
        to_state=to_state.value,
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


def _parties(actor: Actor, row: RequestRow) -> frozenset[Party]:
    return _parties_for(actor, row.requesting_team_id, row.home_team_id, row.decider_id)


def _parties_for(actor: Actor, requesting: int | None, home: int | None, decider: int | None) -> frozenset[Party]:
    """Which side(s) the actor is on: a member or the leader of a team is that team (MECHANISMS.md §3 roles)."""
    if actor.person_id is None:
        return frozenset()
    mine = org_services.person_teams(person_id=actor.person_id)
    teams = {*mine.member_of, *mine.leads}
    parties = set()
    if requesting in teams:
        parties.add(Party.REQUESTING)
    if home in teams:
        parties.add(Party.HOME)
    if decider is not None and decider == actor.person_id:
        parties.add(Party.DECIDER)
    return frozenset(parties)


def _team_people(team_id: int) -> set[int]:
    """Members and the leader of a team."""
    people = {p.id for p in org_services.team_members(team_id=team_id)}
    team = org_services.get_teams(ids=[team_id]).get(team_id)
    if team is not None and team.leader_id is not None:
        people.add(team.leader_id)
    return people


def _live_team(team_id: Any, field: str):
    teams = org_services.get_teams(ids=[team_id]) if isinstance(team_id, int) else {}
    team = teams.get(team_id)
    if team is None:
        raise NotFound(f"team {team_id} does not exist", field=field)
    if team.status.value not in LIVE_TEAM_STATUSES:
        raise RuleViolation(f"team {team.slug} is {team.status.value}", field=field)
    return team


def _lowest_common_manager(row: RequestRow) -> int:
    teams = org_services.get_teams(ids=[row.requesting_team_id, row.home_team_id])
    leaders = []
    for team_id in (row.requesting_team_id, row.home_team_id):
        team = teams.get(team_id)
        if team is None or team.leader_id is None:
            slug = team.slug if team else team_id
            raise RuleViolation(
                f"team {slug} has no single-threaded leader; an escalation climbs from both leaders", field="decider"
            )
        leaders.append(team.leader_id)
    chains = [[p.id for p in org_services.management_chain(person_id=leader)] for leader in leaders]
    decider = rules.lowest_common_manager(chains[0], chains[1])
    if decider is None:
        raise RuleViolation("no one manages both teams' leaders, so no one can decide an escalation", field="decider")
    return decider


def _effort(value: float | None) -> float | None:
    if value is None:
        return None
    if not (0 <= float(value) <= 10000):
        raise RuleViolation("effort_days must be between 0 and 10000", field="effort_days")
    return float(value)


def _names(rows: Iterable[RequestRow]) -> dict[str, dict[int, str]]:
    rows = list(rows)
    teams = org_services.get_teams(ids={t for r in rows for t in (r.home_team_id, r.requesting_team_id)})
    services = catalog_services.get_services(ids={r.service_id for r in rows})
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
