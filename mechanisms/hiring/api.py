"""API of the hiring app (MECHANISMS.md §5) under `/api/v1/hiring/...`: principles, openings and their transitions,
candidates, résumés, erasure, the mechanism-health figures; then (below the loops banner) loops, interviews,
feedback and the debrief.

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py: a record the caller may
not see is a 404, an action they may not take a 403 naming the rule, a broken rule a 400 naming the field, a stale
version a 409.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, Id, PageOut, QueryText, Version, page_out, responses
from mechanisms.kernel.changes import changes_from
from mechanisms.kernel.errors import RuleViolation

from . import services
from . import services as _services
from .contracts import CandidateChanges, EvidenceInput, InterviewChanges, OpeningChanges
from .schemas import (
    BarRaiserIn,
    CancelIn,
    CandidateIn,
    CandidateOut,
    CandidatePatch,
    DebriefOut,
    DebriefVoteOut,
    EraseIn,
    FeedbackIn,
    FeedbackOut,
    FeedbackStatusOut,
    HealthOut,
    InterviewIn,
    InterviewOut,
    InterviewPatchIn,
    LoopIn,
    LoopOut,
    LoopViewOut,
    MyInterviewOut,
    OpeningIn,
    OpeningOut,
    OpeningPatch,
    PrincipleIn,
    PrincipleOut,
    PrinciplePatch,
    ProblemOut,
    RecommendationIn,
    VersionIn,
    VoteIn,
    WithdrawIn,
)

router = Router(tags=["hiring"])
READ_PAGE = (400, 401, 403, 422)


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


# ------------------------------------------------------------------------------------------------ principles


@router.get("/hiring/principles", response=responses(list[PrincipleOut], 401, 403, 422))
def list_principles(request, active_only: bool = True):
    """The leadership principles openings choose from, in their order (Amazon's sixteen by default)."""
    return services.list_principles(actor=_actor(request), active_only=active_only)


@router.post("/hiring/principles", response=responses(PrincipleOut, status=201))
def add_principle(request, payload: PrincipleIn):
    """Add a principle (admins and company-wide recruiters)."""
    return Status(201, services.add_principle(actor=_actor(request), **payload.dict()))


@router.patch("/hiring/principles/{principle_id}", response=responses(PrincipleOut))
def update_principle(request, principle_id: Id, payload: PrinciplePatch):
    """Rename, reword, reorder or (de)activate a principle (admins and company-wide recruiters)."""
    return services.update_principle(actor=_actor(request), principle_id=principle_id, **payload.dict())


# ------------------------------------------------------------------------------------------------ openings


class OpeningFilter(Schema):
    state: QueryText | None = None
    team_id: Id | None = None
    text: QueryText | None = None
    limit: int = 50
    offset: int = 0


@router.get("/hiring/openings", response=responses(PageOut[OpeningOut], *READ_PAGE))
def list_openings(request, filters: Query[OpeningFilter]):
    """Openings, newest first, by state, team and words (every signed-in person: an internal posting). Paginated."""
    return page_out(services.list_openings(actor=_actor(request), **filters.dict()))


@router.post("/hiring/openings", response=responses(OpeningOut, status=201))
def create_opening(request, payload: OpeningIn):
    """Create a draft opening (admins, the team's leader or a manager above, recruiters of the team's unit)."""
    return Status(201, services.create_opening(actor=_actor(request), **payload.dict()))


@router.get("/hiring/openings/{opening_id}", response=responses(OpeningOut, *READ_ERRORS))
def get_opening(request, opening_id: Id):
    """One opening with its job description and principles."""
    return services.get_opening(actor=_actor(request), opening_id=opening_id)


@router.patch("/hiring/openings/{opening_id}", response=responses(OpeningOut))
def update_opening(request, opening_id: Id, payload: OpeningPatch):
    """Change an opening (admins, its hiring manager, its recruiters); `version` is the version you read. A changed
    `job_description` is the next revision of the opening's document, with `job_description_note` as its note."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    note = sent.pop("job_description_note", None) or ""
    for name in ("reports_ids", "principles"):
        if name in sent:
            sent[name] = tuple(sent[name])
    changes = changes_from(OpeningChanges, sent)
    return services.update_opening(
        actor=_actor(request), opening_id=opening_id, changes=changes, version=version, job_description_note=note
    )


def _apply_opening(*, actor, request_id, version, transition, values):
    return services.apply_opening_transition(
        actor=actor, opening_id=request_id, version=version, transition=transition, values=values
    )


# One endpoint per declared transition (hiring/machines.py OPENING): POST /hiring/openings/{id}/<slug>.
OPENING_BODIES = machine_api.mount(
    router,
    services.OPENING_MACHINE,
    base="/hiring/openings",
    apply=_apply_opening,
    response=OpeningOut,
    module=__name__,
    schema_prefix="Opening",
)


# ------------------------------------------------------------------------------------------------ candidates


class CandidateFilter(Schema):
    opening_id: Id | None = None
    state: QueryText | None = None
    text: QueryText | None = None
    limit: int = 50
    offset: int = 0


@router.get("/hiring/candidates", response=responses(PageOut[CandidateOut], *READ_PAGE))
def list_candidates(request, filters: Query[CandidateFilter]):
    """The candidates you are an insider of (interviewer, bar raiser, hiring manager, recruiter), newest first;
    nobody else's are listed or counted. Paginated."""
    return page_out(services.list_candidates(actor=_actor(request), **filters.dict()))


@router.post("/hiring/candidates", response=responses(CandidateOut, status=201))
def add_candidate(request, payload: CandidateIn):
    """Add a candidate to an opening (its recruiters and hiring manager)."""
    return Status(201, services.add_candidate(actor=_actor(request), **payload.dict()))


@router.get("/hiring/candidates/{candidate_id}", response=responses(CandidateOut, *READ_ERRORS))
def get_candidate(request, candidate_id: Id):
    """One candidate (insiders only; 404 for everyone else)."""
    return services.get_candidate(actor=_actor(request), candidate_id=candidate_id)


@router.patch("/hiring/candidates/{candidate_id}", response=responses(CandidateOut))
def update_candidate(request, candidate_id: Id, payload: CandidatePatch):
    """Correct a candidate's name, contact or source (the opening's recruiters and hiring manager)."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    changes = changes_from(CandidateChanges, sent)
    return services.update_candidate(actor=_actor(request), candidate_id=candidate_id, changes=changes, version=version)


@router.post("/hiring/candidates/{candidate_id}/resume", response=responses(CandidateOut))
def attach_resume(request, candidate_id: Id, version: Form[Version], resume: File[UploadedFile]):
    """Upload the candidate's résumé as multipart form data (`resume`, `version`): a PDF, a Word document or plain
    text, at most MECH_RESUME_MAX_BYTES (5 MiB by default); it replaces any earlier one."""
    limit = services.resume_max_bytes()
    if resume.size is not None and resume.size > limit:
        raise RuleViolation(f"the résumé is larger than {limit} bytes", field="resume")
    return services.attach_resume(
        actor=_actor(request),
        candidate_id=candidate_id,
        filename=resume.name or "resume",
        content=resume.read(limit + 1),
        version=version,
    )


@router.get("/hiring/candidates/{candidate_id}/resume", response=responses(None, *READ_ERRORS))
def read_resume(request, candidate_id: Id):
    """Download the candidate's résumé (insiders only), always as an attachment."""
    return resume_response(services.read_resume(actor=_actor(request), candidate_id=candidate_id))


def resume_response(file) -> HttpResponse:
    """A résumé as a download: never rendered inline, and the browser must not guess another type."""
    response = HttpResponse(file.content, content_type=file.content_type)
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in file.name) or "resume"
    response["Content-Disposition"] = f'attachment; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@router.post("/hiring/candidates/{candidate_id}/withdraw", response=responses(CandidateOut))
