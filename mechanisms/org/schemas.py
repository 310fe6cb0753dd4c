"""API schemas of the org app (entry point only)."""

from __future__ import annotations

import datetime as dt

from ninja import Field

from mechanisms.kernel.api import InSchema, OutSchema


class PersonOut(OutSchema):
    id: int
    handle: str
    name: str
    email: str
    title: str
    discipline: str
    manager_id: int | None
    active: bool
    version: int


class PersonIn(InSchema):
    handle: str = Field(..., max_length=64)
    name: str = Field(..., max_length=200)
    email: str = Field(..., max_length=254)
    manager_id: int | None = None
    title: str = ""
    discipline: str = "engineering"


class PersonPatch(InSchema):
    version: int
    handle: str | None = None
    name: str | None = None
    email: str | None = None
    manager_id: int | None = None
    title: str | None = None
    discipline: str | None = None
    active: bool | None = None


class VersionIn(InSchema):
    version: int
    reason: str = ""


class OrgUnitOut(OutSchema):
    id: int
    slug: str
    name: str
    kind: str
    parent_id: int | None
    leader_id: int | None
    version: int


class OrgUnitIn(InSchema):
    slug: str
    name: str
    kind: str = "org"
    parent_id: int | None = None
    leader_id: int | None = None


class OrgUnitPatch(InSchema):
    version: int
    slug: str | None = None
    name: str | None = None
    kind: str | None = None
    parent_id: int | None = None
    leader_id: int | None = None


class TeamOut(OutSchema):
    id: int
    slug: str
    name: str
    charter: str
    status: str
    org_unit_id: int
    leader_id: int | None
    created_on: dt.date
    dissolved_on: dt.date | None
    member_count: int
    version: int


class TeamIn(InSchema):
    slug: str
    name: str
    org_unit_id: int
    charter: str = ""
    leader_id: int | None = None
    status: str = "active"


class TeamPatch(InSchema):
    version: int
    slug: str | None = None
    name: str | None = None
    charter: str | None = None
    org_unit_id: int | None = None
    leader_id: int | None = None
    status: str | None = None


class MembershipOut(OutSchema):
    id: int
    team_id: int
    person_id: int
    role: str
    joined_on: dt.date


class MembershipIn(InSchema):
    team_id: int
    person_id: int
    role: str = "member"


class TeamSizeOut(OutSchema):
    team_id: int
    slug: str
    name: str
    size: int
    level: str


class StlBreachOut(OutSchema):
    person_id: int
    handle: str
    name: str
    team_ids: list[int]


class OrgRulesOut(OutSchema):
    teams_checked: int
    oversized: list[TeamSizeOut]
    size_warnings: list[TeamSizeOut]
    stl_breaches: list[StlBreachOut]
    leaderless: list[TeamSizeOut]
    limits: dict[str, int]


class TokenIn(InSchema):
    name: str
    username: str | None = None


class TokenOut(OutSchema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool


class IssuedTokenOut(OutSchema):
    token: TokenOut
    secret: str = Field(..., description="shown once; only its hash is stored")


class RoleGrantOut(OutSchema):
    id: int
    person_id: int
    role: str
    org_unit_id: int | None
    starts_on: dt.date
    ends_on: dt.date | None
    granted_by: str
    reason: str
    version: int


class RoleGrantIn(InSchema):
    person_id: int = Field(..., ge=1, le=2**63 - 1)
    role: str = Field(..., max_length=32)
    org_unit_id: int | None = Field(None, ge=1, le=2**63 - 1)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    reason: str = Field("", max_length=2000)


class RoleGrantEndIn(InSchema):
    version: int = Field(..., ge=1, le=2**63 - 1)
    ends_on: dt.date | None = None
    reason: str = Field("", max_length=2000)
