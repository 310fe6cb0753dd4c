"""API of the org app: people, org units, teams, memberships, the org rules, and API tokens.

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema, Status

from mechanisms.kernel.api import READ_ERRORS, Id, PageOut, QueryText, Version, page_out, responses
from mechanisms.kernel.changes import changes_from

from . import services
from .contracts import OrgUnitChanges, PersonChanges, TeamChanges
from .schemas import (
    IssuedTokenOut,
    MembershipIn,
    MembershipOut,
    OrgRulesOut,
    OrgUnitIn,
    OrgUnitOut,
    OrgUnitPatch,
    PersonIn,
    PersonOut,
    PersonPatch,
    RoleGrantEndIn,
    RoleGrantIn,
    RoleGrantOut,
    TeamIn,
    TeamOut,
    TeamPatch,
    TokenIn,
    TokenOut,
    VersionIn,
)

router = Router()


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


# ------------------------------------------------------------------------------------------------ people


class PeopleFilter(Schema):
    text: QueryText | None = None
    team_id: Id | None = None
    manager_id: Id | None = None
    active: bool | None = None
    limit: int = 50
    offset: int = 0


@router.get("/people", response=responses(PageOut[PersonOut], *READ_ERRORS), tags=["people"])
def list_people(request, filters: Query[PeopleFilter]):
    """People, filtered by text, team, manager or active flag. Paginated (max 200)."""
    return page_out(services.list_people(actor=request.auth, **filters.dict()))


@router.post("/people", response=responses(PersonOut, status=201), tags=["people"])
def create_person(request, payload: PersonIn):
    """Add a person (admin)."""
    return Status(201, services.create_person(actor=_actor(request), **payload.dict()))


@router.get("/people/{person_id}", response=responses(PersonOut, *READ_ERRORS), tags=["people"])
def get_person(request, person_id: Id):
    return services.get_person(actor=request.auth, person_id=person_id)


@router.patch("/people/{person_id}", response=responses(PersonOut), tags=["people"])
def update_person(request, person_id: Id, payload: PersonPatch):
    """Change a person (admin); `version` is the version you read: a stale one gets 409."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    changes = changes_from(PersonChanges, sent)
    return services.update_person(actor=_actor(request), person_id=person_id, version=version, changes=changes)


@router.post("/people/{person_id}/deactivate", response=responses(PersonOut), tags=["people"])
def deactivate_person(request, person_id: Id, payload: VersionIn):
    return services.deactivate_person(actor=_actor(request), person_id=person_id, **payload.dict())


@router.get("/people/{person_id}/chain", response=responses(list[PersonOut], *READ_ERRORS), tags=["people"])
def management_chain(request, person_id: Id):
    """Everyone above this person, nearest first."""
    return services.management_chain(actor=request.auth, person_id=person_id)


# ------------------------------------------------------------------------------------------------ org units


class OrgUnitFilter(Schema):
    text: QueryText | None = None
    parent_id: Id | None = None
    limit: int = 50
    offset: int = 0


@router.get("/org-units", response=responses(PageOut[OrgUnitOut], *READ_ERRORS), tags=["org units"])
def list_org_units(request, filters: Query[OrgUnitFilter]):
    return page_out(services.list_org_units(actor=request.auth, **filters.dict()))


@router.post("/org-units", response=responses(OrgUnitOut, status=201), tags=["org units"])
def create_org_unit(request, payload: OrgUnitIn):
    return Status(201, services.create_org_unit(actor=_actor(request), **payload.dict()))


@router.get("/org-units/{org_unit_id}", response=responses(OrgUnitOut, *READ_ERRORS), tags=["org units"])
def get_org_unit(request, org_unit_id: Id):
    return services.get_org_unit(actor=request.auth, org_unit_id=org_unit_id)


@router.patch("/org-units/{org_unit_id}", response=responses(OrgUnitOut), tags=["org units"])
def update_org_unit(request, org_unit_id: Id, payload: OrgUnitPatch):
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    changes = changes_from(OrgUnitChanges, sent)
    return services.update_org_unit(actor=_actor(request), org_unit_id=org_unit_id, version=version, changes=changes)


@router.delete("/org-units/{org_unit_id}", response=responses(None, status=204), tags=["org units"])
def delete_org_unit(request, org_unit_id: Id, version: Version, reason: QueryText = ""):
    """Delete an empty org unit (admin)."""
    services.delete_org_unit(actor=_actor(request), org_unit_id=org_unit_id, version=version, reason=reason)
    return Status(204, None)


# ------------------------------------------------------------------------------------------------ teams


class TeamFilter(Schema):
    text: QueryText | None = None
    org_unit_id: Id | None = None
    include_sub_units: bool = False
    status: QueryText | None = None
    leader_id: Id | None = None
    member_id: Id | None = None
    limit: int = 50
    offset: int = 0


@router.get("/teams", response=responses(PageOut[TeamOut], 400, 401, 422), tags=["teams"])
def list_teams(request, filters: Query[TeamFilter]):
    """Teams with their member counts, filtered by text, org unit, status, leader or member."""
    return page_out(services.list_teams(actor=request.auth, **filters.dict()))


@router.post("/teams", response=responses(TeamOut, status=201), tags=["teams"])
def create_team(request, payload: TeamIn):
    return Status(201, services.create_team(actor=_actor(request), **payload.dict()))


