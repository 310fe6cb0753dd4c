"""Public services of the hiring app (MECHANISMS.md §5).

# --- loops
Loops, interviews, sealed feedback, the debrief and the decision. The loop's transitions are declared once in
``machines.py`` (LOOP) and applied by ``kernel.machine_apply``; who may see and do what is ``policy.py`` (insiders
only; feedback sealed until the debrief, and from an interviewer until they submitted their own). The bar raiser
comes from the bar-raisers app: a loop is a review subject of kind HIRING_LOOP (its title names the opening and
the loop number, never the candidate), the recommendation is that review's, and a decision against it is an
override there (the owner's management chain is told). Notifications never carry candidate contact, feedback
text, votes or ratings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import Recommendation, Subject, SubjectKind
from mechanisms.kernel import clock, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import policy as _policy
from . import rules
from .contracts import (
    CandidateState,
    Decision,
    DebriefRecord,
    DebriefVoteRecord,
    EvidenceInput,
    EvidenceRecord,
    FeedbackRecord,
    FeedbackStatus,
    FeedbackStatusLine,
    InterviewChanges,
    InterviewRecord,
    LoopParty,
    LoopRecord,
    LoopState,
    LoopView,
    MyInterview,
    OpeningState,
    Problem,
    Vote,
    WrittenVote,
)
from .machines import LOOP, LoopMachineFacts
from .models import Candidate as CandidateRow
from .models import DebriefVote as DebriefVoteRow
from .models import Evidence as EvidenceRow
from .models import Feedback as FeedbackRow
from .models import Interview as InterviewRow
from .models import Loop as LoopRow
from .models import LoopEvent as LoopEventRow
from .models import Opening as OpeningRow

# ================================================================================================= LOOPS
# --- loops: loops, interviews, feedback, the debrief, the decision (the `loops` helper's part)

LOOP_SUBJECT = "hiring_loop"
INTERVIEW_SUBJECT = "hiring_interview"
FEEDBACK_SUBJECT = "hiring_feedback"
CANDIDATE_SUBJECT = "hiring_candidate"
L = LoopState
OPEN_LOOP_STATES = frozenset({L.PLANNING.value, L.INTERVIEWING.value, L.DEBRIEF.value})
PLANNABLE = frozenset({L.PLANNING.value, L.INTERVIEWING.value})  # interviews and the bar raiser may still change
WRITABLE = frozenset({L.INTERVIEWING.value, L.DEBRIEF.value})  # feedback may be written (late, after an early debrief)
PLANNERS = frozenset({LoopParty.HIRING_MANAGER.value, LoopParty.RECRUITER.value})
TEXT_MAX = 20_000
notifications_services.declare_kinds(
    kinds=[
        *(f"hiring_loop.{t.name}" for t in LOOP.transitions),
        "hiring_loop.created",
        "hiring_loop.bar_raiser",
        "hiring_loop.recommended",
        "hiring_interview.scheduled",
        "hiring_interview.changed",
        "hiring_interview.cancelled",
        "hiring_feedback.overdue",
    ]
)


def feedback_due_hours() -> int:
    """Feedback is due this many hours after the interview ends (MECH_FEEDBACK_DUE_HOURS, default 24)."""
    return int(settings.MECHANISMS.get("FEEDBACK_DUE_HOURS", 24))


def feedback_escalate_hours() -> int:
    """Late feedback climbs the interviewer's management chain one level per this many hours (0: never)."""
    return int(settings.MECHANISMS.get("FEEDBACK_ESCALATE_AFTER_HOURS", 24))


# ---------------------------------------------------------------------------------------------- loops


def create_loop(*, actor: Actor, candidate_id: int, bar_raiser_id: int | None = None, reason: str = "") -> LoopRecord:
    """Start planning a candidate's interview loop (MECHANISMS.md §5): the opening must be open, the candidate
    applied and without a loop; a bar raiser is required, so the loop asks the bar-raisers app for a review at once
    (the first suggestion, independent and least loaded, when none is named; a manual pick states why). The
    recruiter is never the bar raiser. The opening's recruiters and its hiring manager only.
    Raises NotFound (a candidate the actor may not see), PermissionDenied, RuleViolation naming the field."""
    org_services.require_signed_in(actor)
    candidate = _candidate_row(actor, candidate_id)
    opening = candidate.opening
    _policy.require(actor, "plan_loop", opening, what="plan this candidate's loop", field="candidate_id")
    if opening.state != OpeningState.OPEN.value:
        raise RuleViolation(
            f"the opening is {opening.state}; loops start only on an open opening",
            field="opening",
            details={"field": "opening", "rule": "opening-open"},
        )
    if LoopRow.objects.filter(candidate_id=candidate.id).exists():
        raise RuleViolation("this candidate already has a loop", field="candidate_id")
    if candidate.state != CandidateState.APPLIED.value:
        raise RuleViolation(f"the candidate is {candidate.state}, not applied", field="candidate_id")
    if bar_raiser_id is not None and bar_raiser_id == opening.recruiter_id:
        raise _recruiter_refusal()
    with transaction.atomic():
        row = LoopRow.objects.create(candidate=candidate, opening=opening, state=LOOP.initial)
        review = bar_raisers_services.request_review(
            actor=actor, subject=_subject(row), bar_raiser_id=bar_raiser_id, reason=reason
        )
        LoopRow.objects.filter(pk=row.pk).update(bar_raiser_id=review.bar_raiser_id)
        row.bar_raiser_id = review.bar_raiser_id
        _set_candidate_state(actor, candidate, CandidateState.IN_LOOP)
        _event(row, actor, "create", "", row.state, "")
        loop = _to_loop(row)
        audit_services.record_change(
            actor=actor, verb="create", subject_type=LOOP_SUBJECT, subject_id=row.id, after=_loop_audit(loop)
        )
        _notify(actor, row, "created", f"{loop.title}: planning started", _insiders(row) - {row.bar_raiser_id})
    return loop


def change_bar_raiser(
    *, actor: Actor, loop_id: int, version: int, bar_raiser_id: int | None = None, reason: str = ""
) -> LoopRecord:
    """Put another bar raiser on the loop before its debrief (MECHANISMS.md §4-§5): the open review is withdrawn
    (releasing the old assignment) and a new one requested (suggested, or a manual pick with a reason). The
    recruiter is never the bar raiser. The opening's recruiters and hiring manager; the bar-raisers app lets only
    the review's owner (the hiring manager) withdraw it. Raises NotFound, PermissionDenied, RuleViolation,
    Conflict."""
    row = _loop_row(actor, loop_id)
    _require_planner(actor, row, "change the bar raiser")
    _require_version(row, version)
    if row.state not in PLANNABLE:
        raise RuleViolation(f"the loop is {row.state}; the bar raiser changes only before the debrief", field="state")
    if bar_raiser_id is not None and bar_raiser_id == row.opening.recruiter_id:
        raise _recruiter_refusal()
    before = _loop_audit(_to_loop(row))
    with transaction.atomic():
        current = bar_raisers_services.review_for(actor=actor, subject_kind=SubjectKind.HIRING_LOOP, subject_id=row.id)
        if current is not None and current.state.value in ("requested", "recommended"):
            bar_raisers_services.withdraw_review(
                actor=actor,
                review_id=current.id,
                version=current.version,
                reason=_text(reason, "reason", 5000, required=False) or "another bar raiser takes the loop",
            )
        review = bar_raisers_services.request_review(
            actor=actor, subject=_subject(row), bar_raiser_id=bar_raiser_id, reason=reason
        )
        _cas(row, version, {"bar_raiser_id": review.bar_raiser_id})
        _event(row, actor, "change_bar_raiser", row.state, row.state, "")
        loop = _to_loop(row)
        audit_services.record_change(
            actor=actor,
            verb="change_bar_raiser",
            subject_type=LOOP_SUBJECT,
            subject_id=row.id,
            before=before,
            after=_loop_audit(loop),
            reason=reason,
        )
    return loop


