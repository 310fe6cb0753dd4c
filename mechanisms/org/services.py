"""Public services of the org app (MECHANISMS.md §1): the only way to read or change people, org units,
teams, memberships, accounts and API tokens (the bar-raiser pool is the bar_raisers app's).

Every write is one transaction that authorizes against the actor, changes, and records its audit entry.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import secrets
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, events
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.importing import ImportReport, Problems
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text

from . import bulk as _bulk
from . import policy as _policy
from . import relations as _relations
from . import rules
from .contracts import (
    Account,
    ApiTokenInfo,
    Discipline,
    IssuedToken,
    Membership,
    MembershipId,
    OrgExport,
    OrgGraph,
    OrgRuleReport,
    OrgUnit,
    OrgUnitChanges,
    OrgUnitId,
    OrgUnitRecord,
    Person,
    PersonChanges,
    PersonId,
    PersonRecord,
    PersonTeams,
    Relations,
    Role,
    RoleGrant,
    SizeLevel,
    StlBreach,
    Team,
    TeamChanges,
    TeamId,
    TeamLimits,
    TeamRecord,
    TeamSide,
    TeamSize,
    TeamStanding,
    TeamStatus,
)
from .models import ApiToken as ApiTokenRow
from .models import Membership as MembershipRow
from .models import OrgUnit as OrgUnitRow
from .models import Person as PersonRow
from .models import RoleGrant as RoleGrantRow
from .models import Team as TeamRow
from .validation import clean_choice, clean_org_unit, clean_person, clean_team

LIVE_STATUSES = (TeamStatus.FORMING.value, TeamStatus.ACTIVE.value)


# ---------------------------------------------------------------------------------------------- authorization


def require_admin(actor: Actor, what: str) -> None:
    """Admins change the org structure; members change only their own teams (issue 2, roles)."""
    if not actor.is_admin:
        raise PermissionDenied(f"only an admin may {what}")


def require_signed_in(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise PermissionDenied("sign in first")


def can_change_team(*, actor: Actor, team_id: int) -> bool:
    """Admins may change any team; a member or the leader may change their team and what it owns (org.policy)."""
    return _policy.can(actor, "change_team", team_id)


def live_teams_changeable_by(*, actor: Actor) -> list[Team]:
    """The forming and active teams this actor may change, by name: every one for an admin, otherwise those they
    are a member or the leader of (`can_change_team`). What they may register a service for (MECHANISMS.md §2)."""
    if actor.is_admin:
        return [t for t in team_index(actor=actor) if t.status.value in LIVE_STATUSES]
    if actor.person_id is None:
        return []
    theirs = person_teams(actor=actor, person_id=actor.person_id)
    mine = get_teams(actor=actor, ids={*theirs.member_of, *theirs.leads}).values()
    return sorted((t for t in mine if t.status.value in LIVE_STATUSES), key=lambda t: (t.name, t.id))


def can_form_team(*, actor: Actor, org_unit_id: int) -> bool:
    """Admins, the leader of the org unit or of any unit above it, and leadership over it (org.policy)."""
    return _policy.can(actor, "form_team", org_unit_id)


def require_team_change(*, actor: Actor, team_id: int, what: str) -> None:
    """Raise PermissionDenied unless the actor may change `team_id` (see can_change_team)."""
    _policy.require(actor, "change_team", team_id, what=what)


def relations_of(*, actor: Actor) -> Relations:
    """Who the actor is to the org: teams they belong to and lead, units they lead, everyone below and above them
    in the management chain, and the roles in force today with their scopes (MECHANISMS.md, Access).

    Computed in a fixed handful of queries and kept for the rest of the request or command, so a page that asks
    ten questions pays once. Every org write forgets the cached answers."""
    return _relations.relations_of(actor)


def forget_relations() -> None:
    """Drop the cached relations (every org write does this itself; tests call it between cases)."""
    _relations.forget()


# ---------------------------------------------------------------------------------------------- people


def get_person(*, actor: Actor, person_id: int) -> Person:
    """One person; raises NotFound."""
    _policy.require_visible(actor)
    row = PersonRow.objects.filter(pk=person_id).first()
    if row is None:
        raise NotFound(f"person {person_id} does not exist", field="person_id")
    return _to_person(row)


def find_person(*, actor: Actor, handle: str) -> Person | None:
    """A person by handle, or None."""
    _policy.require_visible(actor)
    row = PersonRow.objects.filter(handle=handle.lower()).first()
    return _to_person(row) if row else None


def get_person_by_handle(*, actor: Actor, handle: str) -> Person:
    _policy.require_visible(actor)
    person = find_person(actor=actor, handle=handle)
    if person is None:
        raise NotFound(f"no person with handle {handle!r}", field="handle")
    return person


def get_people(*, actor: Actor, ids: Iterable[int]) -> dict[PersonId, Person]:
    """Batch read, so callers never loop over get_person."""
    _policy.require_visible(actor)
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {PersonId(r.id): _to_person(r) for r in PersonRow.objects.filter(pk__in=wanted)}


def list_people(
    *,
    actor: Actor,
    text: str | None = None,
    team_id: int | None = None,
    manager_id: int | None = None,
    active: bool | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Person]:
    """People, filtered; ordered by name."""
    _policy.require_visible(actor)
    qs = PersonRow.objects.all().order_by("name", "id")
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(handle__icontains=text) | Q(email__icontains=text))
    if team_id is not None:
        qs = qs.filter(memberships__team_id=team_id)
    if manager_id is not None:
        qs = qs.filter(manager_id=manager_id)
    if active is not None:
        qs = qs.filter(active=active)
    return paginate(qs, limit=limit, offset=offset, convert=_to_person)


def create_person(
    *,
    actor: Actor,
    handle: str,
    name: str,
    email: str,
    manager_id: PersonId | None = None,
    title: str = "",
    discipline: str = Discipline.ENGINEERING.value,
) -> Person:
    """Add a person. Admin only; handle and email unique; the manager must exist (MECHANISMS.md §1)."""
    require_admin(actor, "add people")
    values = clean_person(
        handle=handle,
        name=name,
        email=email,
        title=title,
        discipline=discipline,
    )
    with transaction.atomic():
        if manager_id is not None:
            _require_person_row(manager_id, field="manager_id")
        _require_unique_person(values["handle"], values["email"])
        row = PersonRow.objects.create(manager_id=manager_id, **values)
        person = _to_person(row)
        _audit(actor, "create", person, before=None, after=person)
    return person


def update_person(*, actor: Actor, person_id: PersonId, version: int, changes: PersonChanges) -> Person:
    """Change a person (MECHANISMS.md §1). Admin only; refuses a manager chain that would loop; stale version is a
    Conflict. Only the fields `changes` gives are touched."""
    require_admin(actor, "change people")
    wanted = given(changes)
    with transaction.atomic():
        row = _require_person_row(person_id, field="person_id")
        before = _to_person(row)
        own = ("handle", "name", "email", "title", "discipline")
        values = clean_person(**{f: wanted.get(f, getattr(before, f)) for f in own})
        if "active" in wanted:
            if not isinstance(wanted["active"], bool):
                raise RuleViolation("active must be true or false", field="active")
            values["active"] = wanted["active"]
        if "manager_id" in wanted:
            manager_id = wanted["manager_id"]
            if manager_id is not None:
                _require_person_row(manager_id, field="manager_id")
                if rules.would_cycle(row.id, manager_id, _manager_map()):
                    raise RuleViolation(
                        "this manager would make the reporting line loop back to the person", field="manager_id"
                    )
            values["manager_id"] = manager_id
        _require_unique_person(values["handle"], values["email"], exclude_id=row.id)
        update_versioned(row, expected_version=version, changes=values)
        after = _to_person(row)
        _audit(actor, "update", after, before=before, after=after)
    return after


def deactivate_person(*, actor: Actor, person_id: PersonId, version: int, reason: str = "") -> Person:
    """Mark a person inactive (they left); history stays. Admin only."""
    require_admin(actor, "deactivate people")
    with transaction.atomic():
        row = _require_person_row(person_id, field="person_id")
        before = _to_person(row)
        update_versioned(row, expected_version=version, changes={"active": False})
        after = _to_person(row)
        _audit(actor, "deactivate", after, before=before, after=after, reason=reason)
    return after


def management_chain(*, actor: Actor, person_id: int) -> list[Person]:
    """Everyone above a person, nearest first, in one recursive query (no N+1)."""
    _policy.require_visible(actor)
    _require_person_row(person_id, field="person_id")
    ids = _chain_ids(person_id)
    people = get_people(actor=actor, ids=ids)
    return [people[PersonId(i)] for i in ids if i in people]


def reports_below(*, actor: Actor, person_id: int) -> list[PersonId]:
    """Everyone below a person, directly or indirectly, in one recursive query."""
    _policy.require_visible(actor)
    table = PersonRow._meta.db_table
    sql = (
        f"WITH RECURSIVE below(id) AS (SELECT id FROM {table} WHERE manager_id = %s "
        f"UNION SELECT p.id FROM {table} p JOIN below b ON p.manager_id = b.id) SELECT id FROM below"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [person_id])
        return [PersonId(r[0]) for r in cur.fetchall()]


def org_graph(*, actor: Actor, person_ids: Iterable[int] = (), team_ids: Iterable[int] = ()) -> OrgGraph:
    """The reporting lines of everyone and the leader, slug and members of the given teams, as the bar-raiser
    independence rule reads them (MECHANISMS.md §4; bar_raisers.rules.independence_problem). Three queries however
    many people and teams: the whole manager map is a list of (id, manager_id) pairs, so `person_ids` (the people
    the caller will ask about) need not narrow it and only document the question. An unknown team is NotFound
    naming `team_id`."""
    _policy.require_visible(actor)
    wanted = sorted({int(t) for t in team_ids if t is not None})
    managers = dict(PersonRow.objects.values_list("id", "manager_id"))
    if not wanted:
        return OrgGraph(managers=managers)
    teams = {
        tid: (slug, leader)
        for tid, slug, leader in TeamRow.objects.filter(pk__in=wanted).values_list("id", "slug", "leader_id")
    }
    missing = [t for t in wanted if t not in teams]
    if missing:
        raise NotFound(f"team {missing[0]} does not exist", field="team_id")
    members: dict[int, set[int]] = {t: set() for t in wanted}
    for tid, pid in MembershipRow.objects.filter(team_id__in=wanted).values_list("team_id", "person_id"):
        members[tid].add(pid)
    for tid, (_, leader) in teams.items():
        if leader is not None:
            members[tid].add(leader)
    return OrgGraph(
        managers=managers,
        leaders={tid: leader for tid, (_, leader) in teams.items()},
        members={tid: frozenset(ids) for tid, ids in members.items()},
        names={tid: slug for tid, (slug, _) in teams.items()},
    )


def person_teams(*, actor: Actor, person_id: int) -> PersonTeams:
    """The teams a person belongs to and the teams they lead."""
    _policy.require_visible(actor)
    member_of = tuple(
        TeamId(t) for t in MembershipRow.objects.filter(person_id=person_id).values_list("team_id", flat=True)
    )
    leads = tuple(TeamId(t) for t in TeamRow.objects.filter(leader_id=person_id).values_list("id", flat=True))
    return PersonTeams(member_of=member_of, leads=leads)


# ---------------------------------------------------------------------------------------------- org units


def get_org_unit(*, actor: Actor, org_unit_id: int) -> OrgUnit:
    _policy.require_visible(actor)
    row = OrgUnitRow.objects.filter(pk=org_unit_id).first()
    if row is None:
        raise NotFound(f"org unit {org_unit_id} does not exist", field="org_unit_id")
    return _to_org_unit(row)


def find_org_unit(*, actor: Actor, slug: str) -> OrgUnit | None:
    _policy.require_visible(actor)
    row = OrgUnitRow.objects.filter(slug=slug.lower()).first()
    return _to_org_unit(row) if row else None


def get_org_units(*, actor: Actor, ids: Iterable[int]) -> dict[OrgUnitId, OrgUnit]:
    _policy.require_visible(actor)
    wanted = {i for i in ids if i is not None}
    return {OrgUnitId(r.id): _to_org_unit(r) for r in OrgUnitRow.objects.filter(pk__in=wanted)} if wanted else {}


def list_org_units(
    *,
    actor: Actor,
    text: str | None = None,
    parent_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[OrgUnit]:
    _policy.require_visible(actor)
    qs = OrgUnitRow.objects.all().order_by("name", "id")
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(slug__icontains=text))
    if parent_id is not None:
        qs = qs.filter(parent_id=parent_id)
    return paginate(qs, limit=limit, offset=offset, convert=_to_org_unit)


def all_org_units(*, actor: Actor) -> list[OrgUnit]:
    """The whole tree (it is small: tens to a few hundred units) for pages that draw it."""
    _policy.require_visible(actor)
    return [_to_org_unit(r) for r in OrgUnitRow.objects.all().order_by("name", "id")]


def org_unit_ancestors(*, actor: Actor, org_unit_id: int) -> list[OrgUnit]:
    """The units above one unit, nearest first."""
    _policy.require_visible(actor)
    parent_of = dict(OrgUnitRow.objects.values_list("id", "parent_id"))
    ids = rules.chain_upwards(org_unit_id, parent_of)
    units = get_org_units(actor=actor, ids=ids)
    return [units[OrgUnitId(i)] for i in ids]


def org_unit_descendants(*, actor: Actor, org_unit_id: int) -> list[OrgUnitId]:
    """The unit and every unit below it."""
    _policy.require_visible(actor)
    children: dict[int, list[int]] = {}
    for uid, parent in OrgUnitRow.objects.values_list("id", "parent_id"):
        children.setdefault(parent, []).append(uid)
    out, stack = [], [org_unit_id]
    while stack:
        node = stack.pop()
        out.append(OrgUnitId(node))
        stack.extend(children.get(node, []))
    return out


def create_org_unit(
    *,
    actor: Actor,
    slug: str,
    name: str,
    kind: str = "org",
    parent_id: OrgUnitId | None = None,
    leader_id: PersonId | None = None,
) -> OrgUnit:
    """Add an org unit under a parent. Admin only (MECHANISMS.md §1: every org unit has a leader)."""
    require_admin(actor, "change the org tree")
    values = clean_org_unit(slug=slug, name=name, kind=kind)
    with transaction.atomic():
        if parent_id is not None:
            _require_org_unit_row(parent_id, field="parent_id")
        if leader_id is not None:
            _require_person_row(leader_id, field="leader_id")
        if OrgUnitRow.objects.filter(slug=values["slug"]).exists():
            raise Conflict(f"an org unit with slug {values['slug']!r} already exists", field="slug")
        row = OrgUnitRow.objects.create(parent_id=parent_id, leader_id=leader_id, **values)
        unit = _to_org_unit(row)
        _audit(actor, "create", unit, before=None, after=unit)
    return unit


def update_org_unit(*, actor: Actor, org_unit_id: OrgUnitId, version: int, changes: OrgUnitChanges) -> OrgUnit:
    """Change an org unit; refuses a parent that would make the tree loop (MECHANISMS.md §1). Admin only."""
    require_admin(actor, "change the org tree")
    wanted = given(changes)
    with transaction.atomic():
        row = _require_org_unit_row(org_unit_id, field="org_unit_id")
        before = _to_org_unit(row)
        values = clean_org_unit(
            slug=wanted.get("slug", row.slug), name=wanted.get("name", row.name), kind=wanted.get("kind", row.kind)
        )
        if "parent_id" in wanted:
            parent_id = wanted["parent_id"]
            if parent_id is not None:
                _require_org_unit_row(parent_id, field="parent_id")
                parent_of = dict(OrgUnitRow.objects.values_list("id", "parent_id"))
                if rules.would_cycle(row.id, parent_id, parent_of):
                    raise RuleViolation("this parent would make the org tree loop", field="parent_id")
            values["parent_id"] = parent_id
        if "leader_id" in wanted:
            if wanted["leader_id"] is not None:
                _require_person_row(wanted["leader_id"], field="leader_id")
            values["leader_id"] = wanted["leader_id"]
        if OrgUnitRow.objects.filter(slug=values["slug"]).exclude(pk=row.pk).exists():
            raise Conflict(f"an org unit with slug {values['slug']!r} already exists", field="slug")
        update_versioned(row, expected_version=version, changes=values)
        after = _to_org_unit(row)
        _audit(actor, "update", after, before=before, after=after)
    return after


def delete_org_unit(*, actor: Actor, org_unit_id: OrgUnitId, version: int, reason: str = "") -> None:
    """Remove an empty org unit (no teams, no child units). Admin only."""
    require_admin(actor, "change the org tree")
    with transaction.atomic():
        row = _require_org_unit_row(org_unit_id, field="org_unit_id")
        if row.version != version:
            raise Conflict(f"org unit {org_unit_id} was changed by someone else", field="version")
        if row.teams.exists() or row.children.exists():
            raise RuleViolation("an org unit with teams or child units cannot be deleted", field="org_unit_id")
        before = _to_org_unit(row)
        row.delete()
        _audit(actor, "delete", before, before=before, after=None, reason=reason)


# ---------------------------------------------------------------------------------------------- teams


def get_team(*, actor: Actor, team_id: int) -> Team:
    """One team; raises NotFound."""
    _policy.require_visible(actor)
    row = _team_qs().filter(pk=team_id).first()
    if row is None:
        raise NotFound(f"team {team_id} does not exist", field="team_id")
    return _to_team(row)


def find_team(*, actor: Actor, slug: str) -> Team | None:
    _policy.require_visible(actor)
    row = _team_qs().filter(slug=slug.lower()).first()
    return _to_team(row) if row else None


def get_team_by_slug(*, actor: Actor, slug: str) -> Team:
    _policy.require_visible(actor)
    team = find_team(actor=actor, slug=slug)
    if team is None:
        raise NotFound(f"no team with slug {slug!r}", field="slug")
    return team


def get_teams(*, actor: Actor, ids: Iterable[int]) -> dict[TeamId, Team]:
    """Batch read of teams by id."""
    _policy.require_visible(actor)
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {TeamId(r.id): _to_team(r) for r in _team_qs().filter(pk__in=wanted)}


def list_teams(
    *,
    actor: Actor,
    text: str | None = None,
    org_unit_id: int | None = None,
    include_sub_units: bool = False,
    status: str | None = None,
    leader_id: int | None = None,
    member_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Team]:
    """Teams, filtered by text, org unit (optionally with its sub-units), status, leader or member."""
    _policy.require_visible(actor)
    qs = TeamRow.objects.order_by("name", "id")
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(slug__icontains=text) | Q(charter__icontains=text))
    if org_unit_id is not None:
        units = org_unit_descendants(actor=actor, org_unit_id=org_unit_id) if include_sub_units else [org_unit_id]
        qs = qs.filter(org_unit_id__in=units)
    if status:
        clean_choice(status, [s.value for s in TeamStatus], "status")
        qs = qs.filter(status=status)
    if leader_id is not None:
        qs = qs.filter(leader_id=leader_id)
    if member_id is not None:
        # A subquery, not a join, so the member count annotation stays right.
        qs = qs.filter(pk__in=MembershipRow.objects.filter(person_id=member_id).values("team_id"))
    # Counting members per page, not per table: a Count annotation over 2,000 teams made every page slow.
    page = paginate(qs, limit=limit, offset=offset, convert=_to_team)
    ids = [t.id for t in page.items]
    counts = dict(
        MembershipRow.objects.filter(team_id__in=ids)
        .values("team_id")
        .annotate(n=Count("id"))
        .values_list("team_id", "n")
    )
    return dataclasses.replace(
        page, items=[dataclasses.replace(t, member_count=counts.get(t.id, 0)) for t in page.items]
    )


def team_ids_in_org_units(*, actor: Actor, org_unit_ids: Iterable[int]) -> list[TeamId]:
    _policy.require_visible(actor)
    return [TeamId(t) for t in TeamRow.objects.filter(org_unit_id__in=list(org_unit_ids)).values_list("id", flat=True)]


def team_index(*, actor: Actor) -> list[Team]:
    """Every team with its member count in one query, for org-wide computations (rules, reports, exports)."""
    _policy.require_visible(actor)
    # Plain values, not a model instance per row: org-wide pages (home, Conway) read every team, and at 2,000 teams
    # building the instances cost more than the query.
    rows = _team_qs().order_by("name", "id").values_list(*_TEAM_FIELDS)
    return [
        Team(TeamId(i), slug, name, charter, TeamStatus(status), unit, leader, created, dissolved, n, version)
        for i, slug, name, charter, status, unit, leader, created, dissolved, n, version in rows
    ]


_TEAM_FIELDS = (
    "id",
    "slug",
    "name",
    "charter",
    "status",
    "org_unit_id",
    "leader_id",
    "created_on",
    "dissolved_on",
    "n_members",
    "version",
)


def create_team(
    *,
    actor: Actor,
    slug: str,
    name: str,
    org_unit_id: OrgUnitId,
    charter: str = "",
    leader_id: PersonId | None = None,
    status: str = TeamStatus.ACTIVE.value,
    created_on: dt.date | None = None,
    member_ids: Sequence[PersonId] = (),
) -> Team:
    """Add a team to an org unit, with its first members. Admins, and the leaders of that org unit or of a unit
    above it (MECHANISMS.md §1: teams are formed inside an org; forming with a charter is workflows.form_team).
    Raises PermissionDenied, RuleViolation naming the field, Conflict (slug taken)."""
    values = clean_team(slug=slug, name=name, charter=charter, status=status)
    with transaction.atomic():
        _require_org_unit_row(org_unit_id, field="org_unit_id", reference=True)
        if not can_form_team(actor=actor, org_unit_id=org_unit_id):
            raise PermissionDenied("only an admin or a leader of this org unit may create teams", field="org_unit_id")
        if leader_id is not None:
            _require_person_row(leader_id, field="leader_id")
        if TeamRow.objects.filter(slug=values["slug"]).exists():
            raise Conflict(f"a team with slug {values['slug']!r} already exists", field="slug")
        row = TeamRow.objects.create(
            org_unit_id=org_unit_id, leader_id=leader_id, created_on=created_on or clock.today(), **values
        )
        for person_id in dict.fromkeys(member_ids):
            person = _require_person_row(person_id, field="member_ids")
            if not person.active:
                raise RuleViolation(f"{person.handle} is not active", field="member_ids")
            MembershipRow.objects.create(team_id=row.pk, person_id=person.pk, role="member", joined_on=row.created_on)
        team = get_team(actor=actor, team_id=row.id)
        _audit(actor, "create", team, before=None, after=team)
    return team


# Who may change what of a team (MECHANISMS.md §1): its members `TeamChanges.MEMBER_FIELDS`, an admin every field.
MEMBER_TEAM_FIELDS = frozenset(TeamChanges.MEMBER_FIELDS)
ADMIN_TEAM_FIELDS = frozenset(f.name for f in dataclasses.fields(TeamChanges))


def editable_team_fields(*, actor: Actor, team_id: TeamId) -> frozenset[str]:
    """The fields of this team the actor may change (what `update_team` accepts from them); refused (403) for one
    who may change nothing of it."""
    require_team_change(actor=actor, team_id=team_id, what="change this team")
    return ADMIN_TEAM_FIELDS if actor.is_admin else MEMBER_TEAM_FIELDS


def update_team(*, actor: Actor, team_id: TeamId, version: int, changes: TeamChanges) -> Team:
    """Change a team (MECHANISMS.md §1). Its members may change `TeamChanges.MEMBER_FIELDS` (name and charter);
    moving org unit, leader, slug or status is admin's; dissolving is the dissolve workflow's."""
    wanted = given(changes)
    with transaction.atomic():
        row = _require_team_row(team_id)
        require_team_change(actor=actor, team_id=row.id, what="change this team")
        admin_only = [f for f in wanted if f not in TeamChanges.MEMBER_FIELDS]
        if admin_only and not actor.is_admin:
            raise PermissionDenied(f"only an admin may change a team's {', '.join(admin_only)}", field=admin_only[0])
        before = _to_team(_team_qs().get(pk=row.pk))
        values = clean_team(
            slug=wanted.get("slug", row.slug),
            name=wanted.get("name", row.name),
            charter=wanted.get("charter", row.charter),
            status=wanted.get("status", row.status),
        )
        if "org_unit_id" in wanted:
            _require_org_unit_row(wanted["org_unit_id"], field="org_unit_id", reference=True)
            values["org_unit_id"] = wanted["org_unit_id"]
        if "leader_id" in wanted:
            if wanted["leader_id"] is not None:
                _require_person_row(wanted["leader_id"], field="leader_id")
            values["leader_id"] = wanted["leader_id"]
        if values["status"] == TeamStatus.DISSOLVED.value and row.status != TeamStatus.DISSOLVED.value:
            raise RuleViolation(
                "dissolve a team with the dissolve workflow, which leaves nothing orphaned", field="status"
            )
        if TeamRow.objects.filter(slug=values["slug"]).exclude(pk=row.pk).exists():
            raise Conflict(f"a team with slug {values['slug']!r} already exists", field="slug")
        update_versioned(row, expected_version=version, changes=values)
        after = get_team(actor=actor, team_id=row.pk)
        _audit(actor, "update", after, before=before, after=after)
    return after


def mark_team_dissolved(*, actor: Actor, team_id: TeamId, version: int, reason: str) -> Team:
    """Set a team dissolved and release its members. Called by the dissolve workflow inside its transaction,
    after that workflow has moved every service and request (MECHANISMS.md §1, dissolution). Admin only."""
    require_admin(actor, "dissolve teams")
    with transaction.atomic():
        row = _require_team_row(team_id)
        before = get_team(actor=actor, team_id=row.pk)
        if row.status == TeamStatus.DISSOLVED.value:
            raise RuleViolation(f"team {row.slug} is already dissolved", field="team_id")
        released = list(MembershipRow.objects.filter(team_id=row.pk).values_list("person_id", flat=True))
        MembershipRow.objects.filter(team_id=row.pk).delete()
        update_versioned(
            row, expected_version=version, changes={"status": TeamStatus.DISSOLVED.value, "dissolved_on": clock.today()}
        )
        after = get_team(actor=actor, team_id=row.pk)
        _audit(
            actor,
            "dissolve",
            after,
            before=before,
            after={**dataclasses.asdict(after), "released": released},
            reason=reason,
        )
    return after


# ---------------------------------------------------------------------------------------------- memberships


def list_memberships(
    *,
    actor: Actor,
    team_id: int | None = None,
    person_id: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[Membership]:
    _policy.require_visible(actor)
    qs = MembershipRow.objects.all().order_by("team_id", "person__name", "id")
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    return paginate(qs, limit=limit, offset=offset, convert=_to_membership)


def team_members(*, actor: Actor, team_id: int) -> list[Person]:
    """Members of one team (a team is small: this is not paginated, it is at most a few dozen)."""
    _policy.require_visible(actor)
    rows = PersonRow.objects.filter(memberships__team_id=team_id).order_by("name", "id")
    return [_to_person(r) for r in rows]


def team_sides(*, actor: Actor, team_ids: Iterable[int]) -> dict[TeamId, TeamSide]:
    """For a few teams, in ONE query: each team's slug, name, status and leader, its members, and its leader's
    management chain (nearest first). What a cross-team record needs to know who is on which side, whom to tell
    and who decides an escalation, without reading the teams table again and again. Unknown ids are left out."""
    _policy.require_visible(actor)
    wanted = sorted({int(t) for t in team_ids if isinstance(t, int)})
    if not wanted:
        return {}
    marks = ", ".join(["%s"] * len(wanted))
    team, person, membership = TeamRow._meta.db_table, PersonRow._meta.db_table, MembershipRow._meta.db_table
    sql = (
        f"WITH RECURSIVE up(team_id, id, depth) AS ("
        f"SELECT t.id, p.manager_id, 1 FROM {team} t JOIN {person} p ON p.id = t.leader_id "
        f"WHERE t.id IN ({marks}) AND p.manager_id IS NOT NULL "
        f"UNION ALL SELECT u.team_id, p.manager_id, u.depth + 1 FROM {person} p JOIN up u ON p.id = u.id "
        f"WHERE p.manager_id IS NOT NULL AND u.depth < 64) "
        f"SELECT 'team', id, leader_id, 0, slug, name, status FROM {team} WHERE id IN ({marks}) "
        f"UNION ALL SELECT 'member', team_id, person_id, 0, '', '', '' FROM {membership} WHERE team_id IN ({marks}) "
        f"UNION ALL SELECT 'chain', team_id, id, depth, '', '', '' FROM up"
    )
    teams: dict[int, tuple] = {}
    members: dict[int, set[PersonId]] = {t: set() for t in wanted}
    chains: dict[int, list[tuple[int, int]]] = {t: [] for t in wanted}
    with connection.cursor() as cur:
        cur.execute(sql, wanted * 3)
        for kind, team_id, person_id, depth, slug, name, status in cur.fetchall():
            if kind == "team":
                teams[team_id] = (slug, name, status, person_id)
            elif kind == "member":
                members[team_id].add(PersonId(person_id))
            else:
                chains[team_id].append((depth, person_id))
    sides = {}
    for team_id, (slug, name, status, leader_id) in teams.items():
        chain: list[PersonId] = []
        for _, pid in sorted(chains[team_id]):
            if pid in chain or pid == leader_id:
                break  # a loop in bad data ends the chain, as in management_chain
            chain.append(PersonId(pid))
        sides[TeamId(team_id)] = TeamSide(
            id=TeamId(team_id),
            slug=slug,
            name=name,
            status=TeamStatus(status),
            leader_id=PersonId(leader_id) if leader_id is not None else None,
            member_ids=frozenset(members[team_id]),
            leader_chain=tuple(chain),
        )
    return sides


def get_membership(*, actor: Actor, membership_id: int) -> Membership:
    _policy.require_visible(actor)
    row = MembershipRow.objects.filter(pk=membership_id).first()
    if row is None:
        raise NotFound(f"membership {membership_id} does not exist", field="membership_id")
    return _to_membership(row)


def add_member(
    *, actor: Actor, team_id: TeamId, person_id: PersonId, role: str = "member", joined_on: dt.date | None = None
) -> Membership:
    """Add a person to a team. Admins, or members of that team. A dissolved team takes no members."""
    role = (role or "member").strip()[:32] or "member"
    if "\x00" in role:
        raise RuleViolation("role must be text without NUL characters", field="role")
    with transaction.atomic():
        team = _require_team_row(team_id)
        require_team_change(actor=actor, team_id=team.pk, what="change this team's members")
        if team.status == TeamStatus.DISSOLVED.value:
            raise RuleViolation(f"team {team.slug} is dissolved", field="team_id")
        person = _require_person_row(person_id, field="person_id")
        if not person.active:
            raise RuleViolation(f"{person.handle} is not active", field="person_id")
        if MembershipRow.objects.filter(team_id=team.pk, person_id=person.pk).exists():
            raise Conflict(f"{person.handle} is already a member of {team.slug}", field="person_id")
        try:
            with transaction.atomic():
                row = MembershipRow.objects.create(
                    team_id=team.pk, person_id=person.pk, role=role, joined_on=joined_on or clock.today()
                )
        except IntegrityError as exc:
            raise Conflict(f"{person.handle} is already a member of {team.slug}", field="person_id") from exc
        membership = _to_membership(row)
        audit_services.record_change(
            actor=actor,
            verb="add_member",
            subject_type="team",
            subject_id=team.pk,
            subject_label=team.name,
            before=None,
            after=dataclasses.asdict(membership),
        )
        events.teams_changed([team.pk])
        _relations.forget()
    return membership


def remove_member(*, actor: Actor, membership_id: MembershipId, reason: str = "") -> None:
    """Release a person from a team. Admins, or members of that team."""
    with transaction.atomic():
        row = MembershipRow.objects.select_related("team").filter(pk=membership_id).first()
        if row is None:
            raise NotFound(f"membership {membership_id} does not exist", field="membership_id")
        require_team_change(actor=actor, team_id=row.team_id, what="change this team's members")
        before = _to_membership(row)
        row.delete()
        audit_services.record_change(
            actor=actor,
            verb="remove_member",
            subject_type="team",
            subject_id=row.team_id,
            subject_label=row.team.name,
            before=dataclasses.asdict(before),
            after=None,
            reason=reason,
        )
        events.teams_changed([row.team_id])
        _relations.forget()


# ---------------------------------------------------------------------------------------------- roles


def grant_role(
    *,
    actor: Actor,
    person_id: int,
    role: str,
    org_unit_id: int | None = None,
    starts_on: dt.date | None = None,
    ends_on: dt.date | None = None,
    reason: str = "",
) -> RoleGrant:
    """Grant a role (recruiter, finance, leadership) over the whole company (no org unit) or an org-unit subtree
    (MECHANISMS.md, Access). Admins only (org.policy). The grant is in force from `starts_on` (default today) up
    to but not including `ends_on`. Raises PermissionDenied, NotFound (person or unit), RuleViolation naming the
    field (unknown role, an end not after the start, an inactive person)."""
    if not actor.is_authenticated:
        raise PermissionDenied("sign in first")
    value = clean_choice(role, [r.value for r in Role], "role")
    reason = clean_text(reason, "reason", 2000, required=False)
    start = starts_on or clock.today()
    if ends_on is not None and ends_on <= start:
        raise RuleViolation("a grant must end after it starts", field="ends_on")
    with transaction.atomic():
        person = _require_person_row(person_id, field="person_id")
        if org_unit_id is not None:
            _require_org_unit_row(org_unit_id, field="org_unit_id", reference=True)
        _policy.require(actor, "grant_role", org_unit_id, what="grant roles")
        if not person.active:
            raise RuleViolation(f"{person.handle} is not active", field="person_id")
        row = RoleGrantRow.objects.create(
            person_id=person.pk,
            role=value,
            org_unit_id=org_unit_id,
            starts_on=start,
            ends_on=ends_on,
            granted_by=actor.label[:150],
            reason=reason,
        )
        grant = _to_role_grant(row)
        _audit_grant(actor, "grant_role", grant, person.name, before=None, reason=reason)
    return grant


def end_role_grant(
    *, actor: Actor, grant_id: int, version: int, ends_on: dt.date | None = None, reason: str = ""
) -> RoleGrant:
    """End a role grant on `ends_on` (default today: no longer in force from today). Admins only (org.policy).
    Ending is recorded, never deleted, so the history keeps who held what and when. `version` is the version you
    read: a stale one is Conflict. Raises NotFound, PermissionDenied, RuleViolation (already ended, an end before
    the start)."""
    reason = clean_text(reason, "reason", 2000, required=False)
    with transaction.atomic():
        row = _require_visible_grant(actor, grant_id)
        _policy.require(actor, "end_role_grant", row.org_unit_id, what="end role grants")
        end = ends_on or clock.today()
        if row.version != version:  # a stale read is a conflict before it is anything else
            update_versioned(row, expected_version=version, changes={})
        if row.ends_on is not None and row.ends_on <= clock.today():
            raise RuleViolation("this grant has already ended", field="grant_id")
        if end < row.starts_on:
            raise RuleViolation("a grant cannot end before it starts", field="ends_on")
        before = _to_role_grant(row)
        update_versioned(row, expected_version=version, changes={"ends_on": end})
        after = _to_role_grant(row)
        _audit_grant(actor, "end_role_grant", after, row.person.name, before=before, reason=reason)
    return after


def held_roles(*, actor: Actor) -> frozenset[Role]:
    """The roles the actor holds today, anywhere (one query; the navigation asks it on every page, where the full
    `relations_of` would cost six). Empty for someone without a person."""
    if actor.person_id is None:
        return frozenset()
    if (found := _relations.cached(actor)) is not None:
        return frozenset(role for role, _ in found.roles)

    def read() -> frozenset[Role]:
        today = clock.today()
        rows = (
            RoleGrantRow.objects.filter(person_id=actor.person_id, starts_on__lte=today)
            .exclude(ends_on__lte=today)
            .values_list("role", flat=True)
        )
        return frozenset(Role(r) for r in rows if r in {x.value for x in Role})

    return _relations.memo("roles", actor, read)


def manages_anyone(*, actor: Actor) -> bool:
    """True when someone reports to the actor (one query, or none when the request already has its relations)."""
    if actor.person_id is None:
        return False
    if (found := _relations.cached(actor)) is not None:
        return bool(found.manages_below)
    return _relations.memo("manages", actor, PersonRow.objects.filter(manager_id=actor.person_id).exists)


def can_grant_role(*, actor: Actor, org_unit_id: int | None = None) -> bool:
    """True when the actor may grant and end roles over `org_unit_id` (None: the whole company); org.policy."""
    return _policy.can(actor, "grant_role", org_unit_id)


def get_role_grant(*, actor: Actor, grant_id: int) -> RoleGrant:
    """One role grant the actor may see (org.policy); one they may not see is NotFound."""
    return _to_role_grant(_require_visible_grant(actor, grant_id))


def list_role_grants(
    *,
    actor: Actor,
    person_id: int | None = None,
    role: str | None = None,
    org_unit_id: int | None = None,
    in_force_on: dt.date | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[RoleGrant]:
    """Role grants the actor may see: admins all, the holder their own, leadership those inside its scope
    (org.policy). Filtered by person, role, unit, or the day they are in force."""
    require_signed_in(actor)
    qs = _policy.visible_role_grants(actor, RoleGrantRow.objects.all()).order_by("person__name", "role", "id")
    if person_id is not None:
        qs = qs.filter(person_id=person_id)
    if role:
        qs = qs.filter(role=clean_choice(role, [r.value for r in Role], "role"))
    if org_unit_id is not None:
        qs = qs.filter(org_unit_id=org_unit_id)
    if in_force_on is not None:
        qs = qs.filter(starts_on__lte=in_force_on).exclude(ends_on__lte=in_force_on)
    return paginate(qs, limit=limit, offset=offset, convert=_to_role_grant)


def _require_visible_grant(actor: Actor, grant_id: Any) -> RoleGrantRow:
    require_signed_in(actor)
    qs = _policy.visible_role_grants(actor, RoleGrantRow.objects.select_related("person"))
    row = qs.filter(pk=grant_id).first() if isinstance(grant_id, int) else None
    if row is None:
        raise NotFound(f"role grant {grant_id} does not exist", field="grant_id")
    return row


def _audit_grant(actor: Actor, verb: str, grant: RoleGrant, label: str, *, before: Any, reason: str) -> None:
    _relations.forget()
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type="role_grant",
        subject_id=grant.id,
        subject_label=f"{grant.role.value}: {label}",
        before=dataclasses.asdict(before) if before is not None else None,
        after=dataclasses.asdict(grant),
        reason=reason,
    )


def _to_role_grant(row: RoleGrantRow) -> RoleGrant:
    return RoleGrant(
        id=row.pk,
        person_id=PersonId(row.person_id),
        role=Role(row.role),
        org_unit_id=OrgUnitId(row.org_unit_id) if row.org_unit_id else None,
        starts_on=row.starts_on,
        ends_on=row.ends_on,
        granted_by=row.granted_by,
        reason=row.reason,
        version=row.version,
    )


# ---------------------------------------------------------------------------------------------- rules


def team_limits() -> TeamLimits:
    cfg = settings.MECHANISMS
    return TeamLimits(
        target=cfg["TEAM_SIZE_TARGET"],
        warning_above=cfg["TEAM_SIZE_WARNING_ABOVE"],
        violation_above=cfg["TEAM_SIZE_VIOLATION_ABOVE"],
    )


def team_size(*, actor: Actor, team_id: int) -> TeamSize:
    _policy.require_visible(actor)
    team = get_team(actor=actor, team_id=team_id)
    return TeamSize(
        team.id, team.slug, team.name, team.member_count, rules.size_level(team.member_count, team_limits())
    )


def team_standings(*, report: OrgRuleReport) -> dict[TeamId, TeamStanding]:
    """Each team the report finds something about, with where it stands (MECHANISMS.md §1); a team not in the
    result stands clear (`TeamStanding()`). Pure: reads nothing beyond the report."""
    levels = {s.team_id: s.level for s in (*report.oversized, *report.size_warnings)}
    multi_led = {t for breach in report.stl_breaches for t in breach.team_ids}
    leaderless = {s.team_id for s in report.leaderless}
    return {
        TeamId(t): TeamStanding(level=levels.get(t, SizeLevel.OK), multi_led=t in multi_led, leaderless=t in leaderless)
        for t in {*levels, *multi_led, *leaderless}
    }


def check_org_rules(*, actor: Actor, team_ids: Iterable[int] | None = None) -> OrgRuleReport:
    """Two-pizza size, single-threaded leaders and leaderless teams for the whole org (or some teams) in two
    queries (MECHANISMS.md §1). Only forming and active teams are checked."""
    _policy.require_visible(actor)
    limits = team_limits()
    qs = _team_qs().filter(status__in=LIVE_STATUSES).order_by("name", "id")
    if team_ids is not None:
        qs = qs.filter(pk__in=list(team_ids))
    rows = list(qs.values("id", "slug", "name", "leader_id", "status", "n_members"))
    oversized, warnings, leaderless = [], [], []
    for r in rows:
        level = rules.size_level(r["n_members"], limits)
        size = TeamSize(TeamId(r["id"]), r["slug"], r["name"], r["n_members"], level)
        if level is SizeLevel.VIOLATION:
            oversized.append(size)
        elif level is SizeLevel.WARNING:
            warnings.append(size)
        if r["leader_id"] is None:
            leaderless.append(size)
    active = [(r["id"], r["leader_id"]) for r in rows if r["status"] == TeamStatus.ACTIVE.value]
    if team_ids is not None:
        # A leader's other teams may lie outside the subset: look at all active teams they lead.
        leaders = {leader for _, leader in active if leader is not None}
        active = list(
            TeamRow.objects.filter(status=TeamStatus.ACTIVE.value, leader_id__in=leaders).values_list("id", "leader_id")
        )
    multi = rules.multi_threaded_leaders(active)
    people = get_people(actor=actor, ids=multi.keys())
    breaches = tuple(
        StlBreach(PersonId(p), people[PersonId(p)].handle, people[PersonId(p)].name, tuple(TeamId(t) for t in teams))
        for p, teams in sorted(multi.items(), key=lambda kv: people[PersonId(kv[0])].name)
    )
    return OrgRuleReport(
        oversized=tuple(oversized),
        size_warnings=tuple(warnings),
        stl_breaches=breaches,
        leaderless=tuple(leaderless),
        teams_checked=len(rows),
    )


# ---------------------------------------------------------------------------------------------- accounts


def create_account(
    *, actor: Actor, username: str, password: str, is_admin: bool = False, person_id: PersonId | None = None
) -> Account:
    """Create a sign-in account, optionally linked to a person. Admin only."""
    require_admin(actor, "create accounts")
    username = (username or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9._@+-]{1,150}", username):
        raise RuleViolation("username must be 1-150 letters, digits or ._@+-", field="username")
    if len(password or "") < 8:
        raise RuleViolation("password must be at least 8 characters", field="password")
    user_model = get_user_model()
    with transaction.atomic():
        if user_model.objects.filter(username=username).exists():
            raise Conflict(f"an account named {username!r} already exists", field="username")
        person = _require_person_row(person_id, field="person_id") if person_id is not None else None
        if person is not None and person.user_id is not None:
            raise Conflict(f"{person.handle} already has an account", field="person_id")
        user = user_model.objects.create_user(
            username=username,
            password=password,
            is_superuser=is_admin,
            is_staff=is_admin,
            email=person.email if person else "",
        )
        if person is not None:
            PersonRow.objects.filter(pk=person.pk).update(user=user)
        account = Account(user.pk, user.username, is_admin, PersonId(person.pk) if person else None)
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type="account",
            subject_id=user.pk,
            subject_label=username,
            after=dataclasses.asdict(account),
        )
    return account


def actor_for_user(user: Any) -> Actor:
    """The Actor for a signed-in Django user (used by the API and page entry points)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Actor.anonymous()
    person_id = PersonRow.objects.filter(user_id=user.pk).values_list("id", flat=True).first()
    return Actor(user_id=user.pk, person_id=person_id, label=user.get_username(), is_admin=bool(user.is_superuser))


