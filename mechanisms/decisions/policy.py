"""Private: the one place that decides who may see and do what with decision records (MECHANISMS.md §7;
docs/access.md, docs/decisions.md).

Reads: a decision log is meant to be read, so every decision, its stances, outcome and history are open to every
signed-in person; nothing to anonymous callers.

Writes: the owner (or an admin) edits a decision and manages its participants; the owner alone takes its
transitions (decide, reject, deprecate, supersede); a participant alone signs their own stance (nobody signs for
someone else: not the owner, not an admin); the owner or anyone above them in the management chain records the
outcome.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.org import services as org_services

ACTIONS = ("edit", "transition", "sign", "record_outcome")


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """Decisions the actor may read: every one for a signed-in person. Unauthenticated: PermissionDenied."""
    org_services.require_signed_in(actor)
    return qs


def visible_ids(actor: Actor, ids: frozenset[Any]) -> frozenset[Any]:
    """Which of these decisions (or their histories, reviews) the actor may read: all of them when signed in."""
    return frozenset(ids) if actor.is_authenticated else frozenset()


def is_owner(actor: Actor, owner_id: int) -> bool:
    return actor.person_id is not None and actor.person_id == owner_id


def parties(actor: Actor, owner_id: int) -> frozenset[str]:
    """Which sides of a decision's machine the actor is on: only its owner takes its transitions."""
    return frozenset({"owner"}) if is_owner(actor, owner_id) else frozenset()


def can(actor: Actor, action: str, *, owner_id: int, participant_ids: frozenset[int] = frozenset()) -> bool:
    """May the actor take `action` on a decision with this owner and these participants?"""
    if action == "edit":
        return actor.is_admin or is_owner(actor, owner_id)
    if action == "transition":
        return is_owner(actor, owner_id)
    if action == "sign":
        return actor.person_id is not None and actor.person_id in participant_ids
    if action == "record_outcome":
        if actor.person_id is None:
            return False
        return is_owner(actor, owner_id) or org_services.relations_of(actor=actor).in_chain_of(owner_id)
    raise ValueError(f"unknown action {action!r}")


WORDS = {
    "edit": "only the decision's owner or an admin may change this decision",
    "transition": "only the decision's owner may do this",
    "sign": "only a participant signs their own stance; nobody signs for someone else",
    "record_outcome": "only the decision's owner or their manager may record its outcome",
}


def require(actor: Actor, action: str, *, owner_id: int, participant_ids: frozenset[int] = frozenset()) -> None:
    """PermissionDenied naming the rule unless `can(...)`."""
    org_services.require_signed_in(actor)
    if not can(actor, action, owner_id=owner_id, participant_ids=participant_ids):
        raise PermissionDenied(WORDS[action], field="actor")
