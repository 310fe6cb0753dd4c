"""API of the working_backwards app (MECHANISMS.md §6): PR/FAQs, their circles and transitions, the checker, the
funnel; narratives. Thin: parse, call one service, return its contract. Errors are mapped in config/api.py."""

from __future__ import annotations

import datetime as dt

from ninja import Path, Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, WRITE_ERRORS, Id, OutSchema, PageOut, QueryText, page_out, responses
from mechanisms.kernel.errors import NotFound
from mechanisms.org import services as org_services

from . import services
from .contracts import NarrativeChanges
from .schemas import (
    CheckReportOut,
    CircleMembersIn,
    CircleOut,
    CircleSuggestionOut,
    NarrativeBodyIn,
    NarrativeCheckIn,
    NarrativeCheckOut,
    NarrativeCreateIn,
    NarrativeOut,
    NarrativePatch,
    NarrativeSessionIn,
    NarrativeSessionOut,
    NarrativeViewOut,
    PrFaqBodyIn,
    PrFaqCheckIn,
    PrFaqCreateIn,
    PrFaqOut,
    PrFaqViewOut,
)

router = Router(tags=["working backwards"])


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


# --- board and funnel (board)
# Registered before the PR/FAQs' own paths: `/prfaqs/{prfaq_id}` would otherwise take "funnel" or "board" for an id.


class BoardItemOut(OutSchema):
    prfaq_id: int
    title: str
    state: str
    circle: int
    author_id: int
    team_id: int
    in_circle_since: dt.datetime | None
    days_in_circle: int | None
    time_in_circle: str
    comments: int
    errors: int
    warnings: int
    waiting_on_you: bool
    version: int


class BoardCircleOut(Schema):
    circle: int
    items: list[BoardItemOut]


class ReviewBoardOut(Schema):
    circles: list[BoardCircleOut]
    drafts: list[BoardItemOut]
    finished: list[BoardItemOut]
    waiting: int


class ReasonCountOut(Schema):
    reason: str
    count: int


class FunnelStepOut(Schema):
    circle: int
    reached: int
    current: int
    advanced: int
    shelved: int
    days_median: float | None
    days_p90: float | None
    reasons: list[ReasonCountOut]


class FunnelEntryOut(OutSchema):
    prfaq_id: int
    title: str
    state: str
    circle: int
    shelve_reason: str | None


class FunnelOut(Schema):
    total: int
    approved: int
    shelved: int
    steps: list[FunnelStepOut]
    reasons: list[ReasonCountOut]
    entries: list[FunnelEntryOut]
    unit_id: int | None
    since: dt.date | None
    until: dt.date | None


class FunnelQuery(Schema):
    unit: QueryText | None = None
    since: dt.date | None = None
    until: dt.date | None = None


def _reasons(pairs) -> list[dict]:
    return [{"reason": r.value, "count": n} for r, n in pairs]


@router.get("/prfaqs/funnel", response=responses(FunnelOut, 400, *READ_ERRORS))
def prfaq_funnel(request, query: Query[FunnelQuery]):
    """The funnel (MECHANISMS.md §6): how many PR/FAQs reached each circle and were approved, the days spent in each
    (median, 90th percentile) and why they stopped (per circle, per shelve reason), for the company or the org unit
    `unit` (a slug; its units below included), optionally for the PR/FAQs written from `since` to `until`. The
    counts cover every PR/FAQ; `entries` names only those you may read. Unknown unit: 404; until before since: 400."""
    unit_id = None
    if query.unit:
        unit = org_services.find_org_unit(actor=_actor(request), slug=query.unit)
        if unit is None:
            raise NotFound(f"no org unit has the slug {query.unit!r}", field="unit")
        unit_id = unit.id
    report = services.prfaq_funnel(actor=_actor(request), unit_id=unit_id, since=query.since, until=query.until)
    return {
        "total": report.total,
        "approved": report.approved,
        "shelved": report.shelved,
        "steps": [
            {
                "circle": int(s.circle),
                "reached": s.reached,
                "current": s.current,
                "advanced": s.advanced,
                "shelved": s.shelved,
                "days_median": s.days_median,
                "days_p90": s.days_p90,
                "reasons": _reasons(s.reasons),
            }
            for s in report.steps
        ],
        "reasons": _reasons(report.reasons),
        "entries": list(report.entries),
        "unit_id": report.unit_id,
        "since": report.since,
        "until": report.until,
    }


