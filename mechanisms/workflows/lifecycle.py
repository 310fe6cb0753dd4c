"""The team lifecycle (MECHANISMS.md §1, issue 4): form a team around a customer problem, transfer a service with
its open away-team requests, and dissolve a team in one atomic step that leaves nothing orphaned.

Orchestration only: every change goes through the owning app's services (org, catalog, away_teams,
notifications), each writing its own audit records, inside one transaction here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction

from mechanisms.away_teams import services as away_services
from mechanisms.away_teams.contracts import AwayTeamRequest
from mechanisms.catalog import services as catalog_services
from mechanisms.catalog.contracts import Service
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, RuleViolation
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Team

CHARTER_MIN_LENGTH = 20
LIVE = ("forming", "active")
notifications_services.declare_kinds(kinds=["team.formed"])  # the preferences help lists what is sent


# ---------------------------------------------------------------------------------------------- form


def form_team(
    *,
    actor: Actor,
    slug: str,
    name: str,
    org_unit_id: int,
    charter: str,
    leader_id: int | None = None,
    member_ids: Sequence[int] = (),
) -> Team:
    """Form a team (status `forming`) around a customer problem: the charter, which names that problem, is
    required (MECHANISMS.md §1, formation). Admins and the leaders of the org unit or above. The leader and the
    members are told. Raises RuleViolation naming the field, PermissionDenied, Conflict."""
    text = (charter or "").strip()
    if len(text) < CHARTER_MIN_LENGTH:
        raise RuleViolation(
            f"a team is formed around a customer problem: write the charter (at least {CHARTER_MIN_LENGTH} "
            "characters) saying which customer problem it solves",
            field="charter",
        )
    with transaction.atomic():
        team = org_services.create_team(
            actor=actor,
            slug=slug,
            name=name,
            org_unit_id=org_unit_id,
            charter=text,
            leader_id=leader_id,
            status="forming",
            member_ids=member_ids,
        )
        notifications_services.notify(
            actor=actor,
            recipients=[*member_ids, *([leader_id] if leader_id else [])],
            kind="team.formed",
            title=f"{team.name} is forming: {text[:120]}",
            body=text,
            url=f"/teams/{team.slug}",
            subject_type="team",
            subject_id=team.id,
        )
    return team


# ---------------------------------------------------------------------------------------------- transfer


def transfer_service(*, actor: Actor, service_id: int, version: int, to_team_id: int, reason: str = "") -> Service:
    """Move a service to another active team (MECHANISMS.md §1, spin-out/transfer): the ownership history keeps
    who owned it when, and its open away-team requests follow it to the new home team. The owning team's
    members and admins. Raises NotFound, PermissionDenied, RuleViolation, Conflict (stale version)."""
    with transaction.atomic():
        before = catalog_services.get_service(service_id=service_id)
        service = catalog_services.transfer_service(
            actor=actor, service_id=service_id, version=version, to_team_id=to_team_id, reason=reason
        )
        if before.owner_team_id is not None:
            away_services.follow_service_transfer(
                actor=actor,
                service_id=service_id,
                from_team_id=before.owner_team_id,
                to_team_id=to_team_id,
                reason=reason or f"{service.name} moved to a new owner",
            )
    return service


# ---------------------------------------------------------------------------------------------- dissolve


@dataclass(frozen=True, slots=True)
class DissolutionPlan:
    """Where everything a dissolving team holds goes. `services`: service id -> "retire" or the id of the team
    that takes it over. `requests`: open away-team request id -> "close", the id of the team that carries it
    on, or, for a request on one of the team's own services, "follow": it goes with its service (to the new
    owner; closed when the service is retired or goes to the requesting team itself)."""

    services: Mapping[int, int | str] = field(default_factory=dict)
    requests: Mapping[int, int | str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Holdings:
    """What a team holds that its dissolution must map: its live services and the open requests it is party to."""

    team: Team
    services: tuple[Service, ...]
    requests: tuple[AwayTeamRequest, ...]


@dataclass(frozen=True, slots=True)
class Unmapped:
    """What a plan leaves orphaned, or maps wrongly: each with its id, its name and what is wrong."""

    services: tuple[dict, ...]
    requests: tuple[dict, ...]

    @property
    def empty(self) -> bool:
        return not self.services and not self.requests


@dataclass(frozen=True, slots=True)
class DissolutionResult:
    team: Team
    transferred: int
    retired: int
    rerouted: int
    closed: int
    released: int


def holdings(*, team_id: int) -> Holdings:
    """What dissolving this team must map: its live services and every open request it is party to."""
    team = org_services.get_team(team_id=team_id)
    services = tuple(catalog_services.services_owned_by(team_ids=[team_id]))
    requests = tuple(away_services.open_requests_of(team_id=team_id))
    return Holdings(team=team, services=services, requests=requests)


def holdings_for(*, actor: Actor, team_id: int) -> Holdings:
    """What dissolving this team must map, for the admin preparing the plan. Raises PermissionDenied, NotFound."""
    org_services.require_admin(actor, "plan a team's dissolution")
    return holdings(team_id=team_id)


def check_plan(*, team_id: int, plan: DissolutionPlan) -> Unmapped:
    """Everything the plan leaves orphaned or maps to somewhere it cannot go (nothing when it is complete)."""
    held = holdings(team_id=team_id)
    live = {t for t in org_services.get_teams(ids=_team_targets(plan)).values() if t.status.value in LIVE}
    live_ids = {t.id for t in live} - {team_id}
    services_out: list[dict] = []
    new_owner: dict[int, int | None] = {}
    for service in held.services:
        target = plan.services.get(service.id, plan.services.get(str(service.id)))  # type: ignore[call-overload]
        problem = None
        if target is None:
            problem = "no new owner and not retired"
        elif target == "retire":
            new_owner[service.id] = None
        elif isinstance(target, int) and target in live_ids:
            new_owner[service.id] = target
        else:
            problem = f"{target!r} is not 'retire' nor an active team other than this one"
        if problem:
            services_out.append({"id": service.id, "name": service.name, "problem": problem})
    requests_out: list[dict] = []
    for request in held.requests:
        target = plan.requests.get(request.id, plan.requests.get(str(request.id)))  # type: ignore[call-overload]
        problem = None
        inbound = request.home_team_id == team_id
        if target == "follow":
            target, problem = _follow(request, new_owner, {s.id: s.name for s in held.services}, inbound)
        if problem:
            pass
        elif target is None:
            problem = "not re-routed and not closed"
        elif target == "close":
            pass
        elif not (isinstance(target, int) and target in live_ids):
            problem = f"{target!r} is not 'close' nor an active team other than this one"
        elif inbound and target == request.requesting_team_id:
            problem = "the requesting team takes over the service itself: close the request"
        elif inbound and new_owner.get(request.service_id, -1) != target:
            problem = "a request on this team's service goes with the service: re-route it to the service's new owner"
        elif not inbound and target == request.home_team_id:
            problem = "cannot re-route a request to the team it asks"
        if problem:
            requests_out.append({"id": request.id, "title": request.title, "problem": problem})
    return Unmapped(services=tuple(services_out), requests=tuple(requests_out))


def _follow(request: AwayTeamRequest, new_owner: dict[int, int | None], names: dict[int, str], inbound: bool):
    """Where a request that "goes with its service" goes: (target, problem)."""
    if not inbound or request.service_id not in names:
        return None, "only a request on one of this team's live services can go with it"
    if request.service_id not in new_owner:
        return None, f"goes with {names[request.service_id]}, which has no new owner and is not retired"
    owner = new_owner[request.service_id]
    return ("close" if owner is None or owner == request.requesting_team_id else owner), None


def resolve_requests(*, team_id: int, plan: DissolutionPlan) -> dict[int, int | str]:
    """The plan's request targets with every "follow" replaced by where its service goes."""
    held = holdings(team_id=team_id)
    new_owner = {
        s.id: (None if v == "retire" else v)
        for s in held.services
        if (v := plan.services.get(s.id, plan.services.get(str(s.id)))) is not None  # type: ignore[call-overload]
    }
    names = {s.id: s.name for s in held.services}
    out: dict[int, int | str] = {}
    for r in held.requests:
        target = plan.requests.get(r.id, plan.requests.get(str(r.id)))  # type: ignore[call-overload]
        if target == "follow":
            target, _ = _follow(r, new_owner, names, r.home_team_id == team_id)
        if target is not None:
            out[r.id] = target
    return out