@router.get("/teams/{int:team_id}", response=responses(TeamOut, *READ_ERRORS), tags=["teams"])
def get_team(request, team_id: Id):
    return services.get_team(actor=request.auth, team_id=team_id)


@router.patch("/teams/{int:team_id}", response=responses(TeamOut), tags=["teams"])
def update_team(request, team_id: Id, payload: TeamPatch):
    """Change a team: its members may change name and charter; admins everything but dissolution."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    changes = changes_from(TeamChanges, sent)
    return services.update_team(actor=_actor(request), team_id=team_id, version=version, changes=changes)


@router.get("/teams/{int:team_id}/members", response=responses(list[PersonOut], *READ_ERRORS), tags=["teams"])
def team_members(request, team_id: Id):
    services.get_team(actor=request.auth, team_id=team_id)
    return services.team_members(actor=request.auth, team_id=team_id)


# ------------------------------------------------------------------------------------------------ memberships


class MembershipFilter(Schema):
    team_id: Id | None = None
    person_id: Id | None = None
    limit: int = 50
    offset: int = 0


@router.get("/memberships", response=responses(PageOut[MembershipOut], *READ_ERRORS), tags=["teams"])
def list_memberships(request, filters: Query[MembershipFilter]):
    return page_out(services.list_memberships(actor=request.auth, **filters.dict()))


@router.post("/memberships", response=responses(MembershipOut, status=201), tags=["teams"])
def add_member(request, payload: MembershipIn):
    """Add a person to a team (admins, or members of that team)."""
    return Status(201, services.add_member(actor=_actor(request), **payload.dict()))


@router.get("/memberships/{membership_id}", response=responses(MembershipOut, *READ_ERRORS), tags=["teams"])
def get_membership(request, membership_id: Id):
    return services.get_membership(actor=request.auth, membership_id=membership_id)


@router.delete("/memberships/{membership_id}", response=responses(None, status=204), tags=["teams"])
def remove_member(request, membership_id: Id, reason: QueryText = ""):
    services.remove_member(actor=_actor(request), membership_id=membership_id, reason=reason)
    return Status(204, None)


# ------------------------------------------------------------------------------------------------ rules


@router.get("/org/rules", response=responses(OrgRulesOut, 401), tags=["org rules"])
def org_rules(request):
    """Two-pizza sizes, single-threaded-leader breaches and leaderless teams for the whole org (§1)."""
    report = services.check_org_rules(actor=request.auth)
    limits = services.team_limits()
    return {
        "teams_checked": report.teams_checked,
        "oversized": report.oversized,
        "size_warnings": report.size_warnings,
        "stl_breaches": report.stl_breaches,
        "leaderless": report.leaderless,
        "limits": {
            "target": limits.target,
            "warning_above": limits.warning_above,
            "violation_above": limits.violation_above,
        },
    }


# ------------------------------------------------------------------------------------------------ role grants


class RoleGrantFilter(Schema):
    person_id: Id | None = None
    role: QueryText | None = None
    org_unit_id: Id | None = None
    in_force_on: dt.date | None = None
    limit: int = 50
    offset: int = 0


@router.get("/role-grants", response=responses(PageOut[RoleGrantOut], 401, 403, 422), tags=["roles"])
def list_role_grants(request, filters: Query[RoleGrantFilter]):
    """Role grants you may see: admins all, your own, and those inside a unit you hold `leadership` over."""
    return page_out(services.list_role_grants(actor=_actor(request), **filters.dict()))


@router.post("/role-grants", response=responses(RoleGrantOut, status=201), tags=["roles"])
def grant_role(request, payload: RoleGrantIn):
    """Grant recruiter, finance or leadership over the company (no org unit) or an org-unit subtree (admin)."""
    return Status(201, services.grant_role(actor=_actor(request), **payload.dict()))


@router.get("/role-grants/{grant_id}", response=responses(RoleGrantOut, *READ_ERRORS), tags=["roles"])
def get_role_grant(request, grant_id: int):
    return services.get_role_grant(actor=_actor(request), grant_id=grant_id)


@router.post("/role-grants/{grant_id}/end", response=responses(RoleGrantOut), tags=["roles"])
def end_role_grant(request, grant_id: int, payload: RoleGrantEndIn):
    """End a grant (admin): not in force from `ends_on` (default today). `version` is the version you read."""
    return services.end_role_grant(actor=_actor(request), grant_id=grant_id, **payload.dict())


# ------------------------------------------------------------------------------------------------ tokens


@router.get("/tokens", response=responses(list[TokenOut], 401), tags=["accounts"])
def list_tokens(request):
    """Your API tokens (never their secrets)."""
    return services.list_api_tokens(actor=_actor(request))


@router.post("/tokens", response=responses(IssuedTokenOut, status=201), tags=["accounts"])
def issue_token(request, payload: TokenIn):
    """A new bearer token; the secret is in this response only."""
    issued = services.issue_api_token(actor=_actor(request), **payload.dict())
    return Status(201, {"token": issued.info, "secret": issued.secret})


@router.delete("/tokens/{token_id}", response=responses(None, status=204), tags=["accounts"])
def revoke_token(request, token_id: Id):
    services.revoke_api_token(actor=_actor(request), token_id=token_id)
    return Status(204, None)