def actor_for_handle(*, handle: str) -> Actor:
    """The Actor of a person's account, for an operator's CLI command run on their behalf (`--as HANDLE`).
    Raises NotFound naming `as` when there is no such person or the person has no account."""
    row = PersonRow.objects.filter(handle=(handle or "").strip().lower()).select_related("user").first()
    if row is None:
        raise NotFound(f"no person with handle {handle!r}", field="as")
    if row.user is None or not row.user.is_active:
        raise NotFound(f"{row.handle} has no active account to act with", field="as")
    return Actor(user_id=row.user.pk, person_id=row.pk, label=row.user.get_username(), is_admin=row.user.is_superuser)


def cli_actor(*, handle: str | None) -> Actor:
    """Who a CLI command acts as: the account of `handle` (`--as HANDLE`, see actor_for_handle), or without one the
    product itself (an operator on the server). Every app's CLI asks this one function."""
    return actor_for_handle(handle=handle) if handle else Actor.system("cli")


def issue_api_token(*, actor: Actor, name: str, username: str | None = None) -> IssuedToken:
    """A new bearer token for the actor's own account (or, for an admin, any account). Stored hashed."""
    require_signed_in(actor)
    name = (name or "").strip()
    if not name or len(name) > 100 or "\x00" in name:
        raise RuleViolation("a token needs a name of 1-100 characters", field="name")
    user_model = get_user_model()
    if username is None:
        if actor.user_id is None:
            raise RuleViolation("name the account the token is for", field="username")
        user_id = actor.user_id
    else:
        user_id = user_model.objects.filter(username=username).values_list("pk", flat=True).first()
        if user_id is None:
            raise NotFound(f"no account named {username!r}", field="username")
        if user_id != actor.user_id and not actor.is_admin:
            raise PermissionDenied("only an admin may issue tokens for another account", field="username")
    secret = "mech_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        row = ApiTokenRow.objects.create(user_id=user_id, name=name, prefix=secret[:12], token_hash=_hash(secret))
        info = _to_token_info(row)
        audit_services.record_change(
            actor=actor,
            verb="issue_token",
            subject_type="account",
            subject_id=user_id,
            subject_label=name,
            after={"token_id": row.pk, "name": name, "prefix": row.prefix},
        )
    return IssuedToken(info=info, secret=secret)


