"""Private: the one place that decides who may see and do what in the catalog (MECHANISMS.md §2; docs/access.md).

Reads: the catalog (services, interfaces, datastores, dependencies, ownership history) is open to every signed-in
person, because teams talk through published interfaces and must find them; nothing to an unauthenticated caller.

Actions (`can(actor, action, owner_team_id)`), all named after the team that owns the record:
- `change`: admins, and the members and leader of the owning team (org's `change_team` relation); a record with
  no owning team (an unowned datastore, a service imported with a non-team owner) is changed by admins only.
"""

from __future__ import annotations

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.org import services as org_services

ACTIONS = ("change",)


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """Catalog rows the actor may read: all of them for a signed-in person, none for an anonymous one."""
    return qs if actor.is_authenticated else qs.none()


def require_visible(actor: Actor) -> None:
    """Reads of the catalog need a signed-in caller (a 403 here says nothing about any record)."""
    if not actor.is_authenticated:
        raise PermissionDenied("sign in first")


def can(actor: Actor, action: str, owner_team_id: int | None) -> bool:
    """True when the actor may take `action` on a record owned by `owner_team_id` (None: no owning team)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown catalog action {action!r}")
    if actor.is_admin:
        return True
    if owner_team_id is None:
        return False
    return org_services.can_change_team(actor=actor, team_id=owner_team_id)


def require(actor: Actor, action: str, owner_team_id: int | None, *, what: str) -> None:
    """Raise PermissionDenied naming the rule unless the actor may take `action` (see `can`)."""
    if not can(actor, action, owner_team_id):
        if owner_team_id is None:
            raise PermissionDenied(f"only an admin may {what}: it has no owning team")
        raise PermissionDenied(f"only members of the owning team or an admin may {what}")


def visible_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which of these records' histories the actor may read: the catalog are open to every signed-in person, so
    is their history (the audit log asks the owner; docs/audit.md)."""
    return ids if actor.is_authenticated else frozenset()
