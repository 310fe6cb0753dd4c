"""The hiring app's kinds of record with a history, registered with the audit app (docs/audit.md).

- `hiring_principle` (OPEN): the list of leadership principles, open to every signed-in person;
- `hiring_opening` (OPEN): openings are an internal job posting, readable by every signed-in person; so is their
  history.
- `hiring_candidate` (ERASABLE): a candidate's changes are sealed under a key of that candidate, readable only by
  the candidate's insiders (hiring/policy.py); erasing the candidate destroys the key.
The `loops` helper adds `hiring_loop`, `hiring_interview` and `hiring_feedback` (CONFIDENTIAL) below.
"""

from __future__ import annotations

from mechanisms.audit import services as audit_services
from mechanisms.audit.contracts import Sensitivity, SubjectType
from mechanisms.kernel.actor import Actor
from mechanisms.notifications.contracts import DEADLINE_VERBS

from . import policy as _policy

PRINCIPLE = "hiring_principle"
OPENING = "hiring_opening"
CANDIDATE = "hiring_candidate"

OPENING_VERBS = frozenset({"create", "update", "open", "hold", "reopen", "close", "fill"})
CANDIDATE_VERBS = frozenset({"create", "update", "attach_resume", "withdraw", "accept_offer", "state", "erase"})


def _visible(subject_type: str):
    def visible(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
        return _policy.visible_ids(actor, subject_type, ids)

    return visible


def _erase_candidate(subject_id: str) -> None:
    """The audit app's call during `erase_subject` (whoever asked for it): blank the candidate's live content in
    every hiring table, in the erasure's transaction."""
    from . import services

    services.erase_live(int(subject_id))


def register() -> None:
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=PRINCIPLE,
            owner="hiring",
            label="leadership principle",
            verbs=frozenset({"create", "update"}),
            visible=audit_services.visible_to_signed_in,
        )
    )
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=OPENING,
            owner="hiring",
            label="job opening",
            verbs=OPENING_VERBS,
            visible=_visible(OPENING),
            url=lambda sid: f"/hiring/openings/{sid}",
        )
    )
    audit_services.register_subject_type(
        subject_type=SubjectType(
            name=CANDIDATE,
            owner="hiring",
            label="candidate",
            verbs=CANDIDATE_VERBS,
            sensitivity=Sensitivity.ERASABLE,
            visible=_visible(CANDIDATE),
            url=lambda sid: f"/hiring/candidates/{sid}",
            erase=_erase_candidate,
        )
    )


# --- loops: hiring_loop, hiring_interview, hiring_feedback (CONFIDENTIAL: the log keeps field names, never values)

LOOP = "hiring_loop"
INTERVIEW = "hiring_interview"
FEEDBACK = "hiring_feedback"  # by interview id: one feedback per interview
LOOP_VERBS = frozenset(
    {"create", "change_bar_raiser", "start", "open_debrief", "recommend", "change_vote", "decide", "withdraw"}
)
INTERVIEW_VERBS = frozenset({"create", "update", "cancel", *DEADLINE_VERBS})  # reminders of late feedback
FEEDBACK_VERBS = frozenset({"save", "submit"})


def register_loops() -> None:
    """Loops and interviews: their insiders read the history; feedback: exactly who reads the feedback itself."""
    for name, label, verbs, url in (
        (LOOP, "hiring loop", LOOP_VERBS, lambda sid: f"/hiring/loops/{sid}"),
        (INTERVIEW, "interview", INTERVIEW_VERBS, None),
        (FEEDBACK, "interview feedback", FEEDBACK_VERBS, None),
    ):
        audit_services.register_subject_type(
            subject_type=SubjectType(
                name=name,
                owner="hiring",
                label=label,
                verbs=verbs,
                sensitivity=Sensitivity.CONFIDENTIAL,
                visible=_visible(name),
                url=url,
            )
        )