def revoke_api_token(*, actor: Actor, token_id: int) -> None:
    """Revoke a token: its owner or an admin."""
    with transaction.atomic():
        row = ApiTokenRow.objects.filter(pk=token_id).first()
        if row is None or (row.user_id != actor.user_id and not actor.is_admin):
            raise NotFound(f"token {token_id} does not exist", field="token_id")
        ApiTokenRow.objects.filter(pk=token_id).update(revoked=True)
        audit_services.record_change(
            actor=actor,
            verb="revoke_token",
            subject_type="account",
            subject_id=row.user_id,
            subject_label=row.name,
            before={"token_id": row.pk},
            after={"token_id": row.pk, "revoked": True},
        )


def list_api_tokens(*, actor: Actor) -> list[ApiTokenInfo]:
    require_signed_in(actor)
    return [_to_token_info(r) for r in ApiTokenRow.objects.filter(user_id=actor.user_id).order_by("-id")]


def authenticate_token(*, secret: str) -> Actor | None:
    """The Actor holding this bearer token, or None. Only hashes are compared; revoked tokens and inactive
    accounts authenticate nothing.

    This runs on every API request, so it is one hand-written query (token, account and person together)."""
    if not secret or len(secret) > 200:
        return None
    token, person, user = ApiTokenRow._meta.db_table, PersonRow._meta.db_table, get_user_model()._meta.db_table
    sql = (
        f"SELECT t.id, t.last_used_at, u.id, u.username, u.is_superuser, p.id FROM {token} t "
        f"JOIN {user} u ON u.id = t.user_id LEFT JOIN {person} p ON p.user_id = u.id "
        f"WHERE t.token_hash = %s AND t.revoked = %s AND u.is_active = %s"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [_hash(secret), False, True])
        row = cur.fetchone()
    if row is None:
        return None
    token_id, last_used_at, user_id, username, is_superuser, person_id = row
    now = clock.now()
    if isinstance(last_used_at, str):  # SQLite returns text through a raw cursor
        last_used_at = dt.datetime.fromisoformat(last_used_at)
    if last_used_at is not None and last_used_at.tzinfo is None:
        last_used_at = last_used_at.replace(tzinfo=dt.UTC)
    if last_used_at is None or (now - last_used_at).total_seconds() > 300:
        ApiTokenRow.objects.filter(pk=token_id).update(last_used_at=now)
    return Actor(user_id=user_id, person_id=person_id, label=username, is_admin=bool(is_superuser))


