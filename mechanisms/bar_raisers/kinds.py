"""Private: the subject kinds the owning apps registered (services.register_subject_kind), read by the services
and by the policy (which asks each kind's `visible` resolver). A kind nobody registered is refused everywhere.

Owning apps sit above bar_raisers in the layers, so this app never imports them: they hand it their callables in
their AppConfig.ready()."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import RuleViolation

from .contracts import SubjectKind


@dataclass(frozen=True, slots=True)
class KindInfo:
    """How an owning app describes, shows and hears about the reviews of one kind of subject."""

    kind: SubjectKind
    describe: Callable[[Actor, int], Any]  # -> contracts.Subject; NotFound when the actor may not see it
    visible: Callable[[Actor, frozenset[int]], frozenset[int]]
    overridable: bool = True
    may_recommend: Callable[[int], str | None] | None = None
    on_response: Callable[[Actor, Any], None] | None = None  # (actor, ReviewRecord), inside the review's write
    acts_for_owner: Callable[[Actor, int], bool] | None = None  # (actor, subject id): takes the owner's side


_KINDS: dict[SubjectKind, KindInfo] = {}


def register(info: KindInfo) -> None:
    _KINDS[info.kind] = info  # registering again replaces (a reloaded app, a test's kind)


def unregister(kind: SubjectKind) -> None:
    _KINDS.pop(kind, None)


def get(kind: SubjectKind | str) -> KindInfo:
    """The registered kind, or RuleViolation naming `subject_kind`."""
    try:
        return _KINDS[SubjectKind(kind)]
    except (ValueError, KeyError):
        raise RuleViolation(f"no app reviews subjects of kind {kind!r}", field="subject_kind") from None


def find(kind: SubjectKind | str) -> KindInfo | None:
    try:
        return _KINDS.get(SubjectKind(kind))
    except ValueError:
        return None


def registered() -> tuple[KindInfo, ...]:
    return tuple(_KINDS.values())
