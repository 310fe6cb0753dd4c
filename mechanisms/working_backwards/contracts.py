"""Public contracts of the working_backwards app: PR/FAQs, their circles, the funnel, narratives."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NewType

from mechanisms.documents.contracts import Part
from mechanisms.kernel.changes import UNSET, Unset

PrFaqId = NewType("PrFaqId", int)
NarrativeId = NewType("NarrativeId", int)

PRFAQ_KIND = "prfaq"  # the documents owner kind (and the bar-raiser subject kind) of a PR/FAQ
NARRATIVE_KIND = "narrative"


class Circle(enum.IntEnum):
    """The widening circles of review (MECHANISMS.md §6). Only the current circle and the inner ones can read."""

    AUTHOR = 1
    SMALL_GROUP = 2
    LEADERSHIP = 3
    TOP = 4


CIRCLE_WORDS = {
    Circle.AUTHOR: "the author",
    Circle.SMALL_GROUP: "a small group",
    Circle.LEADERSHIP: "the org's leadership",
    Circle.TOP: "the top",
}


class PrFaqState(enum.StrEnum):
    DRAFT = "draft"  # circle 1: the author writes
    IN_REVIEW = "in_review"  # circles 2-4: read, commented, revised; the circle's reviewer advances or shelves
    APPROVED = "approved"  # approved for staffing (after circle 4, mockups attached)
    SHELVED = "shelved"  # stopped on purpose, with a reason from the taxonomy


class ShelveReason(enum.StrEnum):
    """Why a PR/FAQ stopped: shelving is a healthy outcome, and the funnel counts the reasons."""

    MARKET_TOO_SMALL = "market_too_small"
    ROADBLOCK = "roadblock"  # a dependency, a legal or technical obstacle that cannot be removed now
    BETTER_IDEA = "better_idea"
    ECONOMICS = "economics"  # the cost or the price does not work
    NOT_CUSTOMER_PROBLEM = "not_customer_problem"  # customers do not have this problem, or not enough of it
    TIMING = "timing"  # right idea, not now
    DUPLICATE = "duplicate"
    OTHER = "other"  # the note must say why


SHELVE_REASON_WORDS = {
    ShelveReason.MARKET_TOO_SMALL: "the market is too small",
    ShelveReason.ROADBLOCK: "a roadblock",
    ShelveReason.BETTER_IDEA: "a better idea",
    ShelveReason.ECONOMICS: "the economics do not work",
    ShelveReason.NOT_CUSTOMER_PROBLEM: "not a problem customers have",
    ShelveReason.TIMING: "not now",
    ShelveReason.DUPLICATE: "a duplicate",
    ShelveReason.OTHER: "another reason",
}

# The PR/FAQ's parts, in order (MECHANISMS.md §6). The press release is headline .. customer_quote; the FAQ is
# the rest. The three core paragraphs are `customer`, `problem` and `solution`.
PRESS_RELEASE_PARTS: tuple[Part, ...] = (
    Part("headline", "Headline", "The product's name and what it does for whom, in one line.", multiline=False),
    Part("subheading", "Subheading", "Who the customer is and the benefit, in one sentence.", multiline=False),
    Part("launch_date", "Launch date", "City and date of the (imagined) launch.", multiline=False),
    Part("summary", "Summary", "The product and its benefit in a few sentences."),
    Part("customer", "The customer", "Who they are (core paragraph)."),
    Part("problem", "The problem", "The customer's problem, in their words (core paragraph)."),
    Part("solution", "The solution", "How the product solves it, elegantly (core paragraph)."),
    Part("leader_quote", "Leader quote", "A quote from the leader: why we did it."),
    Part("getting_started", "How to get started", "How easy it is to start."),
    Part("customer_quote", "Customer quote", "A quote from a (hypothetical) customer about the benefit."),
)
FAQ_PARTS: tuple[Part, ...] = (
    Part("external_faq", "External FAQ", "What customers and the press will ask, with answers."),
    Part("market_size", "Internal FAQ: market size", "How many customers, how big the opportunity."),
    Part("economics", "Internal FAQ: economics", "Costs, prices, the P&L."),
    Part("dependencies", "Internal FAQ: dependencies", "Which teams and services this needs."),
    Part("risks", "Internal FAQ: risks", "What could go wrong, and the hardest questions."),
    Part("internal_faq", "Internal FAQ: other questions", "Any other stakeholder questions."),
)
PRFAQ_PARTS: tuple[Part, ...] = PRESS_RELEASE_PARTS + FAQ_PARTS
CORE_PARTS = ("customer", "problem", "solution")

NARRATIVE_PARTS: tuple[Part, ...] = (
    Part("body", "Narrative", "Prose, at most six pages."),
    Part("appendix", "Appendix", "Tables, data and detail; not counted towards the six pages.", counted=False),
)


@dataclass(frozen=True, slots=True)
class CircleMemberRecord:
    """A named person in one circle: a reviewer (may advance or shelve there) or a reader (reads and comments)."""

    circle: Circle
    person_id: int
    reviewer: bool


@dataclass(frozen=True, slots=True)
class CircleStayRecord:
    """How long a PR/FAQ spent in one circle and how it left it (advanced, approved, shelved; None while there)."""

    circle: Circle
    entered_at: dt.datetime
    left_at: dt.datetime | None
    outcome: str | None


# --- PR/FAQs ------------------------------------------------------------------------------------------------------


class Severity(enum.StrEnum):
    """A checker finding's weight: an error blocks leaving draft, a warning is advice."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Finding:
    """One thing the PR/FAQ checker found: the rule (missing_core_paragraph, missing_section,
    press_release_too_long, faq_too_long, jargon, weasel_words), the part ("" for the whole), what to do, and how
    many times a word occurs (jargon, weasel words)."""

    rule: str
    part: str
    message: str
    severity: Severity
    count: int = 1