def withdraw_candidate(request, candidate_id: Id, payload: WithdrawIn):
    """The candidate withdrew (the opening's recruiters and hiring manager)."""
    return services.withdraw_candidate(actor=_actor(request), candidate_id=candidate_id, **payload.dict())


@router.post("/hiring/candidates/{candidate_id}/accept-offer", response=responses(CandidateOut))
def accept_offer(request, candidate_id: Id, payload: VersionIn):
    """The candidate accepted the offer: hired, and the opening is filled."""
    return services.accept_offer(actor=_actor(request), candidate_id=candidate_id, **payload.dict())


@router.post("/hiring/candidates/{candidate_id}/erase", response=responses(CandidateOut))
def erase_candidate(request, candidate_id: Id, payload: EraseIn):
    """Erase the candidate's personal content (the opening's recruiters and admins; a reason is required). Votes,
    ratings, timings and the outcome stay as anonymous aggregates."""
    return services.erase_candidate(actor=_actor(request), candidate_id=candidate_id, **payload.dict())


# ------------------------------------------------------------------------------------------------ health


@router.get("/hiring/health", response=responses(HealthOut, 400, 401, 403, 422))
def hiring_health(request, since: dt.date | None = None, until: dt.date | None = None):
    """The hiring mechanism's health over the loops decided in the period (admins, leadership, recruiters)."""
    return services.hiring_health(actor=_actor(request), since=since, until=until)


