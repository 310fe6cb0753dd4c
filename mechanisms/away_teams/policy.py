"""Private: the one place that decides who may see and do what with away-team requests (MECHANISMS.md §3;
docs/access.md).

Reads: every request, the board, the tax and credit reports are open to every signed-in person (an away-team
request is a public conversation between teams, by design of the mechanism); nothing to anonymous callers.

Actions are the request's transitions; who may take one is decided by the pure `rules.check_transition` from the
actor's *parties* to the request, computed here: a member or the leader of the requesting team is `requesting`,
of the home team `home`, and the named decider is `decider` (team relations come from org, once per request).
"""

from __future__ import annotations

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.org import services as org_services

from .contracts import Party


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """Requests the actor may read: every one for a signed-in person. Unauthenticated: PermissionDenied."""
    org_services.require_signed_in(actor)
    return qs


def parties(actor: Actor, requesting: int | None, home: int | None, decider: int | None) -> frozenset[Party]:
    """Which side(s) of a request the actor is on (MECHANISMS.md §3 roles)."""
    if actor.person_id is None:
        return frozenset()
    relations = org_services.relations_of(actor=actor)
    teams = relations.member_of | relations.leads
    found = set()
    if requesting in teams:
        found.add(Party.REQUESTING)
    if home in teams:
        found.add(Party.HOME)
    if decider is not None and decider == actor.person_id:
        found.add(Party.DECIDER)
    return frozenset(found)


def teams_of(actor: Actor) -> frozenset[int]:
    """The teams the actor acts for (member or leader): those they may file requests for, if live."""
    if actor.person_id is None:
        return frozenset()
    relations = org_services.relations_of(actor=actor)
    return frozenset(relations.member_of | relations.leads)


def visible_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which of these records' histories the actor may read: away-team requests are open to every signed-in person, so
    is their history (the audit log asks the owner; docs/audit.md)."""
    return ids if actor.is_authenticated else frozenset()
