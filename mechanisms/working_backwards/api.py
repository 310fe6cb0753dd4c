"""API of the working_backwards app (MECHANISMS.md §6): PR/FAQs, their circles and transitions, the checker, the
funnel; narratives. Thin: parse, call one service, return its contract. Errors are mapped in config/api.py."""

from __future__ import annotations

import datetime as dt

from ninja import Query, Router, Schema

from mechanisms.kernel.api import READ_ERRORS, OutSchema, PageOut, QueryText, page_out, responses
from mechanisms.kernel.errors import NotFound
from mechanisms.org import services as org_services

from . import services

router = Router(tags=["working backwards"])


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


# --- board and funnel (board)


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
