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

from django.db.models import Q, QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Role

from . import kinds
from .contracts import ReviewState
from .models import Review

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


# --- reviews
#
# A review (its question, recommendation, reasoning, response and timeline) is visible to its bar raiser, its
# owner, and whoever the subject kind's `visible` resolver admits (the owning app's own policy: a loop's insiders,
# everyone for a public waiver). Everyone above the owner in the management chain reads an OVERRIDDEN review
# (MECHANISMS.md §4: an override is made visible to the owner's chain, which is notified and must be able to read
# what it is told of); before that, they read it only if the owning app admits them. Anyone else gets NotFound
# through every door, lists and history included.
#
# Admin accounts see what the owning app lets them see, through its resolver, like anyone else: an admin reads every
# waiver's review (waivers are public) but not a hiring loop's unless they are one of its insiders (sealing.md: an
# admin outside the loop gets NotFound, always). The product itself (`Actor.system`: operator commands, the demo,
# the worker) reads every review.
#
# The overrides report (MECHANISMS.md §4: an override "is made visible to the owner's management chain") lists an
# override to everyone above its owner, to holders of `leadership` covering the owning team's org unit, and to
# admins (as far as the owning app admits them, as above); not to the owner's peers or the bar raiser (they read
# the review itself if they may).
#
# Moves: the assigned bar raiser recommends; the owner accepts, overrides or withdraws (machines.py names them).


def _is_product(actor: Actor) -> bool:
    """The product itself (operator commands, the demo, the worker): no account, every record."""
    return actor.is_admin and actor.user_id is None


def visible_reviews(actor: Actor, qs: QuerySet) -> QuerySet:
    """Reviews the actor may read (the chokepoint every read of a review goes through). Unauthenticated:
    PermissionDenied."""
    org_services.require_signed_in(actor)
    if _is_product(actor):
        return qs
    allowed = Q(pk__in=[])
    me = actor.person_id
    if me is not None:
        relations = org_services.relations_of(actor=actor)
        overridden_below = Q(owner_id__in=relations.manages_below, state=ReviewState.OVERRIDDEN.value)
        allowed = Q(assignment__person_id=me) | Q(owner_id=me) | overridden_below
    return qs.filter(allowed | _admitted_by_kinds(actor, qs.exclude(allowed)))


def _admitted_by_kinds(actor: Actor, qs: QuerySet) -> Q:
    """The reviews whose subjects their kind's resolver lets the actor see."""
    admitted_q = Q(pk__in=[])
    for kind, subject_ids in _candidates(qs).items():
        info = kinds.find(kind)
        admitted = info.visible(actor, frozenset(subject_ids)) if info is not None else frozenset()
        if admitted:
            admitted_q |= Q(subject_kind=kind, subject_id__in=sorted(admitted))
    return admitted_q


def _candidates(qs: QuerySet) -> dict[str, set[int]]:
    """The subjects of the reviews not already admitted by relation, by kind: what each kind's resolver is asked."""
    found: dict[str, set[int]] = {}
    for kind, subject_id in qs.values_list("subject_kind", "subject_id").distinct():
        found.setdefault(kind, set()).add(subject_id)
    return found


def review_parties(actor: Actor, *, bar_raiser_id: int | None, owner_id: int) -> frozenset[str]:
    """Which side(s) of a review the actor is on: the assigned bar raiser, the subject's owner."""
    if actor.person_id is None:
        return frozenset()
    found = set()
    if bar_raiser_id == actor.person_id:
        found.add("bar_raiser")
    if owner_id == actor.person_id:
        found.add("owner")
    return frozenset(found)


def visible_overrides(actor: Actor, qs: QuerySet, *, team_units: dict[int, int | None]) -> QuerySet:
    """Overridden reviews the actor may see in the overrides report: the product itself all; admin accounts those
    the subject kind admits them to; others those whose owner is below them in the management chain, or whose owning
    team's org unit (`team_units`: team id -> org unit id) their `leadership` grant covers."""
    org_services.require_signed_in(actor)
    if _is_product(actor):
        return qs
    if actor.is_admin:
        return qs.filter(_admitted_by_kinds(actor, qs))
    if actor.person_id is None:
        return qs.none()
    relations = org_services.relations_of(actor=actor)
    led = [team for team, unit in team_units.items() if relations.has_role(Role.LEADERSHIP, unit)]
    return qs.filter(Q(owner_id__in=relations.manages_below) | Q(team_id__in=led))


def visible_review_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which of these reviews' histories the actor may read: exactly the reviews they may read (docs/audit.md)."""
    if not actor.is_authenticated:
        return frozenset()
    wanted = [int(i) for i in ids if str(i).isdigit()]
    found = visible_reviews(actor, Review.objects.filter(pk__in=wanted)).values_list("id", flat=True)
    return frozenset(str(i) for i in found)