# --- loops: loops, interviews, feedback, debrief (the `loops` helper's routes) below


class LoopFilter(Schema):
    opening_id: Id | None = None
    state: QueryText | None = None
    limit: int = 50
    offset: int = 0


def _feedback_values(payload: FeedbackIn) -> dict:
    return {
        "vote": payload.vote,
        "summary": payload.summary,
        "evidence": [EvidenceInput(**e.model_dump()) for e in payload.evidence],
    }


@router.get("/hiring/loops", response=responses(PageOut[LoopOut], 400, *READ_ERRORS))
def list_loops(request, filters: Query[LoopFilter]):
    """The loops you are an insider of (interviewer, bar raiser, hiring manager, recruiter), newest first."""
    return page_out(_services.list_loops(actor=_actor(request), **filters.dict()))


@router.post("/hiring/loops", response=responses(LoopOut, 400, 401, 403, 404, 409, 422, status=201))
def create_loop(request, payload: LoopIn):
    """Start planning a candidate's loop; the bar raiser is suggested (independent, least loaded) unless named."""
    return Status(201, _services.create_loop(actor=_actor(request), **payload.dict()))


@router.get("/hiring/me/interviews", response=responses(PageOut[MyInterviewOut], *READ_ERRORS))
def my_interviews(request, upcoming: bool | None = None, limit: int = 50, offset: int = 0):
    """Your interviews (not cancelled) with their feedback status, soonest first."""
    return page_out(_services.my_interviews(actor=_actor(request), upcoming=upcoming, limit=limit, offset=offset))


@router.get("/hiring/loops/{loop_id}", response=responses(LoopViewOut, *READ_ERRORS))
def get_loop(request, loop_id: Id):
    """One loop, your parties on it, the transitions you may take now and what would refuse its start."""
    return _services.loop_view(actor=_actor(request), loop_id=loop_id)


@router.get("/hiring/loops/{loop_id}/check", response=responses(list[ProblemOut], *READ_ERRORS))
def check_loop(request, loop_id: Id):
    """Every loop rule the loop breaks now (what would refuse its start), each naming its rule and field."""
    return _services.loop_check(actor=_actor(request), loop_id=loop_id)


@router.post("/hiring/loops/{loop_id}/bar-raiser", response=responses(LoopOut))
def change_bar_raiser(request, loop_id: Id, payload: BarRaiserIn):
    """Put another bar raiser on the loop before its debrief (suggested, or a manual pick with a reason)."""
    return _services.change_bar_raiser(actor=_actor(request), loop_id=loop_id, **payload.dict())


@router.get("/hiring/loops/{loop_id}/interviews", response=responses(list[InterviewOut], *READ_ERRORS))
def loop_interviews(request, loop_id: Id):
    """The loop's interviews (cancelled ones marked), in time order."""
    return list(_services.get_loop(actor=_actor(request), loop_id=loop_id).interviews)


@router.post("/hiring/loops/{loop_id}/interviews", response=responses(InterviewOut, status=201))
def add_interview(request, loop_id: Id, payload: InterviewIn):
    """Add an interview: interviewer, time, one or two of the opening's principles."""
    return Status(201, _services.add_interview(actor=_actor(request), loop_id=loop_id, **payload.dict()))


