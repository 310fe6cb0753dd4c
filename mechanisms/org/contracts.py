"""Public contracts of the org app: frozen dataclasses, IDs, enums and update contracts. No Django imports."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
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


class Role(StrEnum):
    """Roles granted on top of team membership (MECHANISMS.md, Access). Add a member to extend the vocabulary."""

    RECRUITER = "recruiter"
    FINANCE = "finance"
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
    version: int


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
class TeamStanding:
    """Where one live team stands against the org rules (MECHANISMS.md §1): a breach is a team over the size limit,
    without a leader, or whose leader also leads another active team; a warning-sized team is watched too."""

    level: SizeLevel = SizeLevel.OK
    multi_led: bool = False
    leaderless: bool = False

    @property
    def breach(self) -> bool:
        return self.level is SizeLevel.VIOLATION or self.multi_led or self.leaderless

    @property
    def watch(self) -> bool:
        return self.breach or self.level is SizeLevel.WARNING


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
class RoleGrant:
    """A role held by a person over the whole company (`org_unit_id` None) or an org-unit subtree.

    In force on a day when starts_on <= day and (ends_on is None or day < ends_on)."""

    id: int
    person_id: PersonId
    role: Role
    org_unit_id: OrgUnitId | None
    starts_on: dt.date
    ends_on: dt.date | None
    granted_by: str
    reason: str
    version: int

    def in_force_on(self, day: dt.date) -> bool:
        return self.starts_on <= day and (self.ends_on is None or day < self.ends_on)


@dataclass(frozen=True, slots=True)
class OrgGraph:
    """The org relations the bar-raiser independence rule reads (bar_raisers.contracts.OrgGraph; MECHANISMS.md
    §4), loaded by `org.services.org_graph` in a fixed number of queries: every reporting line, and the leader,
    slug and members of the teams asked for."""

    managers: Mapping[int, int | None]  # person id -> manager id, for everyone
    leaders: Mapping[int, int | None] = field(default_factory=dict)  # team id -> leader id
    members: Mapping[int, frozenset[int]] = field(default_factory=dict)  # team id -> member ids (leader included)
    names: Mapping[int, str] = field(default_factory=dict)  # team id -> slug

    def managers_above(self, person: int) -> tuple[int, ...]:
        """The chain above a person, nearest first; a loop in bad data stops the climb."""
        chain: list[int] = []
        current = self.managers.get(person)
        while current is not None and current != person and current not in chain:
            chain.append(current)
            current = self.managers.get(current)
        return tuple(chain)

    def team_members(self, team: int) -> frozenset[int]:
        return self.members.get(team, frozenset())

    def team_leader(self, team: int) -> int | None:
        return self.leaders.get(team)

    def team_name(self, team: int) -> str:
        return self.names.get(team, f"#{team}")


@dataclass(frozen=True, slots=True)
class Relations:
    """Who one person is to the rest of the org, computed once per request or command (org.services.relations_of).

    `unit_parents` maps every org unit to its parent, so subtree questions need no further queries."""

    person_id: PersonId | None
    is_admin: bool
    member_of: frozenset[TeamId] = frozenset()
    leads: frozenset[TeamId] = frozenset()
    leads_units: frozenset[OrgUnitId] = frozenset()
    manages_below: frozenset[PersonId] = frozenset()
    managed_by: tuple[PersonId, ...] = ()
    roles: tuple[tuple[Role, OrgUnitId | None], ...] = ()
    unit_parents: Mapping[int, int | None] = field(default_factory=dict)

    def unit_and_ancestors(self, org_unit_id: int | None) -> list[int]:
        """The unit, its parent, and so on up to the root (a cycle, which the org refuses, stops the walk)."""
        out: list[int] = []
        node = org_unit_id
        while node is not None and node not in out:
            out.append(node)
            node = self.unit_parents.get(node)
        return out

    def in_chain_of(self, person_id: int) -> bool:
        """True when `person_id` reports to this person, directly or through others."""
        return person_id in self.manages_below

    def reports_to(self, person_id: int) -> bool:
        """True when `person_id` is above this person in the management chain."""
        return person_id in self.managed_by

    def has_role(self, role: Role | str, org_unit_id: int | None = None) -> bool:
        """True when a grant of `role` in force today covers `org_unit_id`: a company-wide grant covers every unit,
        a unit grant covers its subtree. `org_unit_id=None` asks for a company-wide grant."""
        wanted = Role(role)
        covering = set(self.unit_and_ancestors(org_unit_id))
        return any(r is wanted and (scope is None or scope in covering) for r, scope in self.roles)

    def leads_unit(self, org_unit_id: int | None) -> bool:
        """True when this person leads the unit or any unit above it."""
        return any(u in self.leads_units for u in self.unit_and_ancestors(org_unit_id))

    def in_subtree(self, org_unit_id: int | None, root_id: int) -> bool:
        """True when `org_unit_id` is `root_id` or below it."""
        return root_id in self.unit_and_ancestors(org_unit_id)


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


@dataclass(frozen=True, slots=True)
class TeamSide:
    """A team as one side of a cross-team record (an away-team request): who is on it and who is above its leader,
    read for several teams in one query (`services.team_sides`)."""

    id: TeamId
    slug: str
    name: str
    status: TeamStatus
    leader_id: PersonId | None
    member_ids: frozenset[PersonId]
    leader_chain: tuple[PersonId, ...]  # the leader's managers, nearest first

    @property
    def people(self) -> frozenset[PersonId]:
        """Its members and its leader."""
        return self.member_ids | ({self.leader_id} if self.leader_id is not None else frozenset())
