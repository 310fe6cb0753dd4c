"""Public contracts of the decisions app: frozen dataclasses, ids and enums; no Django imports."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NewType

from mechanisms.kernel.changes import UNSET, Unset

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


# A decision whose outcome can be reviewed: it was decided (MECHANISMS.md §7, "later, the outcome is recorded").
DECIDED_STATUSES = frozenset({Status.ACCEPTED, Status.DEPRECATED, Status.SUPERSEDED})


class Stance(enum.StrEnum):
    """A participant's signed stance on the decision (MECHANISMS.md §7)."""

    AGREE = "agree"
    DISAGREE_AND_COMMIT = "disagree_and_commit"  # with the new information the dissent brings
    STILL_DISAGREE = "still_disagree"


STANCE_WORDS = {
    Stance.AGREE: "agrees",
    Stance.DISAGREE_AND_COMMIT: "disagrees and commits",
    Stance.STILL_DISAGREE: "still disagrees",
}


class Category(enum.StrEnum):
    """What a decision is about; high-impact design, architecture and customer-experience decisions get a
    bar-raiser review (MECHANISMS.md §4)."""

    DESIGN = "design"
    ARCHITECTURE = "architecture"
    CUSTOMER_EXPERIENCE = "customer_experience"
    PRODUCT = "product"
    PROCESS = "process"
    OTHER = "other"


# The categories whose high-impact decisions get a bar-raiser review (MECHANISMS.md §4); the review's subject kind
# has the category's name (bar_raisers.contracts.SubjectKind).
REVIEWED_CATEGORIES = frozenset({Category.DESIGN, Category.ARCHITECTURE, Category.CUSTOMER_EXPERIENCE})


class Outcome(enum.StrEnum):
    """The later outcome review: was the decision right?"""

    RIGHT = "right"
    PARTLY_RIGHT = "partly_right"
    WRONG = "wrong"
    TOO_EARLY = "too_early"  # not yet known; review again


# Outcomes that count as reviewed in the track record ("too early" does not).
REVIEWED_OUTCOMES = frozenset({Outcome.RIGHT, Outcome.PARTLY_RIGHT, Outcome.WRONG})


@dataclass(frozen=True, slots=True)
class OptionInput:
    """One considered option as a writer gives it: its title and its description (pros and cons, Markdown)."""

    title: str
    description: str = ""


@dataclass(frozen=True, slots=True)
class Option:
    """One considered option of a decision, numbered from 1 in the order given."""

    position: int
    title: str
    description: str


@dataclass(frozen=True, slots=True)
class Participant:
    """A participant and the stance they signed (None until they sign). `new_information` is what a dissent
    brings that the decision did not weigh."""

    person_id: int
    stance: Stance | None
    new_information: str
    signed_at: dt.datetime | None


@dataclass(frozen=True, slots=True)
class Decision:
    """A decision record (MECHANISMS.md §7). `chosen_option` is the position of the chosen Option."""

    id: DecisionId
    number: int
    slug: str
    question: str
    context: str
    options: tuple[Option, ...]
    decision: str
    chosen_option: int | None
    owner_id: int
    team_id: int | None
    door: Door
    status: Status
    category: Category
    high_impact: bool
    decided_on: dt.date | None
    consequences: str
    revisit_on: dt.date | None
    outcome: Outcome | None
    outcome_note: str
    outcome_at: dt.datetime | None
    outcome_by_id: int | None
    superseded_by_id: int | None
    participants: tuple[Participant, ...]
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def chosen(self) -> Option | None:
        return next((o for o in self.options if o.position == self.chosen_option), None)

    @property
    def url(self) -> str:
        return f"/decisions/{self.number}"


@dataclass(frozen=True)
class DecisionChanges:
    """The editable fields of a decision (update_decision); each defaults to UNSET, i.e. "not given"."""

    question: str | Unset = UNSET
    context: str | Unset = UNSET
    options: tuple[OptionInput, ...] | Unset = UNSET
    door: Door | str | Unset = UNSET
    category: Category | str | Unset = UNSET
    high_impact: bool | Unset = UNSET
    team_id: int | None | Unset = UNSET
    revisit_on: dt.date | None | Unset = UNSET
    consequences: str | Unset = UNSET


@dataclass(frozen=True, slots=True)
class DecisionView:
    """A decision as one viewer sees it: the record, the transitions they may take now, what else they may do,
    the bar-raiser review's id and state when there is one, and why deciding waits, when it does."""

    decision: Decision
    actions: tuple[str, ...]
    can_edit: bool
    can_record_outcome: bool
    can_sign: bool
    review_id: int | None
    review_state: str | None
    held: str = ""  # why deciding waits, in words (a high-impact decision's review), for its owner
    supersedes: tuple[int, ...] = ()  # the numbers of the older decisions this one superseded


@dataclass(frozen=True, slots=True)
class TrackRecordLine:
    """How often one owner was right (MECHANISMS.md §7, "right a lot"): decisions decided, how many had their
    outcome reviewed, how they turned out, and the share of reviewed decisions that were right (None: none
    reviewed yet)."""

    owner_id: int
    decided: int
    reviewed: int
    right: int
    partly_right: int
    wrong: int
    right_share: float | None


@dataclass(frozen=True, slots=True)
class MadrImportReport:
    """What a MADR import created (workflows.madr_io): the decisions in file order, and the decision-makers no
    person matched, by file (left out as participants because an owner was named; kept in the file's front
    matter, so the export still names them)."""

    decisions: tuple[Decision, ...]
    unmatched: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class DecisionImport:
    """One decision record read from a file (a MADR file: workflows.madr_io), to import as it stands: its status
    and decision as the file says, its single owner and participants (people already matched), and the file's
    `layout` (what the file holds that we do not model, kept so an export gives it back). `source` names the file
    in errors."""

    source: str
    question: str
    context: str = ""
    options: tuple[OptionInput, ...] = ()
    decision: str = ""
    chosen_option: int | None = None  # position of the chosen option, from 1
    status: Status | str = Status.PROPOSED
    decided_on: dt.date | None = None
    consequences: str = ""
    owner_id: int = 0
    participant_ids: tuple[int, ...] = ()
    layout: Mapping[str, Any] | None = None
