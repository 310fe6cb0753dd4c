"""Private: the one place that decides who may see and do what with experiments (MECHANISMS.md §9;
docs/access.md, docs/experiments.md).

Reads: WebLab made experiments routine and open, so every experiment, its plan versions, exposures' counts,
analyses and history are open to every signed-in person; nothing to anonymous callers. Unit-level exposures are
not shown through any door (only counts per variation).

Writes: a member or the leader of the owning team (or an admin) writes and edits a draft, starts, stops or cancels
the experiment, and files a reasoned plan version after start; the single owner alone takes the launch decision
(decide, ask for a review). Assignment and exposures: any signed-in caller (a service's token); exposures only
while the experiment runs. Metric sources (where a metric's per-unit events live) and loaded events: the
metric's team or an admin.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services

ACTIONS = ("edit", "transition", "decide", "expose", "set_source", "load_events")


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """Experiments the actor may read: every one for a signed-in person. Unauthenticated: PermissionDenied."""
    org_services.require_signed_in(actor)
    return qs


def visible_ids(actor: Actor, ids: frozenset[Any]) -> frozenset[Any]:
    """Which of these experiments (or their histories, reviews) the actor may read: all when signed in."""
    return frozenset(ids) if actor.is_authenticated else frozenset()


def in_team(actor: Actor, team_id: int) -> bool:
    """A member or the leader of the team."""
    if actor.person_id is None:
        return False
    relations = org_services.relations_of(actor=actor)
    return team_id in relations.member_of or team_id in relations.leads


def is_owner(actor: Actor, owner_id: int) -> bool:
    return actor.person_id is not None and actor.person_id == owner_id


def parties(actor: Actor, *, team_id: int, owner_id: int) -> frozenset[str]:
    """Which sides of the experiment machine the actor is on (machines.py): the team, the owner, the product."""
    found = set()
    if actor.user_id is None and actor.person_id is None and actor.is_admin:  # Actor.system(): the product
        found.add("product")
    if actor.is_admin or in_team(actor, team_id):
        found.add("team")
    if is_owner(actor, owner_id):
        found.add("owner")
    return frozenset(found)


def can(actor: Actor, action: str, *, team_id: int, owner_id: int) -> bool:
    """May the actor take `action` on an experiment of this team and owner?"""
    if action in ("edit", "transition"):
        return actor.is_admin or in_team(actor, team_id)
    if action == "decide":
        return is_owner(actor, owner_id)
    if action == "expose":
        return actor.is_authenticated
    if action in ("set_source", "load_events"):  # team_id: the metric's team
        return actor.is_admin or in_team(actor, team_id)
    raise ValueError(f"unknown action {action!r}")