@router.get("/prfaqs/board", response=responses(ReviewBoardOut, *READ_ERRORS))
def review_board(request):
    """Your review board: the PR/FAQs you may read in review, by circle (2, 3, 4), with their time in the circle,
    comments, checker status and whether they wait on you (the circle's reviewer); your drafts; the latest finished."""
    board = services.review_board(actor=_actor(request))
    return {
        "circles": [{"circle": int(c), "items": list(items)} for c, items in board.circles],
        "drafts": list(board.drafts),
        "finished": list(board.finished),
        "waiting": len(board.waiting),
    }


@router.get("/prfaqs/waiting", response=responses(PageOut[BoardItemOut], *READ_ERRORS))
def waiting_prfaqs(request, limit: int = 50, offset: int = 0):
    """The PR/FAQs waiting on you as a named reviewer of the circle they are in, longest waiting first. Paginated."""
    return page_out(services.list_waiting_prfaqs(actor=_actor(request), limit=limit, offset=offset))


# --- PR/FAQs (prfaq)


class PrFaqFilter(Schema):
    state: QueryText | None = None
    team_id: Id | None = None
    circle: int | None = None
    text: QueryText = ""
    limit: int = 50
    offset: int = 0


class CirclePath(Schema):
    prfaq_id: Id
    circle: int


@router.get("/prfaqs", response=responses(PageOut[PrFaqOut], 400, *READ_ERRORS))
def list_prfaqs(request, filters: Query[PrFaqFilter]):
    """The PR/FAQs you may read (you wrote them, or you are named in a circle they reached), most recently changed
    first; by state, team, circle or title words. Paginated."""
    return page_out(services.list_prfaqs(actor=_actor(request), **filters.dict()))


@router.post("/prfaqs", response=responses(PrFaqOut, 400, 401, 403, 404, 422, status=201))
def create_prfaq(request, payload: PrFaqCreateIn):
    """Start a PR/FAQ: a draft in circle 1 (you, the author), owned by a team."""
    return Status(201, services.create_prfaq(actor=_actor(request), **payload.dict()))


@router.post("/prfaqs/check", response=responses(CheckReportOut, 400, 401, 422))
def check_prfaq(request, payload: PrFaqCheckIn):
    """Run the checker on unsaved parts: missing sections, the press release over one page, the FAQ over five,
    jargon and weasel words (the editor calls this). Nothing is written."""
    return services.check_parts(actor=_actor(request), parts=payload.parts)


@router.get("/prfaqs/{prfaq_id}", response=responses(PrFaqViewOut, *READ_ERRORS))
def get_prfaq(request, prfaq_id: Id):
    """A PR/FAQ, its current parts, its circles, the checker's report and what you can do now. 404 unless you
    are its author or named in a circle it has reached."""
    return services.prfaq_view(actor=_actor(request), prfaq_id=prfaq_id)


@router.put("/prfaqs/{prfaq_id}/body", response=responses(PrFaqViewOut, *WRITE_ERRORS))
def revise_prfaq(request, prfaq_id: Id, payload: PrFaqBodyIn):
    """Revise the parts (the author, while draft or in review); every revision is kept. A stale version is 409."""
    return services.revise_prfaq(actor=_actor(request), prfaq_id=prfaq_id, **payload.dict())


@router.get("/prfaqs/{prfaq_id}/suggested-circles", response=responses(list[CircleSuggestionOut], *READ_ERRORS))
def suggest_circles(request, prfaq_id: Id):
    """Who the org chart suggests for circle 3 (the owning team leader's chain below the top) and 4 (the top)."""
    return list(services.suggest_circles(actor=_actor(request), prfaq_id=prfaq_id))


@router.get("/prfaqs/{prfaq_id}/circles/{circle}", response=responses(CircleOut, 400, *READ_ERRORS))
def get_circle(request, path: Path[CirclePath]):
    """The people named in one circle (1 is the author): its reviewers and its readers."""
    return services.get_circle(actor=_actor(request), prfaq_id=path.prfaq_id, circle=path.circle)


@router.put("/prfaqs/{prfaq_id}/circles/{circle}", response=responses(PrFaqOut, *WRITE_ERRORS))
def set_circle(request, path: Path[CirclePath], payload: CircleMembersIn):
    """Name one circle's reviewers and readers (the author, while draft or in review; never a circle passed)."""
    return services.set_circle_members(
        actor=_actor(request), prfaq_id=path.prfaq_id, circle=path.circle, **payload.dict()
    )


