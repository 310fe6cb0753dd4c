"""Private: the one place that decides who may see and do what in the bar-raisers app (MECHANISMS.md §4;
docs/access.md, docs/bar-raisers.md).

- The pool (who is trained, by whom, their capacity and load) is open to every signed-in person: you must be
  able to see who may raise the bar and how busy they are. Nothing to anonymous callers.
- Managing the pool (adding a member, changing training, trainer, capacity, active) is for admins and holders of
  the company-wide `leadership` role: the pool is the company's, not a unit's.
- A bar raiser's assignments name their subjects (a hiring loop's id is itself confidential to the loop), so the
  list of them is the bar raiser's own; everyone else sees their load and its split by kind only.
- Assigning and releasing are done by the owning apps (hiring, decisions, mandate) after their own policy has
  decided that the actor may plan that subject; this app checks the bar raiser, not the caller.
"""

from __future__ import annotations

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Role

RULES = {
    "manage_pool": "only an admin or a holder of the company-wide leadership role may manage the bar-raiser pool",
    "list_assignments": "only the bar raiser themself reads the subjects of their assignments",
}


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """Pool members the actor may read: every one for a signed-in person. Unauthenticated: PermissionDenied."""
    org_services.require_signed_in(actor)
    return qs


def can(actor: Actor, action: str, record: int | None = None) -> bool:
    """True when the actor may take `action` (`record` is the bar raiser's person id for list_assignments)."""
    if action not in RULES:
        raise ValueError(f"unknown bar-raisers action {action!r}")
    if not actor.is_authenticated:
        return False
    if action == "list_assignments":
        return actor.person_id is not None and actor.person_id == record
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    return org_services.relations_of(actor=actor).has_role(Role.LEADERSHIP)


def require(actor: Actor, action: str, record: int | None = None) -> None:
    """Raise PermissionDenied naming the rule unless the actor may take `action`."""
    org_services.require_signed_in(actor)
    if not can(actor, action, record):
        raise PermissionDenied(RULES[action])


def visible_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which pool members' histories the actor may read: every one, for a signed-in person (the pool is open)."""
    return ids if actor.is_authenticated else frozenset()


def visible_assignment_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which assignments' histories the actor may read: the bar raiser's own only (an assignment names its
    subject, and a hiring loop's existence is confidential to the loop)."""
    if not actor.is_authenticated or actor.person_id is None:
        return frozenset()
    from .models import Assignment

    numeric = [int(i) for i in ids if str(i).isdigit()]
    mine = Assignment.objects.filter(pk__in=numeric, person_id=actor.person_id).values_list("id", flat=True)
    return frozenset(str(i) for i in mine)
