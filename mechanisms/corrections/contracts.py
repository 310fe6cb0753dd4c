"""Pure contracts of correction-of-error documents (MECHANISMS.md §11); standard library only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum


class Severity(StrEnum):
    SEV1 = "sev1"
    SEV2 = "sev2"
    SEV3 = "sev3"
    SEV4 = "sev4"


def is_high(sev: Severity | str) -> bool:
    """sev1 and sev2 are high severity."""
    return Severity(sev) in (Severity.SEV1, Severity.SEV2)


class CoeState(StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    APPROVED = "approved"
    ACTIONS_DONE = "actions_done"
    CLOSED = "closed"


class ActionType(StrEnum):
    MITIGATE = "mitigate"
    PREVENT = "prevent"
    DETECT = "detect"
    PROCESS = "process"


@dataclass(frozen=True)
class Why:
    position: int
    question: str
    answer: str


@dataclass(frozen=True)
class RootCause:
    statement: str
    tag: str


@dataclass(frozen=True)
class ActionItem:
    key: str
    type: ActionType | None
    title: str
    owner_id: int | None = None
    due_on: date | None = None
    done_on: date | None = None
    verification: str = ""
    verified_by_id: int | None = None


@dataclass(frozen=True)
class ImpactFigure:
    name: str
    value: float
    unit: str


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    text: str


@dataclass(frozen=True)
class CoeFacts:
    service_id: int
    root_cause_tags: tuple[str, ...]
    state: CoeState
    opened_on: date
    event_at: datetime | None = None
    approved_at: datetime | None = None
    action_items: tuple[ActionItem, ...] = field(default_factory=tuple)