def get_loop(*, actor: Actor, loop_id: int) -> LoopRecord:
    """One loop, for its insiders (hiring/policy.py). Raises NotFound for everyone else."""
    return _to_loop(_loop_row(actor, loop_id))


def loop_view(*, actor: Actor, loop_id: int) -> LoopView:
    """A loop, the viewer's parties on it, the transitions they may take now and what would refuse its start
    (the loop page)."""
    row = _loop_row(actor, loop_id)
    ctx = _LoopContext(actor, row)
    parties = ctx.parties()
    return LoopView(
        loop=_to_loop(row, ctx.interviews()),
        parties=tuple(sorted(parties)),
        actions=machines.available(LOOP, _facts(ctx), parties),
        problems=tuple(ctx.problems()) if row.state == L.PLANNING.value else (),
    )


def loop_check(*, actor: Actor, loop_id: int) -> list[Problem]:
    """Every loop rule the loop breaks now (hiring/rules.py), each naming its rule and field: what would refuse
    its start. Insiders only (NotFound otherwise)."""
    row = _loop_row(actor, loop_id)
    return _LoopContext(actor, row).problems()


def list_loops(
    *,
    actor: Actor,
    opening_id: int | None = None,
    state: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[LoopRecord]:
    """The loops the actor is an insider of, newest first, by opening and state. Outsiders (admins included) see
    none. Raises RuleViolation naming a bad filter."""
    org_services.require_signed_in(actor)
    qs = _policy.visible_loops(actor, LoopRow.objects.select_related("opening", "candidate"))
    if opening_id is not None:
        qs = qs.filter(opening_id=opening_id)
    if state:
        if state not in {s.value for s in L}:
            raise RuleViolation(f"state must be one of {', '.join(s.value for s in L)}", field="state")
        qs = qs.filter(state=state)
    page = paginate(qs.order_by("-created_at", "-id"), limit=limit, offset=offset, convert=lambda r: r)
    rows = list(page.items)
    interviews = _interviews_of([r.id for r in rows])
    names = _names(rows, [i for ivs in interviews.values() for i in ivs])
    return page.map(lambda r: _to_loop(r, interviews.get(r.id, []), names))


def apply_loop_transition(
    *, actor: Actor, loop_id: int, version: int, transition: str, values: Mapping[str, Any]
) -> LoopRecord:
    """Take one transition of the declared loop machine (hiring/machines.py), in the order of
    kernel/machine_apply.py: the version (409), the state, the guard and the party (400/403 naming the rule), the
    input (400 naming the field), the compare-and-set, the timeline, the audit record, the notices. A start that
    breaks a loop rule is refused naming that rule (details.rule) and every problem (details.problems)."""
    row = _loop_row(actor, loop_id)
    if transition == "start" and row.version == version and row.state == L.PLANNING.value:
        ctx = _LoopContext(actor, row)
        if ctx.parties() & PLANNERS and (problems := ctx.problems()):
            first = problems[0]
            raise RuleViolation(
                f"{first.rule}: {first.message}",
                field=first.field,
                details={
                    "field": first.field,
                    "rule": first.rule,
                    "problems": [{"rule": p.rule, "field": p.field, "message": p.message} for p in problems],
                },
            )
    return machine_apply.apply(_BINDING, actor=actor, row=row, version=version, name=transition, raw=values)


def _move(name: str, actor: Actor, loop_id: int, version: int, **values: Any) -> LoopRecord:
    return apply_loop_transition(actor=actor, loop_id=loop_id, version=version, transition=name, values=values)


def start_loop(*, actor: Actor, loop_id: int, version: int) -> LoopRecord:
    """Start the loop: no loop rule broken (hiring/rules.py; refused naming the rule). From now on feedback is
    sealed and each interview's feedback is due after it ends. Hiring manager or recruiter."""
    return _move("start", actor, loop_id, version)


def open_debrief(*, actor: Actor, loop_id: int, version: int, reason: str = "") -> LoopRecord:
    """The bar raiser opens the debrief before all feedback is in, with a recorded reason (MECHANISMS.md §5; it
    opens by itself when the last feedback is submitted). Bar raiser only."""
    return _move("open_debrief", actor, loop_id, version, reason=reason)


def withdraw_loop(*, actor: Actor, loop_id: int, version: int, reason: str) -> LoopRecord:
    """Withdraw an undecided loop (the candidate withdrew, the opening closed), with a reason: the bar raiser's
    review is withdrawn and the candidate marked withdrawn. Hiring manager or recruiter."""
    return _move("withdraw", actor, loop_id, version, reason=reason)


# ---------------------------------------------------------------------------------------------- interviews


def add_interview(
    *,
    actor: Actor,
    loop_id: int,
    interviewer_id: int,
    starts_at: dt.datetime,
    ends_at: dt.datetime,
    principles: Sequence[str],
) -> InterviewRecord:
    """Add an interview to a loop being planned or under way (MECHANISMS.md §5): an active interviewer who is not
    in the loop yet (and, for a manager role, not one of the would-be reports), one or two of the opening's
    principles, an end after the start. Once the loop has started, the change must keep every loop rule (coverage
    included), and the feedback is due after the interview ends. The opening's recruiters and hiring manager.
    Raises NotFound, PermissionDenied, RuleViolation naming the rule and field."""
    row = _loop_row(actor, loop_id)
    _require_planner(actor, row, "plan this loop's interviews")
    _require_plannable(row)
    person = _active_person(actor, interviewer_id)
    values = _interview_values(row.opening, starts_at, ends_at, principles)
    ctx = _LoopContext(actor, row)
    problem = rules.interviewer_problem(ctx.rule_facts(), person.id)
    if problem is not None:
        raise _problem_error(problem)
    with transaction.atomic():
        interview = InterviewRow.objects.create(loop=row, interviewer_id=person.id, **values)
        _keep_rules_once_started(actor, row)
        _interview_audit(actor, "create", interview, before=None)
        if row.state == L.INTERVIEWING.value:
            _track_feedback(actor, row, interview, fresh=True)
        _notify_interviewer(actor, row, interview, "scheduled", "you interview for")
    return _to_interview(interview, {person.id: person})


def update_interview(
    *, actor: Actor, interview_id: int, version: int, changes: InterviewChanges
) -> InterviewRecord:
    """Move an interview or change its principles (MECHANISMS.md §5), before its feedback is submitted; once the
    loop has started every loop rule must still hold and the feedback's due time follows the new end. The
    opening's recruiters and hiring manager. Raises NotFound, PermissionDenied, RuleViolation, Conflict."""
    interview = _interview_row(actor, interview_id)
    row = interview.loop
    _require_planner(actor, row, "plan this loop's interviews")
    _require_plannable(row)
    _require_not_submitted(interview)
    if interview.cancelled:
        raise RuleViolation("this interview was cancelled", field="interview_id")
    if interview.version != version:
        raise _stale("interview", interview.id, version, interview.version)
    wanted = given(changes)
    values = _interview_values(
        row.opening,
        wanted.get("starts_at", interview.starts_at),
        wanted.get("ends_at", interview.ends_at),
        wanted.get("principles", interview.principles),
    )
    values = {k: v for k, v in values.items() if getattr(interview, k) != v}
    if not values:
        return _to_interview(interview)
    with transaction.atomic():
        before = _interview_view(interview)
        if not machine_apply.compare_and_set(interview, expected_version=version, changes=values):
            raise _stale("interview", interview.id, version, version + 1)
        _keep_rules_once_started(actor, row)
        _interview_audit(actor, "update", interview, before=before)
        if row.state == L.INTERVIEWING.value:
            _track_feedback(actor, row, interview)
        _notify_interviewer(actor, row, interview, "changed", "your interview moved:")
    return _to_interview(interview)


def cancel_interview(*, actor: Actor, interview_id: int, version: int, reason: str = "") -> InterviewRecord:
    """Cancel an interview whose feedback is not submitted (its draft, if any, stays its author's alone). Once the
    loop has started every loop rule must still hold; when every remaining interview has its feedback in, the
    debrief opens. The opening's recruiters and hiring manager. Raises NotFound, PermissionDenied,
    RuleViolation, Conflict."""
    interview = _interview_row(actor, interview_id)
    row = interview.loop
    _require_planner(actor, row, "cancel this loop's interviews")
    _require_plannable(row)
    _require_not_submitted(interview)
    if interview.cancelled:
        return _to_interview(interview)
    if interview.version != version:
        raise _stale("interview", interview.id, version, interview.version)
    note = _text(reason, "reason", 5000, required=False)
    with transaction.atomic():
        before = _interview_view(interview)
        if not machine_apply.compare_and_set(interview, expected_version=version, changes={"cancelled": True}):
            raise _stale("interview", interview.id, version, version + 1)
        _keep_rules_once_started(actor, row)
        _interview_audit(actor, "cancel", interview, before=before, reason=note)
        notifications_services.clear_deadline(actor=actor, subject_type=INTERVIEW_SUBJECT, subject_id=interview.id)
        _notify_interviewer(actor, row, interview, "cancelled", "cancelled: your interview for")
        _open_debrief_when_all_in(actor, row.pk)
    return _to_interview(interview)


def my_interviews(
    *, actor: Actor, upcoming: bool | None = None, limit: int | None = None, offset: int | None = None
) -> Page[MyInterview]:
    """The actor's own interviews (not cancelled) with their feedback status: none, draft or submitted, and when
    it is due. `upcoming`: True only those not ended yet, False only those ended. Soonest first."""
    org_services.require_signed_in(actor)
    qs = InterviewRow.objects.filter(interviewer_id=actor.person_id or -1, cancelled=False).select_related(
        "loop", "loop__opening"
    )
    now = clock.now()
    if upcoming is True:
        qs = qs.filter(ends_at__gte=now)
    elif upcoming is False:
        qs = qs.filter(ends_at__lt=now)
    page = paginate(qs.order_by("starts_at", "id"), limit=limit, offset=offset, convert=lambda r: r)
    feedback = {
        f.interview_id: f for f in FeedbackRow.objects.filter(interview_id__in=[i.id for i in page.items])
    }
    teams = _team_slugs({i.loop.opening.team_id for i in page.items})
    due = dt.timedelta(hours=feedback_due_hours())

    def convert(i: InterviewRow) -> MyInterview:
        fb = feedback.get(i.id)
        status = "none" if fb is None else ("submitted" if fb.submitted_at else "draft")
        return MyInterview(
            interview_id=i.id,
            loop_id=i.loop_id,
            loop_title=_title(i.loop, teams),
            loop_state=L(i.loop.state),
            starts_at=i.starts_at,
            ends_at=i.ends_at,
            principles=tuple(i.principles),
            feedback=status,
            submitted_at=fb.submitted_at if fb else None,
            due_at=i.ends_at + due,
            overdue=status != "submitted" and i.loop.state in WRITABLE and now > i.ends_at + due,
        )

    return page.map(convert)


# ---------------------------------------------------------------------------------------------- feedback


def save_feedback(
    *,
    actor: Actor,
    interview_id: int,
    vote: Vote | str | None = None,
    summary: str = "",
    evidence: Sequence[EvidenceInput] = (),
) -> FeedbackRecord:
    """Save the interviewer's draft feedback (MECHANISMS.md §5): only the interviewer, only evidence for the
    interview's assigned principles, ratings 1-4, a vote without neutral; a draft is readable by its author alone.
    Submitted feedback never changes: saving it again is refused naming `feedback`."""
    return _write_feedback(actor, interview_id, vote, summary, evidence, submit=False)


def submit_feedback(
    *,
    actor: Actor,
    interview_id: int,
    vote: Vote | str | None = None,
    summary: str = "",
    evidence: Sequence[EvidenceInput] = (),
) -> FeedbackRecord:
    """Submit the interviewer's feedback (MECHANISMS.md §5): only after the interview started; every assigned
    principle has all four STAR parts (situation, task, action, result) and a rating 1-4; an overall vote with no
    neutral. Records when, and the minutes from the interview's end; immutable afterwards (a later save or submit is
    refused naming `feedback`). Ends its reminders; when it is the last outstanding feedback, the debrief opens."""
    return _write_feedback(actor, interview_id, vote, summary, evidence, submit=True)


def get_feedback(*, actor: Actor, interview_id: int) -> FeedbackRecord:
    """One interviewer's feedback, sealed (docs/hiring.md, who sees what): the interviewer always reads their own;
    nobody else reads a draft; before the debrief opens insiders get PermissionDenied "sealed until the debrief"
    and outsiders (admins included) NotFound; after it, insiders read submitted feedback, except an interviewer who
    has not submitted their own ("sealed until you submit yours")."""
    interview = _interview_row(actor, interview_id, own_ok=True)
    fb = FeedbackRow.objects.filter(interview_id=interview.id).first()
    if interview.interviewer_id != actor.person_id:
        _policy.require_feedback_readable(
            actor,
            interview.loop,
            author_id=interview.interviewer_id,
            submitted=fb is not None and fb.submitted_at is not None,
            what=f"feedback on interview {interview.id}",
        )
    people = _people({interview.interviewer_id})
    return _to_feedback(interview, fb, people)


def feedback_status(*, actor: Actor, loop_id: int) -> FeedbackStatus:
    """Who has submitted feedback and when, with the minutes from the interview's end (MECHANISMS.md §5): what
    insiders may see before the debrief. Never a vote. Insiders only (NotFound otherwise)."""
    row = _loop_row(actor, loop_id)
    interviews = [i for i in _interviews_of([row.id]).get(row.id, []) if not i.cancelled]
    submitted = dict(
        FeedbackRow.objects.filter(interview__in=interviews, submitted_at__isnull=False).values_list(
            "interview_id", "submitted_at"
        )
    )
    minutes = dict(
        FeedbackRow.objects.filter(interview__in=interviews, submitted_at__isnull=False).values_list(
            "interview_id", "minutes_to_submit"
        )
    )
    people = _people({i.interviewer_id for i in interviews})
    now, due = clock.now(), dt.timedelta(hours=feedback_due_hours())
    lines = tuple(
        FeedbackStatusLine(
            interview_id=i.id,
            interviewer_id=i.interviewer_id,
            interviewer_handle=_handle(people, i.interviewer_id),
            ends_at=i.ends_at,
            submitted_at=submitted.get(i.id),
            minutes_to_submit=minutes.get(i.id),
            overdue=i.id not in submitted and row.state in WRITABLE and now > i.ends_at + due,
        )
        for i in interviews
    )
    return FeedbackStatus(loop_id=row.id, state=L(row.state), lines=lines)


def feedback_still_due(interview_ids: set[int]) -> set[int]:
    """Which of these interviews still owe their feedback (the deadlines helper asks before it reminds anyone):
    not cancelled, in a loop that is interviewing or in its debrief, feedback not submitted."""
    return set(
        InterviewRow.objects.filter(pk__in=interview_ids, cancelled=False, loop__state__in=sorted(WRITABLE))
        .exclude(feedback__submitted_at__isnull=False)
        .values_list("id", flat=True)
    )


# ---------------------------------------------------------------------------------------------- the debrief


def get_debrief(*, actor: Actor, loop_id: int) -> DebriefRecord:
    """The debrief room (MECHANISMS.md §5), for insiders once it is open: every submitted vote first (interviewer,
    vote, minutes to submit), then the feedback, the changed votes with their reasons, the bar raiser's
    recommendation and the decision. Nothing scores or ranks the candidate. An interviewer who has not submitted
    their own feedback reads nothing of the others' ("sealed until you submit yours"). Before it opens: 403
    "sealed until the debrief" for insiders, NotFound for everyone else."""
    row = _loop_row(actor, loop_id)
    _policy.require_debrief_readable(actor, row)
    interviews = [i for i in _interviews_of([row.id]).get(row.id, []) if not i.cancelled]
    feedback = {f.interview_id: f for f in FeedbackRow.objects.filter(interview__in=interviews)}
    evidence = _evidence_of([f.id for f in feedback.values() if f.submitted_at])
    changed = list(row.debrief_votes.order_by("at", "id"))
    people = _people({i.interviewer_id for i in interviews} | {v.person_id for v in changed} | {row.bar_raiser_id})
    submitted = [i for i in interviews if i.id in feedback and feedback[i.id].submitted_at]
    loop = _to_loop(row, _interviews_of([row.id]).get(row.id, []), _names([row], interviews))
    return DebriefRecord(
        loop=loop,
        votes=tuple(
            WrittenVote(
                interview_id=i.id,
                interviewer_id=i.interviewer_id,
                interviewer_handle=_handle(people, i.interviewer_id),
                vote=Vote(feedback[i.id].vote),
                minutes_to_submit=feedback[i.id].minutes_to_submit,
            )
            for i in submitted
        ),
        feedback=tuple(_to_feedback(i, feedback[i.id], people, evidence.get(feedback[i.id].id, [])) for i in submitted),
        changed_votes=tuple(
            DebriefVoteRecord(v.id, v.person_id, _handle(people, v.person_id), Vote(v.vote), v.reason, v.at)
            for v in changed
        ),
        missing=tuple(_handle(people, i.interviewer_id) for i in interviews if i not in submitted),
        recommendation=row.recommendation,
        recommendation_reasoning=row.recommendation_reasoning,
        vetoed=row.vetoed,
        decision=Decision(row.decision) if row.decision else None,
        decision_rationale=row.decision_rationale,
    )


def change_vote(*, actor: Actor, loop_id: int, vote: Vote | str, reason: str) -> DebriefVoteRecord:
    """Change one's vote in the debrief (MECHANISMS.md §5): a new entry with a required reason; the submitted
    feedback's vote is never touched. An interviewer who submitted feedback, while the debrief is open and
    undecided. Raises NotFound, PermissionDenied, RuleViolation naming the field."""
    row = _loop_row(actor, loop_id)
    _policy.require_debrief_readable(actor, row)
    if row.state != L.DEBRIEF.value:
        raise RuleViolation(f"the loop is {row.state}; votes change only during the debrief", field="state")
    mine = InterviewRow.objects.filter(
        loop=row, interviewer_id=actor.person_id or -1, cancelled=False, feedback__submitted_at__isnull=False
    ).exists()
    if not mine:
        raise PermissionDenied("only an interviewer who submitted feedback may change their vote", field="vote")
    value = _vote(vote, required=True)
    text = _text(reason, "reason", 5000)
    with transaction.atomic():
        entry = DebriefVoteRow.objects.create(loop=row, person_id=actor.person_id, vote=value, reason=text, at=clock.now())
        _event(row, actor, "change_vote", row.state, row.state, "")
        audit_services.record_change(
            actor=actor,
            verb="change_vote",
            subject_type=LOOP_SUBJECT,
            subject_id=row.id,
            after={"vote": value, "reason": text},
            reason=text,
        )
    people = _people({actor.person_id})
    return DebriefVoteRecord(entry.id, entry.person_id, _handle(people, entry.person_id), Vote(value), text, entry.at)


def recommend_on_loop(
    *, actor: Actor, loop_id: int, recommendation: Recommendation | str, reasoning: str
) -> LoopRecord:
    """The bar raiser's recommendation at the debrief (MECHANISMS.md §4-§5): approve, approve with concerns or do
    not proceed, with written reasoning, recorded on the loop's bar-raiser review. A do-not-proceed is a veto: it
    is recorded on the loop and blocks an offer. The loop's bar raiser, while the debrief is open. Raises NotFound,
    PermissionDenied, RuleViolation, Conflict."""
    row = _loop_row(actor, loop_id)
    if LoopParty.BAR_RAISER.value not in _policy.loop_roles(actor, row):
        raise PermissionDenied("only the loop's bar raiser may recommend", field="recommendation")
    if row.state != L.DEBRIEF.value:
        raise RuleViolation(
            f"the loop is {row.state}; the bar raiser recommends at the debrief", field="state"
        )
    value = recommendation.value if isinstance(recommendation, Recommendation) else recommendation
    if value not in {r.value for r in Recommendation}:
        raise RuleViolation(
            f"recommendation must be one of {', '.join(r.value for r in Recommendation)}", field="recommendation"
        )
    text = _text(reasoning, "reasoning", TEXT_MAX)
    review = _review(actor, row)
    version = row.version
    before = _loop_audit(_to_loop(row))
    with transaction.atomic():
        bar_raisers_services.recommend(
            actor=actor, review_id=review.id, version=review.version, recommendation=value, reasoning=text
        )
        vetoed = value == Recommendation.DO_NOT_PROCEED.value
        _cas(row, version, {"recommendation": value, "recommendation_reasoning": text, "vetoed": vetoed})
        _event(row, actor, "veto" if vetoed else "recommend", row.state, row.state, value)
        loop = _to_loop(row)
        audit_services.record_change(
            actor=actor,
            verb="recommend",
            subject_type=LOOP_SUBJECT,
            subject_id=row.id,
            before=before,
            after=_loop_audit(loop),
        )
        words = "vetoed (do not proceed)" if vetoed else "recommended"
        _notify(actor, row, "recommended", f"{loop.title}: the bar raiser {words}", _insiders(row))
    return loop


def decide(*, actor: Actor, loop_id: int, decision: Decision | str, rationale: str, version: int) -> LoopRecord:
    """The hiring manager's decision after the bar raiser's recommendation (MECHANISMS.md §4-§5), with a rationale.
    A hire is refused under a veto (do not proceed). A decision agreeing with the recommendation accepts the review;
    a no-hire against an approval is an override there, and the hiring manager's management chain is told. The
    candidate moves to offer or rejected. A human makes the call: nothing here scores candidates."""
    value = decision.value if isinstance(decision, Decision) else decision
    return _move("decide", actor, loop_id, version, decision=value, rationale=rationale)


# ---------------------------------------------------------------------------------------------- bar-raisers kind


def describe_loop(actor: Actor, loop_id: int) -> Subject:
    """The loop as a bar-raiser review subject, for an actor who may see it (NotFound otherwise): its title names
    the opening and loop number only; the owner is the hiring manager; the owning team is the opening's; the
    recruiter is excluded."""
    return _subject(_loop_row(actor, loop_id))


def visible_loop_ids(actor: Actor, ids: frozenset[int]) -> frozenset[int]:
    """Which of these loops the actor may see (their insiders): also who may read the loop's reviews."""
    if not actor.is_authenticated or not ids:
        return frozenset()
    qs = _policy.visible_loops(actor, LoopRow.objects.filter(pk__in=sorted(ids)))
    return frozenset(qs.values_list("pk", flat=True))


def recommendation_hold(loop_id: int) -> str | None:
    """Why the bar raiser may not recommend yet (None once the debrief is open)."""
    state = LoopRow.objects.filter(pk=loop_id).values_list("state", flat=True).first()
    if state == L.DEBRIEF.value:
        return None
    if state in (L.PLANNING.value, L.INTERVIEWING.value):
        return "the recommendation waits for the debrief: it opens when all feedback is in"
    return f"the loop is {state}"


# ---------------------------------------------------------------------------------------------- loops: private


def _candidate_row(actor: Actor, candidate_id: Any) -> CandidateRow:
    row = None
    if isinstance(candidate_id, int) and 0 < candidate_id < 2**63:
        qs = _policy.visible_candidates(actor, CandidateRow.objects.select_related("opening"))
        row = qs.filter(pk=candidate_id).first()
    if row is None:
        raise NotFound(f"candidate {candidate_id} does not exist", field="candidate_id")
    return row


def _loop_row(actor: Actor, loop_id: Any) -> LoopRow:
    org_services.require_signed_in(actor)
    row = None
    if isinstance(loop_id, int) and 0 < loop_id < 2**63:
        ids = _policy.visible_loops(actor, LoopRow.objects.filter(pk=loop_id)).values("pk")
        row = LoopRow.objects.select_related("opening", "candidate").filter(pk__in=ids).first()
    if row is None:
        raise NotFound(f"loop {loop_id} does not exist", field="loop_id")
    return row


def _interview_row(actor: Actor, interview_id: Any, *, own_ok: bool = False) -> InterviewRow:
    """An interview of a loop the actor is an insider of (or, with `own_ok`, their own interview even when it was
    cancelled: an interviewer always reads their own feedback). NotFound otherwise."""
    org_services.require_signed_in(actor)
    row = None
    if isinstance(interview_id, int) and 0 < interview_id < 2**63:
        row = InterviewRow.objects.select_related("loop", "loop__opening", "loop__candidate").filter(pk=interview_id).first()
    if row is not None and not (own_ok and actor.person_id is not None and row.interviewer_id == actor.person_id):
        visible = _policy.visible_loops(actor, LoopRow.objects.filter(pk=row.loop_id)).exists()
        row = row if visible else None
    if row is None:
        raise NotFound(f"interview {interview_id} does not exist", field="interview_id")
    return row


def _require_planner(actor: Actor, row: LoopRow, what: str) -> None:
    _policy.require(actor, "plan_loop", row.opening, what=what)


def _require_plannable(row: LoopRow) -> None:
    if row.state not in PLANNABLE:
        raise RuleViolation(f"the loop is {row.state}; interviews change only before the debrief", field="state")


def _require_not_submitted(interview: InterviewRow) -> None:
    if FeedbackRow.objects.filter(interview_id=interview.id, submitted_at__isnull=False).exists():
        raise RuleViolation("the feedback on this interview is submitted; the interview stays as it was", field="feedback")


def _require_version(row: LoopRow, version: int) -> None:
    if row.version != version:
        raise _stale("loop", row.id, version, row.version)


def _stale(noun: str, pk: int, expected: int, current: int) -> Conflict:
    return Conflict(
        f"{noun} {pk} was changed by someone else (you read version {expected}, it is now {current}); reload and "
        "try again",
        field="version",
        details={"field": "version", "expected": expected, "current": current},
    )


def _cas(row: LoopRow, version: int, changes: dict[str, Any]) -> None:
    if not machine_apply.compare_and_set(row, expected_version=version, changes=changes):
        raise _stale("loop", row.id, version, version + 1)


def _recruiter_refusal() -> RuleViolation:
    return RuleViolation(
        "the recruiter may never be the loop's bar raiser",
        field="bar_raiser_id",
        details={"field": "bar_raiser_id", "rule": "recruiter-not-bar-raiser"},
    )


def _problem_error(problem: Problem) -> RuleViolation:
    return RuleViolation(
        f"{problem.rule}: {problem.message}",
        field=problem.field,
        details={"field": problem.field, "rule": problem.rule},
    )


def _active_person(actor: Actor, person_id: Any):
    person = None
    if isinstance(person_id, int) and 0 < person_id < 2**63:
        person = org_services.get_people(actor=Actor.system("hiring"), ids=[person_id]).get(person_id)
    if person is None:
        raise NotFound(f"person {person_id} does not exist", field="interviewer_id")
    if not person.active:
        raise RuleViolation(f"{person.handle} is not active", field="interviewer_id")
    return person


def _interview_values(opening: OpeningRow, starts_at: Any, ends_at: Any, principles: Any) -> dict[str, Any]:
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if not isinstance(value, dt.datetime) or timezone.is_naive(value):
            raise RuleViolation(f"{name} must be a date and time with its time zone", field=name)
    if ends_at <= starts_at:
        raise RuleViolation(
            "the interview must end after it starts", field="ends_at", details={"field": "ends_at", "rule": "interview-times"}
        )
    if isinstance(principles, str) or not all(isinstance(p, str) for p in principles or ()):
        raise RuleViolation("principles must be a list of principle slugs", field="principles")
    chosen = list(dict.fromkeys(principles))
    if not 1 <= len(chosen) <= rules.MAX_PRINCIPLES_PER_INTERVIEW or len(chosen) != len(principles):
        raise RuleViolation(
            "an interview assesses one or two different principles",
            field="principles",
            details={"field": "principles", "rule": "principles-per-interview"},
        )
    unknown = [p for p in chosen if p not in opening.principles]
    if unknown:
        raise RuleViolation(
            f"{unknown[0]} is not one of the opening's principles ({', '.join(opening.principles)})",
            field="principles",
            details={"field": "principles", "rule": "principle-not-in-opening"},
        )
    return {"starts_at": starts_at, "ends_at": ends_at, "principles": chosen}


def _keep_rules_once_started(actor: Actor, row: LoopRow) -> None:
    """After a change to a started loop's interviews (inside its transaction): every loop rule must still hold."""
    if row.state != L.INTERVIEWING.value:
        return
    problems = [p for p in _LoopContext(actor, row).problems() if not p.rule.startswith("bar-raiser")]
    if problems:
        raise _problem_error(problems[0])


def _would_be_reports(opening: OpeningRow) -> frozenset[int]:
    """For a manager role: the opening team's members except the hiring manager, plus the named would-be reports."""
    if not opening.manager_role:
        return frozenset()
    sides = org_services.team_sides(actor=Actor.system("hiring"), team_ids=[opening.team_id])
    side = sides.get(opening.team_id)
    members = set(side.people) if side is not None else set()
    return frozenset((members - {opening.hiring_manager_id}) | {int(i) for i in opening.reports_ids or ()})


class _LoopContext:
    """What one operation on a loop reads about it, each once: its interviews, the submitted feedback count, the
    actor's parties, the loop rules' facts (the bar raiser's eligibility from the bar-raisers app)."""

    def __init__(self, actor: Actor, row: LoopRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now = clock.now()
        self._interviews: list[InterviewRow] | None = None
        self._submitted: set[int] | None = None
        self._parties: frozenset[str] | None = None

    def interviews(self) -> list[InterviewRow]:
        if self._interviews is None:
            self._interviews = list(InterviewRow.objects.filter(loop_id=self.row.pk).order_by("starts_at", "id"))
        return self._interviews

    def live(self) -> list[InterviewRow]:
        return [i for i in self.interviews() if not i.cancelled]

    def submitted(self) -> set[int]:
        if self._submitted is None:
            self._submitted = set(
                FeedbackRow.objects.filter(interview__loop_id=self.row.pk, submitted_at__isnull=False).values_list(
                    "interview_id", flat=True
                )
            )
        return self._submitted

    def missing_feedback(self) -> int:
        return sum(1 for i in self.live() if i.id not in self.submitted())

    def parties(self) -> frozenset[str]:
        if self._parties is None:
            self._parties = _policy.loop_roles(self.actor, self.row)
        return self._parties

    def rule_facts(self) -> rules.LoopFacts:
        row, opening = self.row, self.row.opening
        live = self.live()
        people = _people({i.interviewer_id for i in live})
        problem, rule = None, "bar-raiser-independent"
        if row.bar_raiser_id is not None:
            try:
                bar_raisers_services.require_eligible(
                    actor=Actor.system("hiring"), person_id=row.bar_raiser_id, subject=_subject(row)
                )
            except RuleViolation as refused:
                problem = refused.message
                if (refused.details or {}).get("rule") != "independence":
                    rule = "bar-raiser-eligible"
        return rules.LoopFacts(
            opening_state=opening.state,
            job_description=opening.job_description,
            opening_principles=tuple(opening.principles),
            interviews=tuple(
                rules.InterviewFacts(
                    i.interviewer_id, i.starts_at, i.ends_at, tuple(i.principles), _handle(people, i.interviewer_id)
                )
                for i in live
            ),
            bar_raiser_id=row.bar_raiser_id,
            bar_raiser_problem=problem,
            bar_raiser_problem_rule=rule,
            recruiter_ids=frozenset({opening.recruiter_id} - {None}),
            manager_role=opening.manager_role,
            would_be_reports=_would_be_reports(opening),
        )

    def problems(self) -> list[Problem]:
        return rules.loop_problems(self.rule_facts())


def _facts(ctx: _LoopContext) -> LoopMachineFacts:
    row = ctx.row
    return LoopMachineFacts(
        state=row.state,
        problems=tuple(ctx.problems()) if row.state == L.PLANNING.value else (),
        missing_feedback=ctx.missing_feedback() if row.state == L.INTERVIEWING.value else 0,
        submitted_feedback=len(ctx.submitted()) if row.state == L.INTERVIEWING.value else 0,
        recommendation=row.recommendation,
        vetoed=row.vetoed or row.recommendation == Recommendation.DO_NOT_PROCEED.value,
    )


def _snapshot(ctx: _LoopContext) -> dict[str, Any]:
    return _loop_audit(_to_loop(ctx.row, ctx.interviews()))


def _record(step: machine_apply.Step) -> LoopRecord:
    """After the compare-and-set, in the same transaction: the timeline, the audit record, the review's response,
    the candidate's state, the feedback deadlines and the notices."""
    ctx: _LoopContext = step.context
    row, t, actor = ctx.row, step.transition, ctx.actor
    _event(row, actor, t.name, step.from_state, step.to_state, step.note if t.name != "decide" else step.values["decision"])
    if t.name == "start":
        for interview in ctx.live():
            _track_feedback(actor, row, interview)
    elif t.name == "decide":
        _respond_to_review(actor, row, step.values["decision"], step.values["rationale"])
        state = CandidateState.OFFER if step.to_state == L.OFFER.value else CandidateState.REJECTED
        _set_candidate_state(actor, row.candidate, state)
    elif t.name == "withdraw":
        review = _review(actor, row, required=False)
        if review is not None and review.state.value in ("requested", "recommended"):
            bar_raisers_services.withdraw_review(
                actor=actor, review_id=review.id, version=review.version, reason="the loop was withdrawn"
            )
        for interview in ctx.live():
            notifications_services.clear_deadline(actor=actor, subject_type=INTERVIEW_SUBJECT, subject_id=interview.id)
        _set_candidate_state(actor, row.candidate, CandidateState.WITHDRAWN)
    loop = _to_loop(row, ctx.interviews())
    audit_services.record_change(
        actor=actor,
        verb=t.name,
        subject_type=LOOP_SUBJECT,
        subject_id=row.id,
        before=step.before,
        after=_loop_audit(loop),
        reason=step.note,
    )
    words = t.words_for(t.notice, step.to_state) or t.name.replace("_", " ")
    _notify(actor, row, t.name, words.format(title=loop.title), _insiders(row, ctx.live()))
    return loop


_BINDING = machine_apply.Binding(
    machine=LOOP,
    load=_LoopContext,
    facts=_facts,
    parties=lambda ctx: ctx.parties(),
    snapshot=_snapshot,
    record=_record,
)


def _respond_to_review(actor: Actor, row: LoopRow, decision: str, rationale: str) -> None:
    """A decision agreeing with the recommendation accepts the loop's review; a no-hire against an approval is an
    override (MECHANISMS.md §4: recorded with its rationale, the hiring manager's chain is told by bar_raisers). A
    hire against a do-not-proceed never gets here: the veto refuses it."""
    review = _review(actor, row)
    if review.state.value != "recommended":
        return  # answered already (a repeated call), or withdrawn: nothing to respond to
    inclined = review.recommendation in (Recommendation.APPROVE, Recommendation.APPROVE_WITH_CONCERNS)
    if decision == Decision.NO_HIRE.value and inclined:
        bar_raisers_services.override_review(
            actor=actor, review_id=review.id, version=review.version, rationale=rationale
        )
    else:
        bar_raisers_services.accept_review(actor=actor, review_id=review.id, version=review.version)


def _review(actor: Actor, row: LoopRow, *, required: bool = True):
    review = bar_raisers_services.review_for(actor=actor, subject_kind=SubjectKind.HIRING_LOOP, subject_id=row.id)
    if review is None and required:
        raise RuleViolation("this loop has no bar-raiser review", field="bar_raiser_id")
    return review


def _open_debrief_when_all_in(actor: Actor, loop_id: int) -> None:
    """The debrief opens by itself when the last outstanding feedback of an interviewing loop is in (MECHANISMS.md
    §5), inside the caller's transaction."""
    row = LoopRow.objects.select_related("opening", "candidate").get(pk=loop_id)
    if row.state != L.INTERVIEWING.value:
        return
    ctx = _LoopContext(actor, row)
    if not ctx.live() or ctx.missing_feedback():
        return
    machine_apply.write(
        _BINDING,
        actor=actor,
        row=row,
        transition=LOOP.transition("open_debrief"),
        to_state=L.DEBRIEF.value,
        changes={"debrief_opened_at": clock.now(), "debrief_opened_early": False, "debrief_open_reason": ""},
        note="all feedback is in",
    )


def _write_feedback(
    actor: Actor, interview_id: int, vote: Any, summary: Any, evidence: Sequence[EvidenceInput], *, submit: bool
) -> FeedbackRecord:
    interview = _interview_row(actor, interview_id, own_ok=True)
    row = interview.loop
    if interview.interviewer_id != actor.person_id:
        raise PermissionDenied("only the interviewer writes their feedback", field="interview_id")
    if interview.cancelled:
        raise RuleViolation("this interview was cancelled", field="interview_id")
    if row.state not in WRITABLE:
        raise RuleViolation(
            f"the loop is {row.state}; feedback is written once the loop has started and before its decision",
            field="state",
        )
    existing = FeedbackRow.objects.filter(interview_id=interview.id).first()
    if existing is not None and existing.submitted_at is not None:
        raise _immutable()
    now = clock.now()
    if submit and now < interview.starts_at:
        raise RuleViolation("the interview has not started yet; feedback is written after it", field="interview")
    value = _vote(vote, required=False)
    text = _text(summary, "summary", TEXT_MAX, required=False)
    items = _clean_evidence(evidence)
    problems = rules.feedback_problems(
        principles=tuple(interview.principles), vote=value or None, evidence=items, complete=submit
    )
    if problems:
        first = problems[0]
        raise RuleViolation(
            first.message,
            field=first.field,
            details={
                "field": first.field,
                "rule": first.rule,
                "problems": [{"rule": p.rule, "field": p.field, "message": p.message} for p in problems],
            },
        )
    with transaction.atomic():
        if existing is None:
            existing = FeedbackRow.objects.create(interview=interview, started_at=now)
        changes: dict[str, Any] = {"vote": value, "summary": text}
        if submit:
            changes.update(submitted_at=now, minutes_to_submit=rules.minutes_between(interview.ends_at, now))
        # Compare-and-set on "not submitted": a concurrent submission wins and this write changes nothing.
        if not FeedbackRow.objects.filter(pk=existing.pk, submitted_at__isnull=True).update(**changes):
            raise _immutable()
        for key, v in changes.items():
            setattr(existing, key, v)
        EvidenceRow.objects.filter(feedback=existing).delete()
        EvidenceRow.objects.bulk_create(
            EvidenceRow(
                feedback=existing,
                principle=e.principle,
                situation=e.situation,
                task=e.task,
                action=e.action,
                result=e.result,
                rating=e.rating,
            )
            for e in items
        )
        audit_services.record_change(
            actor=actor,
            verb="submit" if submit else "save",
            subject_type=FEEDBACK_SUBJECT,
            subject_id=interview.id,
            after={"vote": value, "summary": text, "evidence": [e.principle for e in items]},
        )
        if submit:
            notifications_services.clear_deadline(actor=actor, subject_type=INTERVIEW_SUBJECT, subject_id=interview.id)
            _open_debrief_when_all_in(actor, row.pk)
    return _to_feedback(interview, existing, _people({interview.interviewer_id}), list(existing.evidence.all()))


def _immutable() -> RuleViolation:
    return RuleViolation(
        "submitted feedback never changes; a changed vote is a new entry at the debrief",
        field="feedback",
        details={"field": "feedback", "rule": "immutable"},
    )


def _vote(value: Any, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise RuleViolation("a vote is required (there is no neutral)", field="vote")
        return ""
    text = value.value if isinstance(value, Vote) else value
    if text not in {v.value for v in Vote}:
        raise RuleViolation(
            "the vote is strong_hire, hire, no_hire or strong_no_hire (there is no neutral)", field="vote"
        )
    return text


def _clean_evidence(evidence: Any) -> list[EvidenceInput]:
    if isinstance(evidence, str | bytes) or not isinstance(evidence, Sequence):
        raise RuleViolation("evidence must be a list, one entry per assigned principle", field="evidence")
    cleaned = []
    for n, item in enumerate(evidence):
        if not isinstance(item, EvidenceInput):
            raise RuleViolation("each evidence entry names a principle and its STAR parts", field=f"evidence[{n}]")
        if item.rating is not None and (isinstance(item.rating, bool) or not isinstance(item.rating, int)):
            raise RuleViolation("a rating is 1, 2, 3 or 4", field=f"evidence[{n}].rating")
        parts = {
            part: _text(getattr(item, part), f"evidence[{n}].{part}", TEXT_MAX, required=False) for part in rules.STAR
        }
        principle = _text(item.principle, f"evidence[{n}].principle", 64)
        cleaned.append(EvidenceInput(principle=principle, rating=item.rating, **parts))
    return cleaned


def _track_feedback(actor: Actor, row: LoopRow, interview: InterviewRow, *, fresh: bool = False) -> None:
    """Feedback is due MECH_FEEDBACK_DUE_HOURS after the interview ends; the interviewer is reminded, and late
    feedback climbs their management chain (notifications' deadlines helper; `feedback_still_due` ends it)."""
    escalate = feedback_escalate_hours()
    notifications_services.track_deadline(
        actor=actor,
        subject_type=INTERVIEW_SUBJECT,
        subject_id=interview.id,
        due_at=interview.ends_at + dt.timedelta(hours=feedback_due_hours()),
        owner_ids={interview.interviewer_id},
        title=f"Your feedback for {_title(row)}",
        kind="hiring_feedback.overdue",
        url=f"/hiring/interviews/{interview.id}/feedback",
        remind_every=dt.timedelta(hours=24),
        escalate_after=dt.timedelta(hours=escalate) if escalate > 0 else None,
        escalate_from_id=interview.interviewer_id,
        fresh=fresh,
    )


def _set_candidate_state(actor: Actor, candidate: CandidateRow, state: CandidateState) -> None:
    if candidate.state == state.value:
        return
    before = candidate.state
    CandidateRow.objects.filter(pk=candidate.pk).update(
        state=state.value, version=F("version") + 1, updated_at=timezone.now()
    )
    candidate.state = state.value
    candidate.version += 1
    audit_services.record_change(
        actor=actor,
        verb="state",
        subject_type=CANDIDATE_SUBJECT,
        subject_id=candidate.pk,
        before={"state": before},
        after={"state": state.value},
    )


def _subject(row: LoopRow) -> Subject:
    opening = row.opening
    return Subject(
        kind=SubjectKind.HIRING_LOOP,
        id=row.id,
        title=_title(row),
        owner_id=opening.hiring_manager_id,
        team_ids=(opening.team_id,),
        excluded_ids=tuple(i for i in (opening.recruiter_id,) if i is not None),
        url=f"/hiring/loops/{row.id}",
    )


def _title(row: LoopRow, teams: Mapping[int, str] | None = None) -> str:
    """"Loop #12 for Senior SDE (payments)": the opening and the loop number, never the candidate."""
    opening = row.opening
    slugs = teams if teams is not None else _team_slugs({opening.team_id})
    return f"Loop #{row.id} for {opening.title} ({slugs.get(opening.team_id, opening.team_id)})"[:200]


def _team_slugs(team_ids: Iterable[int]) -> dict[int, str]:
    teams = org_services.get_teams(actor=Actor.system("hiring"), ids=set(team_ids))
    return {t.id: t.slug for t in teams.values()}


def _people(ids: Iterable[int | None]) -> dict:
    wanted = {i for i in ids if i is not None}
    return org_services.get_people(actor=Actor.system("hiring"), ids=wanted) if wanted else {}


def _handle(people: Mapping, person_id: int | None) -> str:
    person = people.get(person_id)
    return person.handle if person is not None else ("" if person_id is None else str(person_id))


def _insiders(row: LoopRow, live: Iterable[InterviewRow] | None = None) -> set[int]:
    """The loop's insiders to tell of a move: hiring manager, named recruiter, bar raiser, interviewers."""
    if live is None:
        live = InterviewRow.objects.filter(loop=row, cancelled=False)
    people = {row.opening.hiring_manager_id, row.opening.recruiter_id, row.bar_raiser_id}
    return {p for p in people | {i.interviewer_id for i in live} if p is not None}


def _notify(
    actor: Actor, row: LoopRow, what: str, title: str, recipients: Iterable[int | None], *, kind: str | None = None
) -> None:
    """Tell insiders about a loop. The title names the opening and loop number; the body never carries candidate
    contact, feedback text, votes or ratings (docs/hiring.md): the link shows the rest behind the policy."""
    notifications_services.notify(
        actor=actor,
        recipients=[r for r in recipients if r is not None],
        kind=kind or f"hiring_loop.{what}",
        title=title[:200],
        body="Open the loop for the details you may see.",
        url=f"/hiring/loops/{row.id}",
        subject_type=LOOP_SUBJECT,
        subject_id=row.id,
    )


def _notify_interviewer(actor: Actor, row: LoopRow, interview: InterviewRow, what: str, words: str) -> None:
    when = interview.starts_at.isoformat(timespec="minutes")
    notifications_services.notify(
        actor=actor,
        recipients=[interview.interviewer_id],
        kind=f"hiring_interview.{what}",
        title=f"{words.capitalize()} {_title(row)}"[:200] if what != "changed" else f"{_title(row)}: {words}"[:200],
        body=f"Starts {when}; principles: {', '.join(interview.principles)}.",
        url="/hiring/me/interviews",
        subject_type=INTERVIEW_SUBJECT,
        subject_id=interview.id,
    )


def _event(row: LoopRow, actor: Actor, transition: str, from_state: str, to_state: str, note: str) -> None:
    LoopEventRow.objects.create(
        loop=row,
        at=clock.now(),
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.person_id,
        actor_label=actor.label[:200],
        note=note or "",
    )


def _interview_audit(
    actor: Actor, verb: str, interview: InterviewRow, *, before: dict[str, Any] | None, reason: str = ""
) -> None:
    audit_services.record_change(
        actor=actor,
        verb=verb,
        subject_type=INTERVIEW_SUBJECT,
        subject_id=interview.id,
        before=before,
        after=_interview_view(interview),
        reason=reason,
    )


def _interview_view(interview: InterviewRow) -> dict[str, Any]:
    return {
        "loop_id": interview.loop_id,
        "interviewer_id": interview.interviewer_id,
        "starts_at": interview.starts_at.isoformat(),
        "ends_at": interview.ends_at.isoformat(),
        "principles": list(interview.principles),
        "cancelled": interview.cancelled,
    }


def _loop_audit(loop: LoopRecord) -> dict[str, Any]:
    return {
        "state": loop.state.value,
        "bar_raiser_id": loop.bar_raiser_id,
        "debrief_opened_at": loop.debrief_opened_at.isoformat() if loop.debrief_opened_at else None,
        "debrief_open_reason": loop.debrief_open_reason,
        "recommendation": loop.recommendation,
        "vetoed": loop.vetoed,
        "decision": loop.decision.value if loop.decision else None,
        "decision_rationale": loop.decision_rationale,
        "version": loop.version,
    }


def _interviews_of(loop_ids: Iterable[int]) -> dict[int, list[InterviewRow]]:
    found: dict[int, list[InterviewRow]] = {}
    for i in InterviewRow.objects.filter(loop_id__in=list(loop_ids)).order_by("starts_at", "id"):
        found.setdefault(i.loop_id, []).append(i)
    return found


def _evidence_of(feedback_ids: Iterable[int]) -> dict[int, list[EvidenceRow]]:
    found: dict[int, list[EvidenceRow]] = {}
    for e in EvidenceRow.objects.filter(feedback_id__in=list(feedback_ids)).order_by("id"):
        found.setdefault(e.feedback_id, []).append(e)
    return found


def _names(rows: Sequence[LoopRow], interviews: Sequence[InterviewRow]) -> dict[str, dict]:
    people = _people({i.interviewer_id for i in interviews} | {r.bar_raiser_id for r in rows})
    return {"people": people, "teams": _team_slugs({r.opening.team_id for r in rows})}


def _to_interview(
    row: InterviewRow, people: Mapping | None = None, submitted: Mapping[int, dt.datetime] | None = None
) -> InterviewRecord:
    people = people if people is not None else _people({row.interviewer_id})
    if submitted is None:
        submitted = dict(
            FeedbackRow.objects.filter(interview_id=row.id, submitted_at__isnull=False).values_list(
                "interview_id", "submitted_at"
            )
        )
    person = people.get(row.interviewer_id)
    return InterviewRecord(
        id=row.id,
        loop_id=row.loop_id,
        interviewer_id=row.interviewer_id,
        interviewer_handle=person.handle if person else str(row.interviewer_id),
        interviewer_name=person.name if person else "",
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        principles=tuple(row.principles),
        cancelled=row.cancelled,
        submitted_at=submitted.get(row.id),
        version=row.version,
    )


def _to_loop(
    row: LoopRow, interviews: Sequence[InterviewRow] | None = None, names: dict[str, dict] | None = None
) -> LoopRecord:
    if interviews is None:
        interviews = list(InterviewRow.objects.filter(loop_id=row.pk).order_by("starts_at", "id"))
    names = names if names is not None else _names([row], interviews)
    people = names["people"]
    submitted = dict(
        FeedbackRow.objects.filter(interview__in=[i.id for i in interviews], submitted_at__isnull=False).values_list(
            "interview_id", "submitted_at"
        )
    )
    opening = row.opening
    return LoopRecord(
        id=row.id,
        title=_title(row, names["teams"]),
        opening_id=opening.id,
        opening_title=opening.title,
        candidate_id=row.candidate_id,
        candidate_name=row.candidate.name,
        team_id=opening.team_id,
        hiring_manager_id=opening.hiring_manager_id,
        recruiter_id=opening.recruiter_id,
        state=L(row.state),
        bar_raiser_id=row.bar_raiser_id,
        bar_raiser_handle=_handle(people, row.bar_raiser_id),
        debrief_opened_at=row.debrief_opened_at,
        debrief_opened_early=row.debrief_opened_early,
        debrief_open_reason=row.debrief_open_reason,
        recommendation=row.recommendation,
        vetoed=row.vetoed,
        decision=Decision(row.decision) if row.decision else None,
        decision_rationale=row.decision_rationale,
        decided_at=row.decided_at,
        interviews=tuple(_to_interview(i, people, submitted) for i in interviews),
        created_at=row.created_at,
        version=row.version,
    )


def _to_feedback(
    interview: InterviewRow,
    fb: FeedbackRow | None,
    people: Mapping,
    evidence: Sequence[EvidenceRow] | None = None,
) -> FeedbackRecord:
    if fb is not None and evidence is None:
        evidence = list(fb.evidence.order_by("id"))
    return FeedbackRecord(
        interview_id=interview.id,
        loop_id=interview.loop_id,
        interviewer_id=interview.interviewer_id,
        interviewer_handle=_handle(people, interview.interviewer_id),
        principles=tuple(interview.principles),
        vote=Vote(fb.vote) if fb is not None and fb.vote else None,
        summary=fb.summary if fb is not None else "",
        evidence=tuple(
            EvidenceRecord(e.principle, e.situation, e.task, e.action, e.result, e.rating) for e in evidence or ()
        ),
        started_at=fb.started_at if fb is not None else None,
        submitted_at=fb.submitted_at if fb is not None else None,
        minutes_to_submit=fb.minutes_to_submit if fb is not None else None,
    )

