"""The one place that decides who may see and change what in the metrics app (DESIGN.md §4; docs/metrics.md, "Who
may do what").

Reads: a WBR is meant to be read across the org, so every signed-in person reads the registry, data, decks,
snapshots and goals; nothing to anonymous callers.

Writes (the base, written by the registry part; the other parts add their `can_*` under their own heading and use
the role helpers below, never their own): a metric's owner, the members and leader of its team, and admins change
a metric, its plans, its data and its SQL source. A refused write is a PermissionDenied (403) naming the rule.
"""

from __future__ import annotations

from typing import Any, Protocol

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.org import services as org_services

_SYSTEM = Actor.system("metrics")


class _OwnedByTeam(Protocol):
    owner_id: int
    team_id: int


# --- the base: reads and the role helpers every part uses -----------------------------------------------------


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """The records of this app the actor may read: every one for a signed-in person. Anonymous: PermissionDenied."""
    org_services.require_signed_in(actor)
    return qs


def visible_ids(actor: Actor, ids: frozenset[Any]) -> frozenset[Any]:
    """Which of these records (or their histories) the actor may read: all of them when signed in."""
    return frozenset(ids) if actor.is_authenticated else frozenset()


def is_admin(actor: Actor) -> bool:
    return bool(actor.is_admin)


def is_person(actor: Actor, person_id: int | None) -> bool:
    """True when the actor is this person."""
    return actor.person_id is not None and person_id is not None and actor.person_id == person_id


def in_team(actor: Actor, team_id: int | None) -> bool:
    """True when the actor is a member or the leader of the team."""
    if actor.person_id is None or team_id is None:
        return False
    relations = org_services.relations_of(actor=actor)
    return team_id in relations.member_of or team_id in relations.leads


def leads_team(actor: Actor, team_id: int | None) -> bool:
    """True when the actor is the team's leader."""
    if actor.person_id is None or team_id is None:
        return False
    return team_id in org_services.relations_of(actor=actor).leads


def person_in_team(person_id: int | None, team_id: int | None) -> bool:
    """True when this person (not necessarily the actor) is a member or the leader of the team."""
    if person_id is None or team_id is None:
        return False
    side = org_services.team_sides(actor=_SYSTEM, team_ids=[team_id]).get(team_id)
    return side is not None and person_id in side.people


def above_team(actor: Actor, team_id: int | None) -> bool:
    """True when the actor is in the team's management chain above it: the leader of an org unit containing the
    team, and not a member (or the leader) of the team itself. Who approves a team's goals (with admins)."""
    if actor.person_id is None or team_id is None or in_team(actor, team_id):
        return False
    team = org_services.get_teams(actor=_SYSTEM, ids=[team_id]).get(team_id)
    if team is None:
        return False
    return org_services.relations_of(actor=actor).leads_unit(team.org_unit_id)


def teams_of(actor: Actor) -> frozenset[int]:
    """The teams the actor is a member or the leader of."""
    if actor.person_id is None:
        return frozenset()
    relations = org_services.relations_of(actor=actor)
    return frozenset(relations.member_of | relations.leads)


def _require(actor: Actor, allowed: bool, words: str, field: str = "actor") -> None:
    org_services.require_signed_in(actor)
    if not allowed:
        raise PermissionDenied(words, field=field)


# --- first part: the registry ----------------------------------------------------------------------------------

METRIC_WORDS = "only the metric's owner, the members and leader of its team, or an admin may change this metric"
DEFINE_WORDS = "only the members and leader of the metric's team, or an admin, may define a metric for that team"


def can_define_metric(actor: Actor, *, team_id: int | None = None) -> bool:
    """May the actor define a metric for this team (None: for any team at all, e.g. to be offered the form)?
    Admins, and the members and leader of the team."""
    if actor.is_admin:
        return True
    if team_id is None:
        return bool(teams_of(actor))
    return in_team(actor, team_id)


def require_define_metric(actor: Actor, *, team_id: int) -> None:
    _require(actor, can_define_metric(actor, team_id=team_id), DEFINE_WORDS, field="team_id")