def dissolve_team(*, actor: Actor, team_id: int, version: int, plan: DissolutionPlan, reason: str) -> DissolutionResult:
    """Dissolve a team in one atomic step (MECHANISMS.md §1, dissolution): every live service it owns goes to
    another active team or is retired, every open request it is party to is re-routed or closed, and its members
    are released. Refused with the full list of what would be orphaned when the plan is incomplete; nothing
    changes then. Admins only. Raises RuleViolation (details: `services`, `requests`), PermissionDenied,
    NotFound, Conflict (stale version)."""
    org_services.require_admin(actor, "dissolve teams")
    if not (reason or "").strip():
        raise RuleViolation("say why the team is dissolved", field="reason")
    with transaction.atomic():
        team = org_services.get_team(team_id=team_id)
        if team.status.value == "dissolved":
            raise RuleViolation(f"team {team.slug} is already dissolved", field="team_id")
        if team.version != version:
            raise Conflict(
                f"team {team.slug} was changed by someone else (you read version {version}, it is now "
                f"{team.version}); reload the plan and try again",
                field="version",
            )
        unmapped = check_plan(team_id=team_id, plan=plan)
        if not unmapped.empty:
            raise RuleViolation(
                f"the plan would orphan {len(unmapped.services)} service(s) and {len(unmapped.requests)} "
                "open request(s); map every one",
                field="plan",
                details={"field": "plan", "services": list(unmapped.services), "requests": list(unmapped.requests)},
            )
        held = holdings(team_id=team_id)
        targets = resolve_requests(team_id=team_id, plan=plan)
        transferred = retired = rerouted = closed = 0
        for service in held.services:
            target = plan.services.get(service.id, plan.services.get(str(service.id)))  # type: ignore[call-overload]
            if target == "retire":
                catalog_services.retire_service(
                    actor=actor, service_id=service.id, version=service.version, reason=f"{team.slug} dissolved"
                )
                retired += 1
            else:
                catalog_services.transfer_service(
                    actor=actor,
                    service_id=service.id,
                    version=service.version,
                    to_team_id=int(target),
                    reason=f"{team.slug} dissolved: {reason}",
                )
                transferred += 1
        for request in held.requests:
            target = targets[request.id]
            if target == "close":
                away_services.close_open_request(
                    actor=actor, request_id=request.id, reason=f"{team.slug} dissolved: {reason}"
                )
                closed += 1
            elif request.home_team_id == team_id:
                away_services.reroute_request(
                    actor=actor, request_id=request.id, home_team_id=int(target), reason=f"{team.slug} dissolved"
                )
                rerouted += 1
            else:
                away_services.reroute_request(
                    actor=actor, request_id=request.id, requesting_team_id=int(target), reason=f"{team.slug} dissolved"
                )
                rerouted += 1
        dissolved = org_services.mark_team_dissolved(actor=actor, team_id=team_id, version=version, reason=reason)
    return DissolutionResult(
        team=dissolved,
        transferred=transferred,
        retired=retired,
        rerouted=rerouted,
        closed=closed,
        released=team.member_count,
    )


def _team_targets(plan: DissolutionPlan) -> set[int]:
    return {v for v in (*plan.services.values(), *plan.requests.values()) if isinstance(v, int)}
