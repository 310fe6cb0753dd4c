"""Private: the kinds of record that own documents, as their apps registered them (services.register_owner). The
owning apps sit above documents in the layers, so this app never imports them: they hand it their callables in
their AppConfig.ready(). A kind nobody registered is refused everywhere."""

from __future__ import annotations

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, RuleViolation

from .contracts import Access, DocumentOwner

_OWNERS: dict[str, DocumentOwner] = {}


def register(owner: DocumentOwner) -> None:
    _OWNERS[owner.kind] = owner  # registering again replaces (a reloaded app, a test's owner)


def unregister(kind: str) -> None:
    _OWNERS.pop(kind, None)


def get(kind: str) -> DocumentOwner:
    try:
        return _OWNERS[kind]
    except KeyError:
        raise RuleViolation(f"no app owns documents of kind {kind!r}", field="owner_kind") from None


def registered() -> tuple[DocumentOwner, ...]:
    return tuple(_OWNERS.values())


def access(actor: Actor, kind: str, owner_ids: frozenset[str]) -> dict[str, frozenset[Access]]:
    """What the owning app lets `actor` do with each of these records' documents (unreadable ones left out). An
    owner kind no app registers (an app removed) is readable by nobody."""
    owner = _OWNERS.get(kind)
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
        from mechanisms.kernel.errors import PermissionDenied

        raise PermissionDenied(f"you may not {what.value} this document")
    return granted