def _apply_prfaq(*, actor, request_id, version, transition, values):
    return services.apply_transition(
        actor=actor, prfaq_id=request_id, version=version, transition=transition, values=values
    )


# One endpoint per declared transition (machines.py): POST /prfaqs/{id}/submit|advance|approve|shelve.
PRFAQ_TRANSITION_BODIES = machine_api.mount(
    router,
    services.PRFAQ_MACHINE,
    base="/prfaqs",
    apply=_apply_prfaq,
    response=PrFaqOut,
    module=__name__,
    schema_prefix="PrFaq",
)

# --- narratives (reading)
# Reading sessions themselves (done reading, close, their comments) are the documents API's /reading-sessions/{id}.


class NarrativeFilter(Schema):
    team_id: Id | None = None
    text: QueryText = ""
    limit: int = 50
    offset: int = 0


@router.get("/narratives", response=responses(PageOut[NarrativeOut], *READ_ERRORS))
def list_narratives(request, filters: Query[NarrativeFilter]):
    """The narratives you may read (a confidential one only for its author, team, named and session readers),
    most recently changed first; by team or title words. Paginated."""
    return page_out(services.list_narratives(actor=_actor(request), **filters.dict()))


@router.post("/narratives", response=responses(NarrativeOut, 400, 401, 403, 422, status=201))
def create_narrative(request, payload: NarrativeCreateIn):
    """Write a narrative for a team (you are its author). Over six pages or full of bullets it is saved with its
    findings (see `check`), but cannot be read in a session."""
    return Status(201, services.create_narrative(actor=_actor(request), **payload.dict()))


@router.post("/narratives/check", response=responses(NarrativeCheckOut, 400, 401, 422))
def check_narrative(request, payload: NarrativeCheckIn):
    """The page measure and the bullet-ratio lint of a text (nothing stored): the same as `mech narratives check`."""
    _actor(request)
    return services.check_narrative(body=payload.body, appendix=payload.appendix)


@router.get("/narratives/{narrative_id}", response=responses(NarrativeViewOut, *READ_ERRORS))
def get_narrative(request, narrative_id: Id):
    """A narrative with its current body and appendix, their check, and what you may do."""
    return services.get_narrative(actor=_actor(request), narrative_id=narrative_id)


@router.put("/narratives/{narrative_id}/body", response=responses(NarrativeViewOut, *WRITE_ERRORS))
def revise_narrative(request, narrative_id: Id, payload: NarrativeBodyIn):
    """Revise the body and/or appendix (and title): a new revision, every one kept (the author). Name the
    document's version you read: a stale one is a 409 and nothing is written."""
    return services.revise_narrative(actor=_actor(request), narrative_id=narrative_id, **payload.dict())


@router.patch("/narratives/{narrative_id}", response=responses(NarrativeOut, *WRITE_ERRORS))
def update_narrative(request, narrative_id: Id, payload: NarrativePatch):
    """Make a narrative confidential or open, or change its named readers (the author; the narrative's
    `version`: stale is a 409)."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    if "reader_ids" in sent:
        sent["reader_ids"] = tuple(sent["reader_ids"] or ())
    if sent.get("confidential", False) is None:
        sent.pop("confidential")
    changes = NarrativeChanges(**sent)
    return services.update_narrative(actor=_actor(request), narrative_id=narrative_id, version=version, changes=changes)


@router.get("/narratives/{narrative_id}/sessions", response=responses(PageOut[NarrativeSessionOut], *READ_ERRORS))
def list_narrative_sessions(request, narrative_id: Id, limit: int = 50, offset: int = 0):
    """The narrative's reading sessions, newest first. Paginated."""
    found = services.list_narrative_sessions(
        actor=_actor(request), narrative_id=narrative_id, limit=limit, offset=offset
    )
    return page_out(found)


@router.post("/narratives/{narrative_id}/sessions", response=responses(NarrativeSessionOut, status=201))
def start_narrative_session(request, narrative_id: Id, payload: NarrativeSessionIn):
    """Start a silent reading of the current revision (the author presents): at least one reader, 1..240 minutes;
    refused over six pages. The readers of a confidential narrative become its named readers."""
    record = services.start_narrative_session(
        actor=_actor(request), narrative_id=narrative_id, reader_ids=payload.reader_ids, minutes=payload.minutes
    )
    return Status(201, record)


# --- board and funnel (board): at the top of this module, before the PR/FAQs' paths
