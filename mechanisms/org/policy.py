"""Private: the one place that decides who may see and do what in org (MECHANISMS.md, Access; docs/access.md).

Reads: the directory (people, org units, teams, memberships) is open to every signed-in person; role grants are
seen by admins, by the holder, and by people with `leadership` over the grant's unit (a subtree grant is seen by
leadership of that subtree or above; a company-wide grant only by company-wide leadership). Nothing is visible to
an unauthenticated caller.

Actions (`can(actor, action, record)`):
- `change_team` (record: a team id): admins, the team's members and its leader; the same right covers what the
  team owns (its services, interfaces, datastores);
- `form_team` (record: an org unit id): admins, leaders of the unit or of a unit above it, and holders of
  `leadership` over it;
- `change_org` (record: ignored): admins (people, the org tree, accounts, imports);
- `grant_role` / `end_role_grant` (record: the grant's org unit id or None): admins only, so a leader cannot hand
  themselves or their friends a confidential role; leadership over a subtree may only read grants there.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied

from .contracts import Relations, Role
from .relations import relations_of

RULES = {
    "change_team": "only members of the owning team or an admin may {what}",
    "form_team": "only an admin or a leader of this org unit may {what}",
    "change_org": "only an admin may {what}",
    "grant_role": "only an admin may {what}",
    "end_role_grant": "only an admin may {what}",
}


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """People, org units, teams and memberships: the directory, open to every signed-in person."""
    return qs if actor.is_authenticated else qs.none()


def require_visible(actor: Actor) -> None:
    """Reads of the directory need a signed-in caller (a refusal here says nothing about any record)."""
    if not actor.is_authenticated:
        raise PermissionDenied("sign in first")


def visible_role_grants(actor: Actor, qs: QuerySet) -> QuerySet:
    """Role grants the actor may see (see the module docstring)."""
    if actor.is_admin:
        return qs
    if not actor.is_authenticated or actor.person_id is None:
        return qs.none()
    relations = relations_of(actor)
    scopes = {scope for role, scope in relations.roles if role is Role.LEADERSHIP}
    if None in scopes:
        return qs
    return qs.filter(Q(person_id=actor.person_id) | Q(org_unit_id__in=_subtrees(relations, scopes)))


def visible_ids(actor: Actor, subject_type: str, ids: frozenset[str]) -> frozenset[str]:
    """Which of these records' histories the actor may read (the audit log asks the owner; docs/audit.md):
    the directory's to every signed-in person, a role grant's as the grant itself, an account's to its owner."""
    if not actor.is_authenticated:
        return frozenset()
    if actor.is_admin or subject_type in ("person", "org_unit", "team"):
        return ids
    if subject_type == "role_grant":
        from .models import RoleGrant as RoleGrantRow

        wanted = [int(i) for i in ids if i.isdigit()]
        seen = visible_role_grants(actor, RoleGrantRow.objects.filter(pk__in=wanted)).values_list("pk", flat=True)
        return frozenset(str(pk) for pk in seen)
    if subject_type == "account":
        return ids & {str(actor.user_id)} if actor.user_id is not None else frozenset()
    return frozenset()


def can(actor: Actor, action: str, record: Any = None) -> bool:
    """True when the actor may take `action` on `record` (see the module docstring for each action)."""
    if action not in RULES:
        raise ValueError(f"unknown org action {action!r}")
    if actor.is_admin:
        return True
    if not actor.is_authenticated or actor.person_id is None:
        return False
    relations = relations_of(actor)
    if action == "change_team":
        return record in relations.member_of or record in relations.leads
    if action == "form_team":
        return relations.leads_unit(record) or relations.has_role(Role.LEADERSHIP, record)
    return False


def require(actor: Actor, action: str, record: Any = None, *, what: str, field: str | None = None) -> None:
    """Raise PermissionDenied naming the rule unless the actor may take `action` on `record`."""
    if not can(actor, action, record):
        raise PermissionDenied(RULES[action].format(what=what), field=field)


def relations(actor: Actor) -> Relations:
    return relations_of(actor)


def _subtrees(relations: Relations, roots: set) -> list[int]:
    return [unit for unit in relations.unit_parents if any(relations.in_subtree(unit, root) for root in roots)]