# ---------------------------------------------------------------------------------------------- private helpers


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _team_qs():
    return TeamRow.objects.annotate(n_members=Count("memberships"))


def _manager_map() -> dict[int, int | None]:
    return dict(PersonRow.objects.values_list("id", "manager_id"))


def _chain_ids(person_id: int) -> list[int]:
    """Ids above a person, nearest first, by a recursive query; a loop in bad data cannot hang it."""
    table = PersonRow._meta.db_table
    sql = (
        f"WITH RECURSIVE up(id, depth) AS (SELECT manager_id, 1 FROM {table} WHERE id = %s AND manager_id IS NOT NULL "
        f"UNION ALL SELECT p.manager_id, u.depth + 1 FROM {table} p JOIN up u ON p.id = u.id "
        f"WHERE p.manager_id IS NOT NULL AND u.depth < 64) SELECT id FROM up ORDER BY depth"
    )
    with connection.cursor() as cur:
        cur.execute(sql, [person_id])
        ids: list[int] = []
        for (pid,) in cur.fetchall():
            if pid in ids or pid == person_id:
                break
            ids.append(pid)
        return ids


def _require_unique_person(handle: str, email: str, exclude_id: int | None = None) -> None:
    qs = PersonRow.objects.exclude(pk=exclude_id) if exclude_id else PersonRow.objects.all()
    if qs.filter(handle=handle).exists():
        raise Conflict(f"a person with handle {handle!r} already exists", field="handle")
    if qs.filter(email=email).exists():
        raise Conflict(f"a person with email {email!r} already exists", field="email")