def can_change_metric(actor: Actor, metric: _OwnedByTeam) -> bool:
    """May the actor change this metric, its plans, its data and its SQL source? Its owner, the members and leader
    of its team, and admins. `metric` is anything with `owner_id` and `team_id` (a row or a MetricView)."""
    if not actor.is_authenticated:
        return False
    return actor.is_admin or is_person(actor, metric.owner_id) or in_team(actor, metric.team_id)


def require_change_metric(actor: Actor, metric: _OwnedByTeam) -> None:
    """PermissionDenied naming the rule unless `can_change_metric`."""
    _require(actor, can_change_metric(actor, metric), METRIC_WORDS)


# --- second part: data -----------------------------------------------------------------------------------------

# --- third part: decks, commentary, snapshots ------------------------------------------------------------------
# A unit's deck is created by that unit's leader (or a leader above it), a team's deck by its members or leader,
# either by an admin; a deck's owner (and admins) change it and take its snapshots; a note is written by the
# metric's owner, a member or the leader of the metric's team, or the deck's owner.

DECK_WORDS = "only the deck's owner or an admin may change this deck"
CREATE_DECK_WORDS = "a unit's deck is created by its leader (or a leader above it), a team's by its members or leader"
NOTE_WORDS = "commentary is written by the metric's owner, its team's members or the deck's owner"


def can_create_deck(actor: Actor, *, unit_id: int | None, team_id: int | None) -> bool:
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    if unit_id is not None:
        return org_services.relations_of(actor=actor).leads_unit(unit_id)
    return in_team(actor, team_id)


def require_create_deck(actor: Actor, *, unit_id: int | None, team_id: int | None) -> None:
    allowed = can_create_deck(actor, unit_id=unit_id, team_id=team_id)
    _require(actor, allowed, CREATE_DECK_WORDS, field="unit_id" if unit_id is not None else "team_id")


def can_change_deck(actor: Actor, *, owner_id: int) -> bool:
    return actor.is_admin or is_person(actor, owner_id)


def require_deck_change(actor: Actor, *, owner_id: int) -> None:
    _require(actor, can_change_deck(actor, owner_id=owner_id), DECK_WORDS)


def can_comment(actor: Actor, *, metric_owner_id: int, metric_team_id: int, deck_owner_id: int) -> bool:
    """The metric's owner, a member or the leader of its team, or the deck's owner (admins are no authors)."""
    return is_person(actor, metric_owner_id) or is_person(actor, deck_owner_id) or in_team(actor, metric_team_id)


def require_comment(actor: Actor, *, metric_owner_id: int, metric_team_id: int, deck_owner_id: int) -> None:
    allowed = can_comment(
        actor, metric_owner_id=metric_owner_id, metric_team_id=metric_team_id, deck_owner_id=deck_owner_id
    )
    _require(actor, allowed, NOTE_WORDS)


# --- fourth part: goals ----------------------------------------------------------------------------------------
# Goals are read by every signed-in person (`visible_to`, `visible_ids`). A goal is drafted, changed, proposed and
# revised by its team (a member or the leader); it is approved, returned, dropped and closed by leadership: someone
# in the team's management chain ABOVE the team (`above_team`: the leader of an org unit containing the team who is
# not in the team itself), or an admin (MECHANISMS.md §8). The worker closes due goals as the product (an admin).

GOAL_WORDS = "only a member or the leader of the team drafts and changes its goals"


def goal_parties(actor: Actor, *, team_id: int) -> frozenset[str]:
    """Which sides of the goal machine (metrics/machines.py) the actor is on: "team", "leadership", both for an
    admin, or none."""
    out = set()
    if actor.is_admin or in_team(actor, team_id):
        out.add("team")
    if actor.is_admin or above_team(actor, team_id):
        out.add("leadership")
    return frozenset(out)


def can_write_goal(actor: Actor, *, team_id: int) -> bool:
    """May the actor draft or change a goal of this team? Its members and leader, and admins."""
    return actor.is_authenticated and (actor.is_admin or in_team(actor, team_id))


def require_write_goal(actor: Actor, *, team_id: int) -> None:
    """PermissionDenied naming the rule unless `can_write_goal(...)`."""
    _require(actor, can_write_goal(actor, team_id=team_id), GOAL_WORDS)