@dataclass(frozen=True, slots=True)
class CheckReport:
    """The PR/FAQ checker's report (working_backwards.rules.check_prfaq): its findings, errors first as found, and
    how many pages the press release and the FAQ take (the page measure: WORDS_PER_PAGE words a page)."""

    findings: tuple[Finding, ...]
    pages_press_release: float
    pages_faq: float

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity is Severity.WARNING)

    @property
    def ok(self) -> bool:
        return not self.errors


class PrFaqAction(enum.StrEnum):
    """What a person may do with a PR/FAQ besides its transitions (the page's buttons; policy.can)."""

    READ = "read"
    COMMENT = "comment"
    REVISE = "revise"  # the author, while draft or in review
    NAME_MEMBERS = "name_members"  # the author, while draft or in review, for circles not yet passed


@dataclass(frozen=True, slots=True)
class PrFaqRecord:
    """A PR/FAQ as a reader sees it: its review (state, circle reached), its people, and why it stopped. Only the
    current circle and the inner ones ever get one (a 404 for everyone else)."""

    id: PrFaqId
    document_id: int
    title: str
    author_id: int
    team_id: int
    state: PrFaqState
    circle: Circle
    high_impact: bool
    shelve_reason: ShelveReason | None
    shelve_note: str
    shelved_at: dt.datetime | None
    shelved_by_id: int | None
    approved_at: dt.datetime | None
    approved_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int
    members: tuple[CircleMemberRecord, ...] = ()
    stays: tuple[CircleStayRecord, ...] = ()

    def reviewers(self, circle: int) -> tuple[int, ...]:
        return tuple(m.person_id for m in self.members if m.circle == circle and m.reviewer)

    def readers(self, circle: int) -> tuple[int, ...]:
        return tuple(m.person_id for m in self.members if m.circle == circle and not m.reviewer)


@dataclass(frozen=True, slots=True)
class PrFaqView:
    """What the PR/FAQ page and `GET /prfaqs/{id}` show: the PR/FAQ, its current parts (revision number and the
    document's version, for the editor's 409), the checker's report on them, the transitions the viewer may take
    now and the other things they may do (PrFaqAction values), and the bar-raiser review's state when high impact."""

    prfaq: PrFaqRecord
    revision: int
    document_version: int
    parts: Mapping[str, str]
    report: CheckReport
    actions: tuple[str, ...]
    can: tuple[str, ...]
    review_state: str = ""  # "" none; else the bar-raiser review's state (requested, recommended, accepted, ...)
    review_id: int | None = None


@dataclass(frozen=True, slots=True)
class CircleSuggestion:
    """Who should sit in a circle, from the org chart: circle 3 the management chain of the owning team's leader
    below the top, circle 4 the top of that chain (suggest_circles)."""

    circle: Circle
    person_ids: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class CircleRecord:
    """The people of one circle: its reviewers and readers (circle 1: the author, alone)."""

    circle: Circle
    reviewer_ids: tuple[int, ...]
    reader_ids: tuple[int, ...]


# --- narratives (MECHANISMS.md §6: six-page narratives read in silence) ---------------------------------------

WORDS_PER_PAGE = 500  # the one page measure (rules.pages; docs/working-backwards.md): words of the text as rendered
NARRATIVE_MAX_PAGES = 6
BULLET_RATIO_LIMIT = 0.20  # over this share of the body's lines being list items, the lint says "prose"


@dataclass(frozen=True, slots=True)
class NarrativeFinding:
    """One finding of the narrative check: `rule` is `pages` (over six pages) or `bullets` (too many list items)."""

    rule: str
    message: str