@router.patch("/hiring/interviews/{interview_id}", response=responses(InterviewOut))
def update_interview(request, interview_id: Id, payload: InterviewPatchIn):
    """Move an interview or change its principles (before its feedback is submitted)."""
    values = payload.dict(exclude_unset=True)
    version = values.pop("version")
    if "principles" in values and values["principles"] is not None:
        values["principles"] = tuple(values["principles"])
    changes = changes_from(InterviewChanges, values)
    return _services.update_interview(
        actor=_actor(request), interview_id=interview_id, version=version, changes=changes
    )


@router.post("/hiring/interviews/{interview_id}/cancel", response=responses(InterviewOut))
def cancel_interview(request, interview_id: Id, payload: CancelIn):
    """Cancel an interview whose feedback is not submitted."""
    return _services.cancel_interview(actor=_actor(request), interview_id=interview_id, **payload.dict())


@router.get("/hiring/interviews/{interview_id}/feedback", response=responses(FeedbackOut, 401, 403, 404, 422))
def get_feedback(request, interview_id: Id):
    """One interviewer's feedback, sealed: yours always; anyone else's only once the debrief is open (403 "sealed
    until the debrief" inside the loop, 404 outside it) and after you submitted your own."""
    return _services.get_feedback(actor=_actor(request), interview_id=interview_id)


@router.put("/hiring/interviews/{interview_id}/feedback", response=responses(FeedbackOut))
def save_feedback(request, interview_id: Id, payload: FeedbackIn):
    """Save your draft feedback (readable by you alone)."""
    return _services.save_feedback(actor=_actor(request), interview_id=interview_id, **_feedback_values(payload))


@router.post("/hiring/interviews/{interview_id}/feedback", response=responses(FeedbackOut))
def submit_feedback(request, interview_id: Id, payload: FeedbackIn):
    """Submit your feedback: STAR evidence and a rating for every assigned principle, a vote; immutable after."""
    return _services.submit_feedback(actor=_actor(request), interview_id=interview_id, **_feedback_values(payload))


@router.get("/hiring/loops/{loop_id}/feedback-status", response=responses(FeedbackStatusOut, *READ_ERRORS))
def feedback_status(request, loop_id: Id):
    """Who has submitted feedback and when (never a vote before the debrief)."""
    return _services.feedback_status(actor=_actor(request), loop_id=loop_id)


@router.get("/hiring/loops/{loop_id}/debrief", response=responses(DebriefOut, 401, 403, 404, 422))
def get_debrief(request, loop_id: Id):
    """The debrief room once it is open: every written vote first, then the feedback, the changed votes, the bar
    raiser's recommendation and the decision."""
    return _services.get_debrief(actor=_actor(request), loop_id=loop_id)


@router.post("/hiring/loops/{loop_id}/votes", response=responses(DebriefVoteOut, status=201))
def change_vote(request, loop_id: Id, payload: VoteIn):
    """Change your vote in the debrief: a new entry with its reason."""
    return Status(201, _services.change_vote(actor=_actor(request), loop_id=loop_id, **payload.dict()))


@router.post("/hiring/loops/{loop_id}/recommendation", response=responses(LoopOut))
def recommend(request, loop_id: Id, payload: RecommendationIn):
    """The bar raiser's recommendation at the debrief; do_not_proceed is a veto that blocks an offer."""
    return _services.recommend_on_loop(actor=_actor(request), loop_id=loop_id, **payload.dict())


def _apply_loop(*, actor, request_id, version, transition, values):
    return _services.apply_loop_transition(
        actor=actor, loop_id=request_id, version=version, transition=transition, values=values
    )


# One endpoint per declared loop transition (hiring/machines.py): POST /hiring/loops/{request_id}/<slug>.
LOOP_TRANSITION_BODIES = machine_api.mount(
    router,
    _services.LOOP,
    base="/hiring/loops",
    apply=_apply_loop,
    response=LoopOut,
    module=__name__,
    schema_prefix="HiringLoop",
)
