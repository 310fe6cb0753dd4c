"""Private: the one place that decides who may see and do what with a document (DESIGN.md §3, §7.5). The documents
app decides nothing itself: it asks the owning app (owners.py holds what each registered) and applies the answer
the same way at every door. A document the owner does not let the actor read is NotFound, as if it did not exist;
admins are not insiders unless the owner says so."""

from __future__ import annotations

from django.db.models import QuerySet

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied

from . import owners
from .contracts import Access


def visible_to(actor: Actor, qs: QuerySet) -> QuerySet:
    """The documents of `qs` the actor may read, one owner question per kind of owner among them."""
    rows = list(qs.values_list("id", "owner_kind", "owner_id"))
    by_kind: dict[str, dict[str, int]] = {}
    for doc_id, kind, owner_id in rows:
        by_kind.setdefault(kind, {})[owner_id] = doc_id
    readable = [ids[o] for kind, ids in by_kind.items() for o in access(actor, kind, frozenset(ids))]
    return qs.filter(pk__in=sorted(readable))


def access(actor: Actor, kind: str, owner_ids: frozenset[str]) -> dict[str, frozenset[Access]]:
    """What the owning app lets `actor` do with each of these records' documents (unreadable ones left out). An
    owner kind no app registers (an app removed) is readable by nobody."""
    owner = owners.find(kind)
    if owner is None or not owner_ids or not actor.is_authenticated:
        return {}
    granted = owner.access(actor, owner_ids)
    return {str(k): frozenset(v) for k, v in granted.items() if Access.READ in v and str(k) in owner_ids}


def require(actor: Actor, kind: str, owner_id: str, what: Access, *, document_id: int) -> frozenset[Access]:
    """The actor's access to one document; NotFound when they may not read it (as if it did not exist)."""
    granted = access(actor, kind, frozenset({owner_id})).get(owner_id)
    if granted is None:
        raise NotFound(f"document {document_id} not found")
    if what not in granted:
        raise PermissionDenied(f"you may not {what.value} this document")
    return granted
