"""Public contracts of the decisions app."""

from __future__ import annotations

import enum
from typing import NewType

DecisionId = NewType("DecisionId", int)


class Door(enum.StrEnum):
    """Reversibility: a one-way door is hard to undo and deserves care; a two-way door is decided fast."""

    ONE_WAY = "one_way"
    TWO_WAY = "two_way"


class Status(enum.StrEnum):
    """A decision record's state (MADR's statuses)."""

    PROPOSED = "proposed"
    ACCEPTED = "accepted"  # decided
    REJECTED = "rejected"
    DEPRECATED = "deprecated"
    SUPERSEDED = "superseded"


class Stance(enum.StrEnum):
    """A participant's signed stance on the decision (MECHANISMS.md §7)."""

    AGREE = "agree"
    DISAGREE_AND_COMMIT = "disagree_and_commit"  # with the new information the dissent brings
    STILL_DISAGREE = "still_disagree"


class Category(enum.StrEnum):
    """What a decision is about; high-impact design, architecture and customer-experience decisions get a
    bar-raiser review (MECHANISMS.md §4)."""

    DESIGN = "design"
    ARCHITECTURE = "architecture"
    CUSTOMER_EXPERIENCE = "customer_experience"
    PRODUCT = "product"
    PROCESS = "process"
    OTHER = "other"


class Outcome(enum.StrEnum):
    """The later outcome review: was the decision right?"""

    RIGHT = "right"
    PARTLY_RIGHT = "partly_right"
    WRONG = "wrong"
    TOO_EARLY = "too_early"  # not yet known; review again
