"""API of the mandate app: evaluate, findings, waivers, scorecards and the Conway report (MECHANISMS.md §2).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from mechanisms.kernel.api import READ_ERRORS, Id, PageOut, QueryText, page_out, responses

from . import services
from .schemas import ConwayOut, EvaluateIn, EvaluationOut, FindingOut, ScorecardOut, WaiverIn, WaiverOut

router = Router(tags=["mandate"])
READ_PROTECTED = (401, 403, 404, 422)


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


@router.post("/mandate/evaluate", response=responses(EvaluationOut, 400, 401, 403, 422), tags=["mandate"])
def evaluate(request, payload: EvaluateIn | None = None):
    """Run every rule over the whole organization, store the findings and one score per team (admin)."""
    today = payload.today if payload else None
    return services.evaluate_org(actor=_actor(request), today=today)


class FindingFilter(Schema):
    team_id: Id | None = None
    rule: QueryText | None = None
    blocking: bool | None = None
    limit: int = 50
    offset: int = 0


@router.get("/mandate/findings", response=responses(PageOut[FindingOut], *READ_ERRORS), tags=["mandate"])
def list_findings(request, filters: Query[FindingFilter]):
    """Findings of the latest evaluation, filtered by team, rule or blocking (an unwaived error). Paginated."""
    return page_out(services.list_findings(actor=_actor(request), **filters.dict()))


class WaiverFilter(Schema):
    subject: QueryText | None = None
    include_revoked: bool = False
    state: QueryText | None = None  # active, expired, revoked, pending, refused, withdrawn or all
    team_id: Id | None = None
    limit: int = 50
    offset: int = 0


@router.get("/mandate/waivers", response=responses(PageOut[WaiverOut], 400, *READ_ERRORS), tags=["mandate"])
def list_waivers(request, filters: Query[WaiverFilter]):
    """Waivers (revoked ones when asked), by state (active, expired, revoked, all) and by team. Paginated."""
    return page_out(services.list_waivers(actor=_actor(request), **filters.dict()))


@router.post("/mandate/waivers", response=responses(WaiverOut, status=201), tags=["mandate"])
def request_waiver(request, payload: WaiverIn):
    """Request a waiver: it is pending until the independent bar raiser's recommendation, accepted by you (the
    requester) on its review (`/api/v1/bar-raisers/reviews/{review_id}`), puts it in force or refuses it."""
    return Status(201, services.request_waiver(actor=_actor(request), **payload.dict()))


@router.delete("/mandate/waivers/{waiver_id}", response=responses(WaiverOut, 401, 403, 404, 422), tags=["mandate"])
def revoke_waiver(request, waiver_id: Id, reason: QueryText = ""):
    """Revoke a waiver (kept in the history); its finding counts again at the next evaluation."""
    return services.revoke_waiver(actor=_actor(request), waiver_id=waiver_id, reason=reason)


@router.get("/mandate/teams/{team_id}/scorecard", response=responses(ScorecardOut, *READ_PROTECTED), tags=["mandate"])
def team_scorecard(request, team_id: Id):
    """A team's findings by rule and its history; visible to the team, its management chain and admins."""
    return services.team_scorecard(actor=_actor(request), team_id=team_id)


@router.get(
    "/mandate/org-units/{org_unit_id}/scorecard", response=responses(ScorecardOut, *READ_PROTECTED), tags=["mandate"]
)
def org_unit_scorecard(request, org_unit_id: Id):
    """The roll-up of the teams in an org unit and below; visible to its leader, their chain and admins."""
    return services.org_unit_scorecard(actor=_actor(request), org_unit_id=org_unit_id)


@router.get("/mandate/conway", response=responses(ConwayOut, *READ_ERRORS), tags=["mandate"])
def conway(request):
    """The team-to-team graph, fan-in and fan-out per team, and team pairs coupled across org units."""
    return services.conway_report(actor=_actor(request))
