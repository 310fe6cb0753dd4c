"""API of the away-teams app (MECHANISMS.md §3): file a request, every transition of its life, the team board,
the tax and credit reports, and the sweep that reminds overdue answers.

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py: a transition from the
wrong state is a 400 and by the wrong person a 403, both naming the rule; a stale version is a 409.
"""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, Id, PageOut, QueryText, page_out, responses

from . import services
from .schemas import (
    BoardOut,
    CreditOut,
    FileIn,
    RequestOut,
    RequestViewOut,
    SweepIn,
    SweepOut,
    TaxLineOut,
)

router = Router(tags=["away teams"])
READ_PAGE = (401, 403, 422)


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
    """Remind overdue answers and close ended warranties (admin; the worker runs it every hour)."""
    return services.sweep(actor=_actor(request), today=payload.today if payload else None)


@router.get("/away-requests/{request_id}", response=responses(RequestViewOut, *READ_ERRORS))
def get_request(request, request_id: Id):
    """One request with its timeline (who, when, why) and the transitions the caller may take now."""
    return services.request_view(actor=_actor(request), request_id=request_id)


# One endpoint per declared transition (away_teams/machines.py): POST /away-requests/{request_id}/<slug>, each with
# a body generated from the transition's inputs. Mounted after the reads so the paths read as before.
TRANSITION_BODIES = machine_api.mount(
    router,
    services.MACHINE,
    base="/away-requests",
    apply=services.apply_transition,
    response=RequestOut,
    module=__name__,
    schema_prefix="Away",
)


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
