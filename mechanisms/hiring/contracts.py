"""Public contracts of the hiring app (MECHANISMS.md §5): enums and frozen records. No Django here.

The records other apps may see carry no candidate content and no feedback text: a loop is described to the
bar-raisers app, the overrides report and notifications by its opening and number only."""

from __future__ import annotations

import enum


class OpeningState(enum.StrEnum):
    DRAFT = "draft"  # being written: no loop may start until the job description is written and it is opened
    OPEN = "open"
    ON_HOLD = "on_hold"
    FILLED = "filled"
    CLOSED = "closed"


class Source(enum.StrEnum):
    REFERRAL = "referral"
    INBOUND = "inbound"
    SOURCED = "sourced"
    AGENCY = "agency"
    INTERNAL = "internal"


class CandidateState(enum.StrEnum):
    APPLIED = "applied"
    IN_LOOP = "in_loop"
    OFFER = "offer"  # the hiring manager decided to hire
    HIRED = "hired"  # the offer was accepted: the opening is filled
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


class LoopState(enum.StrEnum):
    PLANNING = "planning"  # interviews and the bar raiser being arranged; the loop rules are checked at start
    INTERVIEWING = "interviewing"  # started: feedback is being written, sealed
    DEBRIEF = "debrief"  # open: everyone's written vote shows first; the bar raiser runs it
    OFFER = "offer"  # decided: hire (never while vetoed)
    NO_HIRE = "no_hire"  # decided: no hire
    WITHDRAWN = "withdrawn"  # the candidate withdrew or the opening closed before a decision


class Vote(enum.StrEnum):
    """An overall vote: no neutral option."""

    STRONG_HIRE = "strong_hire"
    HIRE = "hire"
    NO_HIRE = "no_hire"
    STRONG_NO_HIRE = "strong_no_hire"

    @property
    def inclined(self) -> bool:
        return self in (Vote.STRONG_HIRE, Vote.HIRE)


class Decision(enum.StrEnum):
    HIRE = "hire"
    NO_HIRE = "no_hire"


RATINGS = (1, 2, 3, 4)  # per principle: 1 well below the bar .. 4 well above; no middle
