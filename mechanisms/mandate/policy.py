"""Private: the one place that decides who may see and do what in the mandate (MECHANISMS.md §2 M6, §4;
docs/access.md).

Reads: findings, waivers and the Conway report are open to every signed-in person (a finding is a fact about the
org's published architecture, and a waiver is the public record of an accepted exception). Scorecards are not:
- a team's scorecard: admins, the team's members and leader, everyone above its leader in the management chain,
  and holders of `leadership` over the team's org unit;
- an org unit's scorecard: admins, the unit's leader, everyone above that leader, and `leadership` over the unit.

Actions:
- `request_waiver`: any signed-in person (the request's owner; an account without a person cannot own one): the
  approval comes from an independent bar raiser through a bar-raiser review (bar_raisers);
- `revoke_waiver` (record: the approving person id): that approver or an admin.
"""

from __future__ import annotations

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Role

RULES = {
    "request_waiver": "only a person may request a waiver (it is theirs to answer); sign in with a person's account",
    "revoke_waiver": "only the approving bar raiser or an admin may revoke a waiver",
    "view_team_scorecard": "a scorecard is visible to the team, its management chain and admins",
    "view_org_unit_scorecard": "an org unit's scorecard is visible to its leader, their management chain and admins",
}


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """Findings, evaluations and waivers: every signed-in person; nobody unauthenticated."""
    return qs if actor.is_authenticated else qs.none()


def can(actor: Actor, action: str, record: int | None = None) -> bool:
    """True when the actor may take `action` (see the module docstring for what `record` is per action)."""
    if action not in RULES:
        raise ValueError(f"unknown mandate action {action!r}")
    if action == "request_waiver":
        return actor.is_authenticated and actor.person_id is not None
    if actor.is_admin:
        return True
    if not actor.is_authenticated or actor.person_id is None:
        return False
    if action == "revoke_waiver":
        return record == actor.person_id
    relations = org_services.relations_of(actor=actor)
    if action == "view_team_scorecard":
        if record in relations.member_of or record in relations.leads:
            return True
        team = org_services.get_team(actor=actor, team_id=record)
        return (team.leader_id is not None and relations.in_chain_of(team.leader_id)) or relations.has_role(
            Role.LEADERSHIP, team.org_unit_id
        )
    unit = org_services.get_org_unit(actor=actor, org_unit_id=record)
    if unit.leader_id is not None and (unit.leader_id == actor.person_id or relations.in_chain_of(unit.leader_id)):
        return True
    return relations.has_role(Role.LEADERSHIP, unit.id)


def require(actor: Actor, action: str, record: int | None = None) -> None:
    """Raise PermissionDenied naming the rule unless the actor may take `action`."""
    if not can(actor, action, record):
        raise PermissionDenied(RULES[action])


def visible_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which of these records' histories the actor may read: findings, evaluations and waivers are open to every
    signed-in person, so is their history (the audit log asks the owner; docs/audit.md)."""
    return ids if actor.is_authenticated else frozenset()
