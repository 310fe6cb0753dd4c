"""Private: the kinds of record that own documents, as their apps registered them (services.register_owner). The
owning apps sit above documents in the layers, so this app never imports them: they hand it their callables in
their AppConfig.ready(). A kind nobody registered is refused everywhere."""

from __future__ import annotations

from mechanisms.kernel.errors import RuleViolation

from .contracts import DocumentOwner

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


def find(kind: str) -> DocumentOwner | None:
    return _OWNERS.get(kind)


def registered() -> tuple[DocumentOwner, ...]:
    return tuple(_OWNERS.values())