def _require_person_row(person_id: Any, *, field: str) -> PersonRow:
    row = PersonRow.objects.filter(pk=person_id).first() if isinstance(person_id, int) else None
    if row is None:
        # The record being acted on is missing: 404; a reference to a missing person in the input: 400.
        error = NotFound if field == "person_id" else RuleViolation
        raise error(f"person {person_id} does not exist", field=field)
    return row


def _require_org_unit_row(org_unit_id: Any, *, field: str, reference: bool = False) -> OrgUnitRow:
    """`reference`: the id comes from the input (a team's org unit), so a missing one is a 400, not a 404."""
    row = OrgUnitRow.objects.filter(pk=org_unit_id).first() if isinstance(org_unit_id, int) else None
    if row is None:
        if field == "org_unit_id" and not reference:
            raise NotFound(f"org unit {org_unit_id} does not exist", field=field)
        raise RuleViolation(f"org unit {org_unit_id} does not exist", field=field)
    return row


def _require_team_row(team_id: Any) -> TeamRow:
    row = TeamRow.objects.filter(pk=team_id).first() if isinstance(team_id, int) else None
    if row is None:
        raise NotFound(f"team {team_id} does not exist", field="team_id")
    return row


def _audit(actor: Actor, verb: str, record: Any, *, before: Any, after: Any, reason: str = "") -> None:
    _relations.forget()
    subject_type = {Person: "person", OrgUnit: "org_unit", Team: "team"}[type(record)]
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type=subject_type,
        subject_id=record.id,
        subject_label=getattr(record, "name", ""),
        before=dataclasses.asdict(before) if before is not None else None,
        # `after` may already be a dict: dissolution adds the released members to the team's state.
        after=dataclasses.asdict(after) if dataclasses.is_dataclass(after) else after,
        reason=reason,
    )
    _tell_mandate(record, before)


