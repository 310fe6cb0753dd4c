"""Public contracts of the audit app: the change record and the closed vocabulary of what is recorded."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mechanisms.kernel.actor import Actor


class Sensitivity(enum.StrEnum):
    """How much of a change the log keeps (docs/audit.md): everything, field names only, or values under a key."""

    OPEN = "open"
    CONFIDENTIAL = "confidential"
    ERASABLE = "erasable"


@dataclass(frozen=True, slots=True)
class SubjectType:
    """A kind of record that has a history, registered by the app that owns it (audit_services.register_subject_type).

    The owner decides who may read the history (`visible`: which of these ids the actor may see; None means
    admins only), how much of a change is kept (`sensitivity`) and, for erasable records, how its live content is
    erased (`erase`, called by audit_services.erase_subject)."""

    name: str
    owner: str
    verbs: frozenset[str]
    label: str = ""
    sensitivity: Sensitivity = Sensitivity.OPEN
    visible: Callable[[Actor, frozenset[str]], frozenset[str]] | None = None
    url: Callable[[str], str | None] | None = None
    field_labels: Mapping[str, str] = field(default_factory=dict)
    erase: Callable[[str], None] | None = None

    @property
    def words(self) -> str:
        return self.label or self.name.replace("_", " ")


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One change: who did what to which record, with the state before and after.

    `correlation_id` is made by the server for each request or command; `client_request_id` is what the caller
    sent as X-Request-ID, kept for their own tracing and never used to select records. `erased` says the values
    of an erasable record were destroyed (before, after and reason are then empty)."""

    id: int
    at: dt.datetime
    actor_label: str
    actor_person_id: int | None
    correlation_id: str
    verb: str
    subject_type: str
    subject_id: str
    subject_label: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    reason: str
    client_request_id: str | None = None
    erased: bool = False
