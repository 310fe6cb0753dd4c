"""API schemas of the working_backwards app (entry point only)."""

from __future__ import annotations

import datetime as dt

from ninja import Field

from mechanisms.kernel.api import Id, InSchema, OutSchema, Version

PART_MAX = 200_000

# --- PR/FAQs (prfaq)


class PrFaqCreateIn(InSchema):
    title: str = Field(..., max_length=300, description="the PR/FAQ's title (the headline by default)")
    team_id: Id = Field(..., description="the owning team")
    parts: dict[str, str] | None = Field(None, description="part key -> Markdown (headline, customer, ...)")
    high_impact: bool = Field(False, description="a high-impact PR/FAQ gets a bar-raiser review")


class PrFaqBodyIn(InSchema):
    parts: dict[str, str] = Field(..., description="the parts that change (key -> Markdown); others keep their text")
    version: Version = Field(..., description="the document's version you read (document_version); stale: 409")
    note: str = Field("", max_length=500, description="what changed and why")
    title: str | None = Field(None, max_length=300)


class PrFaqCheckIn(InSchema):
    parts: dict[str, str] = Field(..., description="part key -> Markdown, unsaved")


class CircleMembersIn(InSchema):
    reviewer_ids: list[Id] = Field(..., max_length=50, description="who advances or shelves it in this circle")
    reader_ids: list[Id] = Field(default_factory=list, max_length=50, description="who reads and comments")
    version: Version


class CircleMemberOut(OutSchema):
    circle: int
    person_id: int
    reviewer: bool


class CircleStayOut(OutSchema):
    circle: int
    entered_at: dt.datetime
    left_at: dt.datetime | None
    outcome: str | None


class PrFaqOut(OutSchema):
    id: int
    version: int
    document_id: int
    title: str
    author_id: int
    team_id: int
    state: str
    circle: int
    high_impact: bool
    shelve_reason: str | None
    shelve_note: str
    shelved_at: dt.datetime | None
    shelved_by_id: int | None
    approved_at: dt.datetime | None
    approved_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    members: list[CircleMemberOut]
    stays: list[CircleStayOut]


class FindingOut(OutSchema):
    rule: str
    part: str
    message: str
    severity: str
    count: int


class CheckReportOut(OutSchema):
    findings: list[FindingOut]
    pages_press_release: float
    pages_faq: float
    ok: bool


class PrFaqViewOut(OutSchema):
    prfaq: PrFaqOut
    revision: int
    document_version: int
    parts: dict[str, str]
    report: CheckReportOut
    actions: list[str] = Field(description="the transitions you may take now")
    can: list[str] = Field(description="what else you may do: read, comment, revise, name_members")
    review_state: str
    review_id: int | None


class CircleOut(OutSchema):
    circle: int
    reviewer_ids: list[int]
    reader_ids: list[int]


class CircleSuggestionOut(OutSchema):
    circle: int
    person_ids: list[int]


# --- narratives (reading)


class NarrativeCreateIn(InSchema):
    title: str = Field(..., max_length=300)
    team_id: Id = Field(..., description="the owning team")
    body: str = Field(..., description="Markdown prose, at most six pages (500 words a page, as rendered)")
    appendix: str = Field("", description="Markdown; not counted towards the six pages")
    confidential: bool = Field(False, description="read only by the author, the team, named and session readers")
    reader_ids: list[Id] = Field(default_factory=list, description="named readers (of a confidential narrative)")


class NarrativeBodyIn(InSchema):
    body: str | None = Field(None, description="the new body (left out: kept)")
    appendix: str | None = Field(None, description="the new appendix (left out: kept)")
    title: str | None = Field(None, max_length=300)
    note: str = Field("", description="why it was revised")
    version: Version = Field(..., description="the document's version you read (document_version); stale: 409")


class NarrativePatch(InSchema):
    confidential: bool | None = None
    reader_ids: list[Id] | None = None
    version: Version


class NarrativeCheckIn(InSchema):
    body: str = ""
    appendix: str = ""


class NarrativeSessionIn(InSchema):
    reader_ids: list[Id] = Field(..., description="the readers: at least one, not you")
    minutes: int = Field(20, description="the reading time-box, 1 to 240 minutes")


class NarrativeFindingOut(OutSchema):
    rule: str = Field(..., description="pages (over six pages) or bullets (over 20% list items)")
    message: str


class NarrativeCheckOut(OutSchema):
    words: int
    pages: float
    lines: int
    bullet_lines: int
    bullet_ratio: float
    appendix_words: int
    ok: bool
    findings: list[NarrativeFindingOut]


class NarrativeOut(OutSchema):
    id: int
    title: str
    author_id: int
    team_id: int
    confidential: bool
    reader_ids: list[int]
    document_id: int | None
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class NarrativeViewOut(OutSchema):
    narrative: NarrativeOut
    revision: int
    document_version: int = Field(..., description="name it when revising the body")
    body: str
    appendix: str
    check: NarrativeCheckOut
    can_revise: bool
    can_present: bool


class SessionReaderOut(OutSchema):
    person_id: int
    done: bool
    done_at: dt.datetime | None


class NarrativeSessionOut(OutSchema):
    """A reading session of a narrative (the same shape as the documents API's /reading-sessions/{id})."""

    id: int
    document_id: int
    revision: int = Field(..., description="the frozen revision the session reads")
    presenter_id: int | None
    minutes: int
    state: str = Field(..., description="reading or closed")
    started_at: dt.datetime
    ends_at: dt.datetime
    closed_at: dt.datetime | None
    all_done: bool
    readers: list[SessionReaderOut]
    version: int
