"""Private: the one place that decides who may see and do what in notifications (docs/access.md).

- An inbox item (its title and body) is its owner's alone: administrators and the product itself do not read
  other people's inboxes (`visible_to`), because a notice may quote a confidential record the reader was allowed
  to see and nobody else was.
- Preferences (and their history): the person themself, and administrators (`preferences`).
- The outbox of email and chat deliveries: administrators (`work_outbox`).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied, RuleViolation

RULES = {
    "preferences": "only an admin may read or change another person's preferences",
    "work_outbox": "only an admin may {what}",
}


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """Inbox items the actor may read: their own, nobody else's (administrators included)."""
    if actor.person_id is None:
        return qs.none()
    return qs.filter(person_id=actor.person_id)


def can(actor: Actor, action: str, record: Any = None) -> bool:
    """`preferences` (record: the person whose preferences) or `work_outbox`."""
    if action not in RULES:
        raise ValueError(f"unknown notifications action {action!r}")
    if actor.is_admin:
        return True
    if action == "preferences":
        return actor.person_id is not None and record == actor.person_id
    return False


def require(actor: Actor, action: str, record: Any = None, *, what: str = "", field: str | None = None) -> None:
    if not can(actor, action, record):
        raise PermissionDenied(RULES[action].format(what=what), field=field)


def preferences_person(actor: Actor, person_id: int | None) -> int:
    """Whose preferences a call is about: one's own when `person_id` is None, else `person_id` if allowed."""
    if person_id is None:
        if actor.person_id is None:
            if not actor.is_authenticated:
                raise PermissionDenied("sign in first")
            raise RuleViolation("your account is not linked to a person; name the person", field="person_id")
        return actor.person_id
    require(actor, "preferences", person_id, field="person_id")
    return person_id


def visible_preferences_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Whose preference histories the actor may read (recorded under the person's id): their own; an admin's
    every one, as for the preferences themselves."""
    if actor.is_admin:
        return ids
    return ids & {str(actor.person_id)} if actor.person_id is not None else frozenset()
