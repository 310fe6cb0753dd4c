"""API of the away-teams app (MECHANISMS.md §3): file a request, every transition of its life, the team board,
the tax and credit reports, and the sweep that reminds overdue answers.

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py: a transition from the
wrong state is a 400 and by the wrong person a 403, both naming the rule; a stale version is a 409.
"""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from mechanisms.kernel.api import READ_ERRORS, Id, PageOut, QueryText, page_out, responses

from . import services
from .schemas import (
    AcceptIn,
    BoardOut,
    BuildAtHomeIn,
    CreditOut,
    DecideIn,
    DuplicateIn,
    FileIn,
    HandOffIn,
    NoteIn,
    ReasonIn,
    RequestOut,
    RequestViewOut,
    ReviewIn,
    SubmitIn,
    SweepIn,
    SweepOut,
    TaxLineOut,
)

router = Router(tags=["away teams"])
READ_PAGE = (401, 403, 422)
MOVE = responses(RequestOut, 400, 401, 403, 404, 409, 422)


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


class RequestFilter(Schema):
    team_id: Id | None = None
    direction: QueryText = "both"
    state: QueryText | None = None
    open_only: bool = False
    overdue: bool | None = None
    service_id: Id | None = None
    limit: int = 50
    offset: int = 0


@router.get("/away-requests", response=responses(PageOut[RequestOut], 400, *READ_ERRORS))
def list_requests(request, filters: Query[RequestFilter]):
    """Away-team requests, newest first: by team (direction inbound, outbound or both), state, open, overdue,
    service. Paginated."""
    return page_out(services.list_requests(actor=_actor(request), **filters.dict()))


@router.post("/away-requests", response=responses(RequestOut, 400, 401, 403, 404, 422, status=201))
def file_request(request, payload: FileIn):
    """File a request on another team's service (a member of the requesting team)."""
    return Status(201, services.file_request(actor=_actor(request), **payload.dict()))


@router.get("/away-requests/escalations", response=responses(PageOut[RequestOut], *READ_ERRORS))
def my_escalations(request, limit: int = 50, offset: int = 0):
    """The escalations waiting on the caller's decision (as the lowest common manager). Paginated."""
    return page_out(services.escalations_for(actor=_actor(request), limit=limit, offset=offset))


@router.post("/away-requests/sweep", response=responses(SweepOut, 400, 401, 403, 422))
def sweep(request, payload: SweepIn | None = None):
    """Remind overdue answers and close ended warranties (admin; `mech away sweep` runs it from cron)."""
    return services.sweep(actor=_actor(request), today=payload.today if payload else None)


@router.get("/away-requests/{request_id}", response=responses(RequestViewOut, *READ_ERRORS))
def get_request(request, request_id: Id):
    """One request with its timeline (who, when, why) and the transitions the caller may take now."""
    return services.request_view(actor=_actor(request), request_id=request_id)


@router.post("/away-requests/{request_id}/accept", response=MOVE)
def accept(request, request_id: Id, payload: AcceptIn):
    """Home team: accept; the requesting team builds it, with your point of contact and standards."""
    return services.accept_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/build-at-home", response=MOVE)
def build_at_home(request, request_id: Id, payload: BuildAtHomeIn):
    """Home team: answer that you build it yourselves, on your own roadmap."""
    return services.build_at_home(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/decline", response=MOVE)
def decline(request, request_id: Id, payload: ReasonIn):
    """Home team: decline, with a reason."""
    return services.decline_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/escalate", response=MOVE)
def escalate(request, request_id: Id, payload: ReasonIn):
    """Requesting team: escalate to the lowest common manager of both teams' leaders (once)."""
    return services.escalate_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/decide", response=MOVE)
def decide(request, request_id: Id, payload: DecideIn):
    """The deciding manager: reshuffle the home team's roadmap, or keep it; with the reason."""
    return services.decide_escalation(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/duplicate", response=MOVE)
def duplicate(request, request_id: Id, payload: DuplicateIn):
    """Requesting team: build it in a service of your own instead (recorded, never penalized)."""
    return services.duplicate_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/start", response=MOVE)
def start(request, request_id: Id, payload: NoteIn):
    """Requesting team: start building the accepted change."""
    return services.start_building(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/submit", response=MOVE)
def submit(request, request_id: Id, payload: SubmitIn):
    """Requesting team: ask the home team for its review."""
    return services.submit_for_review(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/review", response=MOVE)
def review(request, request_id: Id, payload: ReviewIn):
    """Home team: approve the change, or request changes (with what to change)."""
    return services.review_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/hand-off", response=MOVE)
def hand_off(request, request_id: Id, payload: HandOffIn):
    """Requesting team: hand off, with the checklist complete (tests, docs, runbook, review approved)."""
    return services.hand_off_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/accept-hand-off", response=MOVE)
def accept_hand_off(request, request_id: Id, payload: NoteIn):
    """Home team: take over maintenance; the warranty period starts."""
    return services.accept_hand_off(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/complete", response=MOVE)
def complete(request, request_id: Id, payload: NoteIn):
    """Home team: you shipped the change you built yourselves."""
    return services.complete_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/close", response=MOVE)
def close(request, request_id: Id, payload: NoteIn):
    """Either team: close a handed-off request once its warranty is over."""
    return services.close_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.post("/away-requests/{request_id}/withdraw", response=MOVE)
def withdraw(request, request_id: Id, payload: ReasonIn):
    """Requesting team: withdraw the request, with the reason."""
    return services.withdraw_request(actor=_actor(request), request_id=request_id, **payload.dict())


@router.get("/teams/{team_id}/away-board", response=responses(BoardOut, *READ_ERRORS))
def team_board(request, team_id: Id):
    """A team's requests by state, inbound and outbound; overdue answers; median days to answer."""
    return services.team_board(actor=_actor(request), team_id=team_id)


@router.get("/away-reports/tax", response=responses(PageOut[TaxLineOut], *READ_PAGE))
def tax(request, limit: int = 50, offset: int = 0):
    """What each team spends serving others, ranked (the tax brackets). Paginated."""
    return page_out(services.tax_report(actor=_actor(request), limit=limit, offset=offset))


@router.get("/away-reports/credit", response=responses(CreditOut, *READ_PAGE))
def credit(request):
    """Credit for changes handed off with a declared downstream impact, per team and rolled up by org unit."""
    return services.credit_report(actor=_actor(request))
