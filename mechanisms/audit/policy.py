"""Private: the one place that decides who may read the change log (MECHANISMS.md "Audit"; docs/access.md,
docs/audit.md).

- The whole log, and every record of one type, are for admins.
- Anyone signed in may name one record (subject type and id) and reads its history only if the app that owns
  the record lets them see it: each app registers a `visible(actor, ids)` resolver that asks its own policy. A
  record they may not see is NotFound, which says nothing about whether it exists.
- A correlation id selects only the changes of records the owners let the actor see.
- Nothing for an unauthenticated caller.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping

from django.db.models import Q

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied

from .contracts import Sensitivity, SubjectType


def require_signed_in(actor: Actor) -> None:
    if not actor.is_authenticated:
        raise PermissionDenied("sign in to read history")


def require_reading(
    actor: Actor, *, registered: SubjectType | None, subject_id: object, correlation_id: str | None
) -> None:
    """Raise PermissionDenied naming the rule unless the actor may ask this question of the log at all."""
    require_signed_in(actor)
    if actor.is_admin:
        return
    if registered is None and correlation_id is None:
        raise PermissionDenied("only an admin may read the whole change log", field="subject_type")
    if registered is not None and subject_id is None:
        raise PermissionDenied(f"only an admin may read the history of every {registered.words}", field="subject_id")


def visible_ids(registered: SubjectType, actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which of these records of one type the actor may see, as their owning app decides. Admins see every open
    record; a confidential or erasable record (sealed feedback, a candidate) is the owning app's to admit, admins
    included, so being an administrator never opens a hiring loop's history (docs/audit.md)."""
    if actor.is_admin and not (registered.sensitivity != Sensitivity.OPEN and registered.visible is not None):
        return ids
    if registered.visible is None:
        return frozenset()
    return frozenset(registered.visible(actor, ids)) & ids


def openable(
    actor: Actor, pairs: Iterable[tuple[str, str]], registry: Mapping[str, SubjectType]
) -> set[tuple[str, str]]:
    """Which sealed records' values the actor may read in a listing (the whole log, a correlation id): the ones
    the owning app admits. An admin reading the whole log sees who changed what and when, never a sealed value of
    a record its owner keeps from them."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for subject_type, subject_id in pairs:
        by_type[subject_type].add(subject_id)
    out: set[tuple[str, str]] = set()
    for subject_type, ids in by_type.items():
        registered = registry.get(subject_type)
        if registered is not None:
            out |= {(subject_type, i) for i in visible_ids(registered, actor, frozenset(ids))}
    return out


def visible_filter(actor: Actor, pairs: Iterable[tuple[str, str]], registry: Mapping[str, SubjectType]) -> Q:
    """Which of these (subject type, id) pairs the actor may see, as one filter: one resolver call per type."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for subject_type, subject_id in pairs:
        by_type[subject_type].add(subject_id)
    allowed = Q(pk__in=[])
    for subject_type, ids in by_type.items():
        registered = registry.get(subject_type)
        if registered is None:
            continue
        visible = visible_ids(registered, actor, frozenset(ids))
        if visible == ids:
            allowed |= Q(subject_type=subject_type)
        elif visible:
            allowed |= Q(subject_type=subject_type, subject_id__in=sorted(visible))
    return allowed