# A person's reporting line or departure can change any waiver's independence: re-check all.
_PERSON_FACTS_EVERYWHERE = ("manager_id", "active")


def _tell_mandate(record: Any, before: Any) -> None:
    """Say which teams' facts a change touched (kernel.events), so their findings are re-evaluated after commit."""
    if isinstance(record, Team):
        leaders = {record.leader_id, getattr(before, "leader_id", None)}
        events.teams_changed({record.id, *teams_led_by(actor=Actor.system("org"), person_ids=leaders)})
    elif isinstance(record, Person) and before is not None:  # a new person is on no team yet
        if any(getattr(before, f) != getattr(record, f) for f in _PERSON_FACTS_EVERYWHERE):
            events.teams_changed(None)
        else:
            mine = person_teams(actor=Actor.system("org"), person_id=record.id)
            events.teams_changed({*mine.member_of, *mine.leads})


def _to_person(row: PersonRow) -> Person:
    return Person(
        id=PersonId(row.id),
        handle=row.handle,
        name=row.name,
        email=row.email,
        title=row.title,
        discipline=row.discipline,
        manager_id=row.manager_id,
        active=row.active,
        version=row.version,
    )


def _to_org_unit(row: OrgUnitRow) -> OrgUnit:
    return OrgUnit(
        id=OrgUnitId(row.id),
        slug=row.slug,
        name=row.name,
        kind=row.kind,
        parent_id=row.parent_id,
        leader_id=row.leader_id,
        version=row.version,
    )


