"""The one place that decides who may see and change what in the metrics app (DESIGN.md §4)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.org import services as org_services

# --- fourth part: goals ----------------------------------------------------------------------------------------
# Goals are read by every signed-in person (a WBR and its goals are meant to be read across the org). A goal is
# drafted, changed and proposed by its team (a member or the leader); it is approved, returned, dropped and closed
# by leadership: someone in the team's management chain ABOVE the team, i.e. the leader of an org unit containing
# the team who is not a member or the leader of the team itself, or an admin (MECHANISMS.md §8).


def goals_visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """Goals the actor may read: every one for a signed-in person. Unauthenticated: PermissionDenied."""
    org_services.require_signed_in(actor)
    return qs


def goal_ids_visible(actor: Actor, ids: frozenset[Any]) -> frozenset[Any]:
    """Which of these goals (or their histories) the actor may read: all of them when signed in."""
    return frozenset(ids) if actor.is_authenticated else frozenset()


def in_goal_team(actor: Actor, team_id: int) -> bool:
    """A member or the leader of the team (an admin acts for any team)."""
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    rel = org_services.relations_of(actor=actor)
    return team_id in rel.member_of or team_id in rel.leads


def leads_above_team(actor: Actor, *, team_id: int, org_unit_id: int | None) -> bool:
    """Leadership for a team's goals: an admin, or the leader of an org unit containing the team who is neither a
    member nor the leader of the team (a team does not approve its own goals)."""
    if actor.is_admin:
        return True
    if actor.person_id is None or org_unit_id is None:
        return False
    rel = org_services.relations_of(actor=actor)
    if team_id in rel.member_of or team_id in rel.leads:
        return False
    return rel.leads_unit(org_unit_id)


def goal_parties(actor: Actor, *, team_id: int, org_unit_id: int | None) -> frozenset[str]:
    """Which sides of the goal machine the actor is on (metrics/machines.py): "team", "leadership", both for an
    admin, or none."""
    out = set()
    if in_goal_team(actor, team_id):
        out.add("team")
    if leads_above_team(actor, team_id=team_id, org_unit_id=org_unit_id):
        out.add("leadership")
    return frozenset(out)


def can_write_goal(actor: Actor, *, team_id: int) -> bool:
    """May the actor draft or change a goal of this team? Its members and leader, and admins."""
    return actor.is_authenticated and in_goal_team(actor, team_id)


def require_write_goal(actor: Actor, *, team_id: int) -> None:
    """PermissionDenied naming the rule unless `can_write_goal(...)`."""
    org_services.require_signed_in(actor)
    if not can_write_goal(actor, team_id=team_id):
        raise PermissionDenied("only a member or the leader of the team drafts and changes its goals", field="actor")
