"""Public contracts of the org app: frozen dataclasses, IDs, enums and update contracts. No Django imports."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import StrEnum
from typing import ClassVar, NewType

from mechanisms.kernel.changes import UNSET, Unset

PersonId = NewType("PersonId", int)
OrgUnitId = NewType("OrgUnitId", int)
TeamId = NewType("TeamId", int)
MembershipId = NewType("MembershipId", int)


class TeamStatus(StrEnum):
    FORMING = "forming"
    ACTIVE = "active"
    DISSOLVED = "dissolved"


# A live team may own services and take part in requests; a dissolved one only keeps its history.
LIVE_TEAM_STATUSES = frozenset({TeamStatus.FORMING, TeamStatus.ACTIVE})


class Discipline(StrEnum):
    ENGINEERING = "engineering"
    PRODUCT = "product"
    DESIGN = "design"
    DATA = "data"
    OPERATIONS = "operations"
    SALES = "sales"
    FINANCE = "finance"
    RECRUITING = "recruiting"
    LEADERSHIP = "leadership"


class SizeLevel(StrEnum):
    OK = "ok"
    WARNING = "warning"
    VIOLATION = "violation"


@dataclass(frozen=True, slots=True)
class Person:
    id: PersonId
    handle: str
    name: str
    email: str
    title: str
    discipline: str
    manager_id: PersonId | None
    active: bool
    bar_raiser_since: dt.date | None
    bar_raiser_capacity: int
    version: int

    @property
    def in_bar_raiser_pool(self) -> bool:
        return self.bar_raiser_since is not None and self.active


@dataclass(frozen=True, slots=True)
class OrgUnit:
    id: OrgUnitId
    slug: str
    name: str
    kind: str
    parent_id: OrgUnitId | None
    leader_id: PersonId | None
    version: int


@dataclass(frozen=True, slots=True)
class Team:
    id: TeamId
    slug: str
    name: str
    charter: str
    status: TeamStatus
    org_unit_id: OrgUnitId
    leader_id: PersonId | None
    created_on: dt.date
    dissolved_on: dt.date | None
    member_count: int
    version: int


@dataclass(frozen=True, slots=True)
class Membership:
    id: MembershipId
    team_id: TeamId
    person_id: PersonId
    role: str
    joined_on: dt.date


@dataclass(frozen=True, slots=True)
class TeamSize:
    """A team's size against the two-pizza rule (MECHANISMS.md §1)."""

    team_id: TeamId
    slug: str
    name: str
    size: int
    level: SizeLevel


@dataclass(frozen=True, slots=True)
class StlBreach:
    """A person who is single-threaded leader of more than one active team."""

    person_id: PersonId
    handle: str
    name: str
    team_ids: tuple[TeamId, ...]


@dataclass(frozen=True, slots=True)
class OrgRuleReport:
    """The org rules computed for the whole org in a few queries."""

    oversized: tuple[TeamSize, ...] = ()
    size_warnings: tuple[TeamSize, ...] = ()
    stl_breaches: tuple[StlBreach, ...] = ()
    leaderless: tuple[TeamSize, ...] = ()
    teams_checked: int = 0

    @property
    def breach_count(self) -> int:
        return len(self.oversized) + len(self.stl_breaches) + len(self.leaderless)


@dataclass(frozen=True, slots=True)
class Account:
    """A sign-in account, linked to at most one person."""

    user_id: int
    username: str
    is_admin: bool
    person_id: PersonId | None


@dataclass(frozen=True, slots=True)
class ApiTokenInfo:
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked: bool


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A new token: the secret is shown once and never stored."""

    info: ApiTokenInfo
    secret: str


@dataclass(frozen=True, slots=True)
class TeamLimits:
    target: int = 6
    warning_above: int = 8
    violation_above: int = 10


@dataclass(frozen=True, slots=True)
class PersonTeams:
    """A person's teams and the teams they lead."""

    member_of: tuple[TeamId, ...] = field(default_factory=tuple)
    leads: tuple[TeamId, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class MemberRecord:
    person: str
    role: str = "member"
    joined_on: dt.date | None = None


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """A person as imported or exported: references by handle, not by id. `source` locates it in the input."""

    handle: str
    name: str
    email: str
    manager: str | None = None
    title: str = ""
    discipline: str = "engineering"
    active: bool = True
    bar_raiser_since: dt.date | None = None
    bar_raiser_capacity: int = 0
    source: str = ""


@dataclass(frozen=True, slots=True)
class OrgUnitRecord:
    slug: str
    name: str
    kind: str = "org"
    parent: str | None = None
    leader: str | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class TeamRecord:
    slug: str
    name: str
    org_unit: str
    charter: str = ""
    status: str = "active"
    leader: str | None = None
    members: tuple[MemberRecord, ...] = ()
    created_on: dt.date | None = None
    dissolved_on: dt.date | None = None
    source: str = ""


@dataclass(frozen=True, slots=True)
class OrgExport:
    """Everything org owns as import records, references by handle and slug, each section in a stable order
    (people by handle, units and teams by slug; a team's members by handle): `import_org` reads them back."""

    people: tuple[PersonRecord, ...]
    org_units: tuple[OrgUnitRecord, ...]
    teams: tuple[TeamRecord, ...]


# ------------------------------------------------------------------------------------------------ update contracts
# What an update may change, declared once: a field left UNSET is not touched; None clears a nullable one.


@dataclass(frozen=True, slots=True)
class PersonChanges:
    """The changes `update_person` applies (admin only)."""

    handle: str | Unset = UNSET
    name: str | Unset = UNSET
    email: str | Unset = UNSET
    title: str | Unset = UNSET
    discipline: str | Unset = UNSET
    manager_id: PersonId | None | Unset = UNSET
    active: bool | Unset = UNSET
    bar_raiser_since: dt.date | None | Unset = UNSET
    bar_raiser_capacity: int | Unset = UNSET


@dataclass(frozen=True, slots=True)
class OrgUnitChanges:
    """The changes `update_org_unit` applies (admin only)."""

    slug: str | Unset = UNSET
    name: str | Unset = UNSET
    kind: str | Unset = UNSET
    parent_id: OrgUnitId | None | Unset = UNSET
    leader_id: PersonId | None | Unset = UNSET


@dataclass(frozen=True, slots=True)
class TeamChanges:
    """The changes `update_team` applies. A team's members may change `MEMBER_FIELDS`; the rest is an admin's
    (MECHANISMS.md §1: moving a team, naming its leader or changing its status is the org's decision)."""

    MEMBER_FIELDS: ClassVar[tuple[str, ...]] = ("name", "charter")

    slug: str | Unset = UNSET
    name: str | Unset = UNSET
    charter: str | Unset = UNSET
    org_unit_id: OrgUnitId | Unset = UNSET
    leader_id: PersonId | None | Unset = UNSET
    status: str | Unset = UNSET