def _to_team(row: TeamRow) -> Team:
    return Team(
        id=TeamId(row.id),
        slug=row.slug,
        name=row.name,
        charter=row.charter,
        status=TeamStatus(row.status),
        org_unit_id=row.org_unit_id,
        leader_id=row.leader_id,
        created_on=row.created_on,
        dissolved_on=row.dissolved_on,
        member_count=getattr(row, "n_members", 0),
        version=row.version,
    )


def _to_membership(row: MembershipRow) -> Membership:
    return Membership(
        id=MembershipId(row.id),
        team_id=TeamId(row.team_id),
        person_id=PersonId(row.person_id),
        role=row.role,
        joined_on=row.joined_on,
    )


def _to_token_info(row: ApiTokenRow) -> ApiTokenInfo:
    return ApiTokenInfo(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        revoked=row.revoked,
    )


# ---------------------------------------------------------------------------------------------- import / export


def import_org(
    *,
    actor: Actor,
    people: list[PersonRecord],
    org_units: list[OrgUnitRecord],
    teams: list[TeamRecord],
    prune: bool = False,
    problems: Problems | None = None,
) -> ImportReport:
    """Create or update people, org units and teams keyed by handle and slug, all or nothing (issue 2 item 8).
    Every problem is collected with its location; pass `problems` to report them together with another app's.
    What the database has and the input lacks is reported, and removed only with `prune`. Admin only."""
    require_admin(actor, "import the org")
    report = _bulk.import_org(
        actor=actor, people=people, org_units=org_units, teams=teams, prune=prune, problems=problems
    )
    if report.changed_anything:
        events.teams_changed(None)
        _relations.forget()
    return report


