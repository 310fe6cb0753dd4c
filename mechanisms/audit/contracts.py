"""Public contracts of the audit app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    """One change: who did what to which record, with the state before and after."""

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
