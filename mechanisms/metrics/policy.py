"""The one place that decides who may see and change what in the metrics app (DESIGN.md §4)."""

from __future__ import annotations

from mechanisms.kernel.actor import Actor as _Actor
from mechanisms.kernel.errors import PermissionDenied as _PermissionDenied
from mechanisms.org import services as _org_services

# --- third part: decks, commentary, snapshots ------------------------------------------------------------------
# Reads of decks, notes and snapshots are open to every signed-in person (a WBR is read across the org). Writes:
# a unit's deck is created by that unit's leader (or a leader above it), a team's deck by its members or leader,
# either by an admin; a deck's owner (and admins) change it and take its snapshots; a note is written by the
# metric's owner, a member or the leader of the metric's team, or the deck's owner.


def _in_team(actor: _Actor, team_id: int | None) -> bool:
    if team_id is None or actor.person_id is None:
        return False
    relations = _org_services.relations_of(actor=actor)
    return team_id in relations.member_of or team_id in relations.leads


def can_create_deck(actor: _Actor, *, unit_id: int | None, team_id: int | None) -> bool:
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    if unit_id is not None:
        return _org_services.relations_of(actor=actor).leads_unit(unit_id)
    return _in_team(actor, team_id)


def can_change_deck(actor: _Actor, *, owner_id: int) -> bool:
    return actor.is_admin or (actor.person_id is not None and actor.person_id == owner_id)


def can_comment(actor: _Actor, *, metric_owner_id: int, metric_team_id: int, deck_owner_id: int) -> bool:
    if actor.person_id is None:
        return False
    if actor.person_id in (metric_owner_id, deck_owner_id):
        return True
    return _in_team(actor, metric_team_id)


def require_deck_change(actor: _Actor, *, owner_id: int) -> None:
    _org_services.require_signed_in(actor)
    if not can_change_deck(actor, owner_id=owner_id):
        raise _PermissionDenied("only the deck's owner or an admin may change this deck", field="actor")