def export_org(*, actor: Actor, team_ids: Iterable[TeamId] | None = None) -> OrgExport:
    """People, org units and teams with memberships as import records, keyed by handle and slug (import_org reads
    them back).
    With `team_ids`, only those teams (an incremental evaluation reads a neighbourhood, not the whole org)."""
    _policy.require_visible(actor)
    return _bulk.export_org(team_ids=team_ids)


def teams_led_by(*, actor: Actor, person_ids: Iterable[int]) -> list[TeamId]:
    """Every team (any status) led by one of these people, in one query."""
    _policy.require_visible(actor)
    wanted = [p for p in set(person_ids) if p is not None]
    if not wanted:
        return []
    return [TeamId(t) for t in TeamRow.objects.filter(leader_id__in=wanted).values_list("id", flat=True)]


def team_ids_by_slug(*, actor: Actor, slugs: Iterable[str] | None = None, live_only: bool = False) -> dict[str, TeamId]:
    """Team ids by slug (all teams when `slugs` is None; only forming and active ones with `live_only`), for
    imports that reference teams by slug."""
    _policy.require_visible(actor)
    qs = TeamRow.objects.all()
    if slugs is not None:
        qs = qs.filter(slug__in=list(slugs))
    if live_only:
        qs = qs.filter(status__in=LIVE_STATUSES)
    return {slug: TeamId(i) for slug, i in qs.values_list("slug", "id")}


def account_exists(*, username: str) -> bool:
    return get_user_model().objects.filter(username=username).exists()