@dataclass(frozen=True, slots=True)
class NarrativeCheck:
    """The page measure and the bullet-ratio lint of a narrative's body (the appendix is not counted)."""

    words: int
    pages: float
    lines: int  # non-blank lines of the body outside code blocks
    bullet_lines: int
    bullet_ratio: float
    appendix_words: int
    findings: tuple[NarrativeFinding, ...]

    @property
    def over_limit(self) -> bool:
        return any(f.rule == "pages" for f in self.findings)

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass(frozen=True, slots=True)
class NarrativeRecord:
    """A narrative: its owning team, author, whether it is confidential (and then its named readers), and its
    document (the body and the appendix, every revision kept)."""

    id: NarrativeId
    title: str
    author_id: int
    team_id: int
    confidential: bool
    reader_ids: tuple[int, ...]
    document_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


@dataclass(frozen=True, slots=True)
class NarrativeView:
    """A narrative as its page shows it: the record, the current body and appendix, the check, and what the viewer
    may do (revise it, start a reading session)."""

    narrative: NarrativeRecord
    revision: int
    document_version: int
    body: str
    appendix: str
    check: NarrativeCheck
    can_revise: bool
    can_present: bool


@dataclass(frozen=True, slots=True)
class NarrativeChanges:
    """What the author may change on a narrative besides its text (revise_narrative): whether it is confidential
    and who its named readers are. UNSET: not given."""

    confidential: bool | Unset = UNSET
    reader_ids: tuple[int, ...] | Unset = UNSET


# --- the review board and the funnel (MECHANISMS.md §6: "the product reports the funnel") -------------------


@dataclass(frozen=True, slots=True)
class BoardItem:
    """One PR/FAQ on the review board: where it is, since when, how much discussion it has, what the checker says
    and whether it waits on the viewer (a reviewer of its current circle, while it is in review)."""

    prfaq_id: PrFaqId
    title: str
    state: PrFaqState
    circle: Circle
    author_id: int
    team_id: int
    in_circle_since: dt.datetime | None  # when it entered its current circle (None: no stay recorded)
    days_in_circle: int | None
    comments: int  # comments the viewer may see (the hidden-comments rule applies)
    errors: int  # the checker's errors (a missing core paragraph) on the current revision
    warnings: int
    waiting_on_you: bool
    version: int

    @property
    def time_in_circle(self) -> str:
        """Plain words for the board (DESIGN.md §5): "in circle 3 for 4 days", "in circle 2 since today"."""
        where = {PrFaqState.DRAFT: "in draft"}.get(self.state, f"in circle {int(self.circle)}")
        if self.state in (PrFaqState.APPROVED, PrFaqState.SHELVED):
            where = f"{self.state.value} in circle {int(self.circle)}"
        if self.days_in_circle is None:
            return where
        if self.days_in_circle < 1:
            return f"{where} since today"
        return f"{where} for {self.days_in_circle} day{'s' if self.days_in_circle != 1 else ''}"


@dataclass(frozen=True, slots=True)
class ReviewBoard:
    """The viewer's review board: the PR/FAQs they may read in review, by circle (2, 3, 4), their own drafts and
    the latest ones that finished (approved or shelved)."""

    circles: tuple[tuple[Circle, tuple[BoardItem, ...]], ...]
    drafts: tuple[BoardItem, ...]
    finished: tuple[BoardItem, ...]

    @property
    def waiting(self) -> tuple[BoardItem, ...]:
        return tuple(item for _, items in self.circles for item in items if item.waiting_on_you)


@dataclass(frozen=True, slots=True)
class FunnelStep:
    """One circle of the funnel: how many PR/FAQs reached it, how many are there now, left it forward (advanced,
    or approved from circle 4) or were shelved there and why, and the days spent there (median and 90th
    percentile over every stay, a stay still open counted up to now)."""

    circle: Circle
    reached: int
    current: int
    advanced: int
    shelved: int
    days_median: float | None
    days_p90: float | None
    reasons: tuple[tuple[ShelveReason, int], ...]  # taxonomy order, only reasons that occur


@dataclass(frozen=True, slots=True)
class FunnelEntry:
    """A PR/FAQ of the funnel the viewer may read (the others count, unnamed)."""

    prfaq_id: PrFaqId
    title: str
    state: PrFaqState
    circle: Circle
    shelve_reason: ShelveReason | None


@dataclass(frozen=True, slots=True)
class FunnelReport:
    """How far the PR/FAQs got (MECHANISMS.md §6, "a funnel, not a tunnel"): one step per circle (1-4), how many
    were approved for staffing, shelved (and why, over all circles), and, for the viewer, the ones they may read."""

    total: int
    steps: tuple[FunnelStep, ...]
    approved: int
    shelved: int
    reasons: tuple[tuple[ShelveReason, int], ...]
    entries: tuple[FunnelEntry, ...] = ()
    unit_id: int | None = None
    since: dt.date | None = None
    until: dt.date | None = None
