"""Public services of the bar-raisers app (MECHANISMS.md §4): the pool, independence, assignment (the top of this
module, written by the pool's part), and reviews of any subject with their overrides (the bottom, `# --- reviews`).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, RuleViolation
from mechanisms.kernel.pagination import Page, paginate
from mechanisms.kernel.validation import clean_text as _text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import kinds as _kinds
from . import policy as _policy
from .contracts import (
    BarRaiserQueue,
    OverrideRate,
    QueueItem,
    Recommendation,
    Response,
    ReviewEventRecord,
    ReviewRecord,
    ReviewState,
    ReviewView,
    Subject,
    SubjectKind,
)
from .machines import MACHINE as REVIEW_MACHINE
from .machines import RECOMMENDATION_WORDS, REQUEST, ReviewFacts
from .models import Review as ReviewRow
from .models import ReviewEvent as ReviewEventRow

# --- reviews
#
# A review of any subject (MECHANISMS.md §4): the owning app requests it for the subject's owner (the pool's
# `assign` picks or checks the bar raiser), the bar raiser recommends with written reasoning, the owner accepts or
# overrides with a rationale (the owner's whole management chain is told, and the override is listed in their
# overrides report), or withdraws it. The transitions are declared in machines.py and applied by
# kernel.machine_apply; who may read a review is bar_raisers.policy (`visible_reviews`).

REVIEW_SUBJECT_TYPE = "bar_raiser_review"
REVIEW_NOTICE_KINDS = ("requested", "recommended", "accepted", "overridden", "withdrawn", "overdue")
notifications_services.declare_kinds(kinds=[f"bar_raiser_review.{k}" for k in REVIEW_NOTICE_KINDS])
OPEN_REVIEW_STATES = (ReviewState.REQUESTED.value, ReviewState.RECOMMENDED.value)
# A response or a withdrawal ends the bar raiser's assignment on the subject and is told to the owning app.
RESPONSES = frozenset({"accept", "override", "withdraw"})


def review_days() -> int:
    """Days the bar raiser has for a recommendation when the owning app names no due date."""
    return int(settings.MECHANISMS.get("BAR_RAISER_REVIEW_DAYS", 5))


def register_subject_kind(
    kind: SubjectKind,
    *,
    describe: Callable[[Actor, int], Subject],
    visible: Callable[[Actor, frozenset[int]], frozenset[int]],
    overridable: bool = True,
    may_recommend: Callable[[int], str | None] | None = None,
    on_response: Callable[[Actor, ReviewRecord], None] | None = None,
) -> None:
    """Let an owning app's subjects be reviewed (called from its AppConfig.ready(); MECHANISMS.md §4).

    `describe(actor, id)` is the subject as the actor may see it (NotFound otherwise); `visible(actor, ids)` which
    of these subjects the actor may see (it also lets them read the subjects' reviews); `overridable=False` means
    the owner cannot go against a do-not-proceed (a hiring veto, a waiver); `may_recommend(id)` returns why the
    recommendation must wait (hiring: until the debrief opens), or None; `on_response(actor, review)` is called
    inside the write of an accept, an override or a withdrawal. Registering a kind again replaces it."""
    _kinds.register(
        _kinds.KindInfo(
            kind=SubjectKind(kind),
            describe=describe,
            visible=visible,
            overridable=overridable,
            may_recommend=may_recommend,
            on_response=on_response,
        )
    )


def request_review(
    *,
    actor: Actor,
    subject: Subject,
    bar_raiser_id: int | None = None,
    reason: str = "",
    question: str = "",
    due_on: dt.date | None = None,
) -> ReviewRecord:
    """Ask a bar raiser to review a subject (MECHANISMS.md §4): called by the owning app, for the subject's owner,
    inside its own write if it likes (this nests). The pool's `assign` picks the first suggestion when no bar raiser
    is named, or checks the one named (in the pool, active, with room, independent of the owner, the owning teams
    and the excluded people; a pick other than the first suggestion needs a `reason`). One open review per
    subject. The bar raiser is told the subject's title and link only, and owes the recommendation by `due_on`
    (default: BAR_RAISER_REVIEW_DAYS days), with reminders from the deadlines helper.

    Raises RuleViolation naming the field (subject_kind, subject, question, due_on, bar_raiser_id, reason),
    NotFound (the actor may not see the subject), PermissionDenied."""
    org_services.require_signed_in(actor)
    info = _kinds.get(subject.kind)
    if not info.visible(actor, frozenset({subject.id})):
        raise NotFound(f"{subject.kind.value} {subject.id} does not exist", field="subject")
    question = _text(question, "question", 5000, required=False)
    title = _text(subject.title, "title", 200)
    today = clock.today()
    if due_on is not None and due_on < today:
        raise RuleViolation("the recommendation cannot be due in the past", field="due_on")
    due_on = due_on or today + dt.timedelta(days=review_days())
    existing = _open_review_row(subject.kind.value, subject.id)
    if existing is not None:
        raise RuleViolation(
            f"{subject.title} already has an open bar-raiser review (#{existing.id}, {existing.state})",
            field="subject",
        )
    now = clock.now()
    with transaction.atomic():
        assignment = assign(actor=actor, subject=subject, person_id=bar_raiser_id, reason=reason)
        row = ReviewRow.objects.create(
            assignment_id=assignment.id,
            subject_kind=subject.kind.value,
            subject_id=subject.id,
            title=title,
            url=subject.url[:300],
            owner_id=subject.owner_id,
            team_id=subject.team_ids[0] if subject.team_ids else None,
            state=REVIEW_MACHINE.initial,
            requested_at=now,
            requested_by_id=actor.person_id,
            due_on=due_on,
            question=question,
        )
        _review_event(row, actor, REQUEST.name, "", row.state, (reason or "").strip()[:500])
        record = _to_review(row, assignment.person_id)
        audit_services.record_change(
            actor=actor,
            verb=REQUEST.name,
            subject_type=REVIEW_SUBJECT_TYPE,
            subject_id=row.id,
            subject_label=title,
            after=_review_audit(record),
            reason=reason,
        )
        notifications_services.track_deadline(
            actor=actor,
            subject_type=REVIEW_SUBJECT_TYPE,
            subject_id=row.id,
            due_at=timezone.make_aware(dt.datetime.combine(due_on + dt.timedelta(days=1), dt.time.min)),
            owner_ids={assignment.person_id},
            title=f"Your bar-raiser recommendation: {title}",
            kind="bar_raiser_review.overdue",
            url=_review_url(row.id),
            remind_every=dt.timedelta(days=1),
            fresh=True,
        )
        _notify_review(actor, record, "requested", f"Bar-raiser review requested: {title}", {assignment.person_id})
    return record


def apply_review_transition(
    *, actor: Actor, review_id: int, name: str, version: int, values: Mapping[str, Any]
) -> ReviewRecord:
    """Take one transition of the declared review machine (bar_raisers/machines.py), in the order of
    kernel/machine_apply.py: the version read (409), the state, the owning app's hold and the party (400/403
    naming the rule), the input (400 naming the field), the compare-and-set, the timeline event, the audit record,
    the notices; a response or withdrawal also releases the bar raiser's assignment and tells the owning app.
    A review the actor may not read is NotFound."""
    org_services.require_signed_in(actor)
    row = _require_review_row(actor, review_id)
    return machine_apply.apply(_REVIEW_BINDING, actor=actor, row=row, version=version, name=name, raw=values)


def _move_review(name: str, actor: Actor, review_id: int, version: int, **values: Any) -> ReviewRecord:
    return apply_review_transition(actor=actor, review_id=review_id, name=name, version=version, values=values)


def recommend(
    *, actor: Actor, review_id: int, version: int, recommendation: Recommendation | str, reasoning: str
) -> ReviewRecord:
    """The assigned bar raiser's recommendation (MECHANISMS.md §4): approve, approve with concerns or do not
    proceed, with written reasoning (required). Only once the owning app lets it (`may_recommend`). Clears the
    recommendation's deadline and tells the owner. Raises RuleViolation, PermissionDenied, Conflict, NotFound."""
    value = recommendation.value if isinstance(recommendation, Recommendation) else recommendation
    return _move_review("recommend", actor, review_id, version, recommendation=value, reasoning=reasoning)


def accept_review(*, actor: Actor, review_id: int, version: int, note: str = "") -> ReviewRecord:
    """The owner accepts the recommendation (MECHANISMS.md §4). Releases the assignment and tells the owning app."""
    return _move_review("accept", actor, review_id, version, note=note)


def override_review(*, actor: Actor, review_id: int, version: int, rationale: str) -> ReviewRecord:
    """The owner goes against the recommendation, with a rationale (MECHANISMS.md §4: the override is recorded and
    made visible to the owner's management chain: everyone above the owner is notified, with the subject's title,
    the recommendation and a link, never the rationale, and it is listed in their overrides report). Refused for a
    do-not-proceed on a kind that is not overridable (a hiring veto, a waiver)."""
    return _move_review("override", actor, review_id, version, rationale=rationale)


def withdraw_review(*, actor: Actor, review_id: int, version: int, reason: str) -> ReviewRecord:
    """The owner withdraws the review (the subject went away), with a reason. Releases the assignment."""
    return _move_review("withdraw", actor, review_id, version, reason=reason)


def get_review(*, actor: Actor, review_id: int) -> ReviewRecord:
    """One review the actor may read (bar_raisers.policy). Raises NotFound, PermissionDenied (not signed in)."""
    row = _require_review_row(actor, review_id)
    return _to_review(row, row.assignment.person_id)


def review_view(*, actor: Actor, review_id: int) -> ReviewView:
    """A review, its timeline, and the moves this viewer may make now (what the review page shows)."""
    row = _require_review_row(actor, review_id)
    ctx = _ReviewContext(actor, row)
    parties = _review_parties(ctx)
    facts = _review_facts(ctx)
    return ReviewView(
        review=_to_review(row, row.assignment.person_id),
        timeline=tuple(_to_review_event(e) for e in row.events.order_by("at", "id")),
        actions=machines.available(REVIEW_MACHINE, facts, parties),
        viewer_parties=tuple(sorted(parties)),
        overridable=facts.overridable,
        held=facts.held,
    )


def review_for(*, actor: Actor, subject_kind: SubjectKind | str, subject_id: int) -> ReviewRecord | None:
    """The current review of a subject the actor may read: the open one, else the latest; None when there is none
    (or the actor may not read it)."""
    org_services.require_signed_in(actor)
    qs = _policy.visible_reviews(
        actor, ReviewRow.objects.filter(subject_kind=str(SubjectKind(subject_kind)), subject_id=subject_id)
    ).select_related("assignment")
    rows = list(qs.order_by("-requested_at", "-id")[:20])
    row = next((r for r in rows if r.state in OPEN_REVIEW_STATES), rows[0] if rows else None)
    return _to_review(row, row.assignment.person_id) if row is not None else None


def list_reviews(
    *,
    actor: Actor,
    bar_raiser_id: int | None = None,
    owner_id: int | None = None,
    state: str | None = None,
    kind: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[ReviewRecord]:
    """Reviews the actor may read, newest first, by bar raiser, owner, state (or "open") and kind of subject.
    Raises RuleViolation naming a bad filter."""
    qs = _policy.visible_reviews(actor, ReviewRow.objects.select_related("assignment"))
    if bar_raiser_id is not None:
        qs = qs.filter(assignment__person_id=bar_raiser_id)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    if state:
        states = {s.value for s in ReviewState}
        if state == "open":
            qs = qs.filter(state__in=OPEN_REVIEW_STATES)
        elif state in states:
            qs = qs.filter(state=state)
        else:
            raise RuleViolation(f"state must be open or one of {', '.join(sorted(states))}", field="state")
    if kind:
        if kind not in {k.value for k in SubjectKind}:
            raise RuleViolation(f"kind must be one of {', '.join(k.value for k in SubjectKind)}", field="kind")
        qs = qs.filter(subject_kind=kind)
    return paginate(
        qs.order_by("-requested_at", "-id"),
        limit=limit,
        offset=offset,
        convert=lambda r: _to_review(r, r.assignment.person_id),
    )


def list_overrides(*, actor: Actor, limit: int | None = None, offset: int | None = None) -> Page[ReviewRecord]:
    """The overrides report (MECHANISMS.md §4): overridden reviews, newest response first, with their rationale,
    as the actor may see them: everyone above the owner in the management chain, holders of `leadership` covering
    the owning team's org unit, admins. An empty page for anyone else."""
    org_services.require_signed_in(actor)
    qs = ReviewRow.objects.filter(state=ReviewState.OVERRIDDEN.value).select_related("assignment")
    team_ids = set(qs.exclude(team_id=None).values_list("team_id", flat=True).distinct())
    teams = org_services.get_teams(actor=Actor.system("bar_raisers"), ids=team_ids) if team_ids else {}
    visible = _policy.visible_overrides(actor, qs, team_units={t.id: t.org_unit_id for t in teams.values()})
    return paginate(
        visible.order_by("-responded_at", "-id"),
        limit=limit,
        offset=offset,
        convert=lambda r: _to_review(r, r.assignment.person_id),
    )


def override_rates(*, actor: Actor, since: dt.date | None = None) -> list[OverrideRate]:
    """Per kind of subject, among the reviews the actor may read requested on or after `since`: how many were
    requested, recommended, overridden, and recommended do-not-proceed (a veto, for a kind that is not
    overridable). For the mechanism-health figures (issue 10 item 5)."""
    qs = _policy.visible_reviews(actor, ReviewRow.objects.all())
    if since is not None:
        qs = qs.filter(requested_at__date__gte=since)
    counts: dict[str, Counter] = {}
    for kind, state, recommendation in qs.values_list("subject_kind", "state", "recommendation"):
        c = counts.setdefault(kind, Counter())
        c["requested"] += 1
        c["recommended"] += 1 if recommendation else 0
        c["overridden"] += 1 if state == ReviewState.OVERRIDDEN.value else 0
        c["vetoed"] += 1 if recommendation == Recommendation.DO_NOT_PROCEED.value else 0
    return [
        OverrideRate(SubjectKind(k), c["requested"], c["recommended"], c["overridden"], c["vetoed"])
        for k, c in sorted(counts.items())
    ]


def bar_raiser_queue(*, actor: Actor) -> BarRaiserQueue:
    """The actor's own queue as a bar raiser: the reviews waiting for their recommendation (oldest due first), and
    every open assignment of theirs, of every kind, each with its subject's title and page as the owning app
    describes it to them."""
    org_services.require_signed_in(actor)
    if actor.person_id is None:
        return BarRaiserQueue(awaiting=(), assignments=())
    awaiting = ReviewRow.objects.filter(
        assignment__person_id=actor.person_id, state=ReviewState.REQUESTED.value
    ).select_related("assignment")
    reviews = tuple(_to_review(r, r.assignment.person_id) for r in awaiting.order_by("due_on", "id")[:200])
    open_assignments = list_assignments(actor=actor, person_id=actor.person_id, open_only=True, limit=200).items
    # A reviewed subject is named as its review names it (the bar raiser reads their own reviews); any other
    # assignment as its owning app describes it to them.
    named = dict(
        ((kind, subject_id), (title, url))
        for kind, subject_id, title, url in ReviewRow.objects.filter(
            assignment_id__in=[a.id for a in open_assignments]
        ).values_list("subject_kind", "subject_id", "title", "url")
    )
    items = []
    for assignment in open_assignments:
        key = (assignment.subject_kind.value, assignment.subject_id)
        title, url = named.get(key, (f"{key[0].replace('_', ' ')} {key[1]}", ""))
        info = _kinds.find(assignment.subject_kind)
        if key not in named and info is not None:
            try:
                subject = info.describe(actor, assignment.subject_id)
                title, url = subject.title, subject.url
            except NotFound:
                pass
        items.append(QueueItem(assignment=assignment, title=title, url=url))
    return BarRaiserQueue(awaiting=reviews, assignments=tuple(items))


def awaiting_recommendation(subject_ids: set[int]) -> set[int]:
    """Which of these reviews still wait for the bar raiser's recommendation: the deadlines helper's check before it
    reminds anyone (registered in apps.py), so a recommended or withdrawn review is never reminded."""
    return set(
        ReviewRow.objects.filter(pk__in=subject_ids, state=ReviewState.REQUESTED.value).values_list("id", flat=True)
    )


def can_see_overrides(*, actor: Actor) -> bool:
    """Whether the overrides report may list anything for this actor (the navigation shows it to them): admins,
    managers (someone reports to them) and holders of `leadership`."""
    if not actor.is_authenticated:
        return False
    if actor.is_admin:
        return True
    if actor.person_id is None:
        return False
    relations = org_services.relations_of(actor=actor)
    return bool(relations.manages_below) or any(role.value == "leadership" for role, _ in relations.roles)


# ---------------------------------------------------------------------------------------------- reviews: private


def _review_url(review_id: int) -> str:
    return f"/bar-raisers/reviews/{review_id}"


def _open_review_row(kind: str, subject_id: int) -> ReviewRow | None:
    return ReviewRow.objects.filter(subject_kind=kind, subject_id=subject_id, state__in=OPEN_REVIEW_STATES).first()


def _require_review_row(actor: Actor, review_id: Any) -> ReviewRow:
    row = None
    if isinstance(review_id, int) and 0 < review_id < 2**63:
        qs = _policy.visible_reviews(actor, ReviewRow.objects.select_related("assignment"))
        row = qs.filter(pk=review_id).first()
    if row is None:
        raise NotFound(f"bar-raiser review {review_id} does not exist", field="review_id")
    return row


class _ReviewContext:
    """What one move on a review reads, once: the row with its assignment, the subject kind's registration."""

    def __init__(self, actor: Actor, row: ReviewRow):
        self.actor, self.row, self.values = actor, row, {}
        self.now = clock.now()
        self.info = _kinds.find(row.subject_kind)


def _review_facts(ctx: _ReviewContext) -> ReviewFacts:
    row, info = ctx.row, ctx.info
    held = ""
    if row.state == ReviewState.REQUESTED.value and info is not None and info.may_recommend is not None:
        held = info.may_recommend(row.subject_id) or ""
    return ReviewFacts(
        state=ReviewState(row.state),
        recommendation=Recommendation(row.recommendation) if row.recommendation else None,
        overridable=info.overridable if info is not None else True,
        held=held,
    )


def _review_parties(ctx: _ReviewContext) -> frozenset[str]:
    return _policy.review_parties(ctx.actor, bar_raiser_id=ctx.row.assignment.person_id, owner_id=ctx.row.owner_id)


def _review_record(step: machine_apply.Step) -> ReviewRecord:
    """After the compare-and-set: the timeline event, the audit record, the deadline, the assignment, the owning
    app's hook and the notices, in the same transaction."""
    ctx: _ReviewContext = step.context
    row, t, actor = ctx.row, step.transition, ctx.actor
    _review_event(row, actor, t.name, step.from_state, step.to_state, step.note)
    record = _to_review(row, row.assignment.person_id)
    audit_services.record_change(
        actor=actor,
        verb=t.name,
        subject_type=REVIEW_SUBJECT_TYPE,
        subject_id=row.id,
        subject_label=row.title,
        before=step.before,
        after=_review_audit(record),
        reason=step.note if t.name != "recommend" else "",
    )
    if t.name in ("recommend", "withdraw"):
        notifications_services.clear_deadline(actor=actor, subject_type=REVIEW_SUBJECT_TYPE, subject_id=row.id)
    if t.name in RESPONSES:
        release(actor=actor, subject_kind=SubjectKind(row.subject_kind), subject_id=row.subject_id)
        if ctx.info is not None and ctx.info.on_response is not None:
            ctx.info.on_response(actor, record)
    if t.name == "recommend":
        title = f"{row.title}: the bar raiser's recommendation is in"
        _notify_review(actor, record, "recommended", title, {row.owner_id})
    elif t.name == "override":
        words = RECOMMENDATION_WORDS.get(row.recommendation, row.recommendation).lower()
        chain = org_services.management_chain(actor=Actor.system("bar_raisers"), person_id=row.owner_id)
        _notify_review(
            actor,
            record,
            "overridden",
            f"Override: {row.title}",
            {p.id for p in chain},
            body=f"The owner went against the bar raiser's recommendation ({words}). The rationale is on the review.",
        )
    else:
        kind = {"accept": "accepted", "withdraw": "withdrawn"}[t.name]
        words = t.words_for(t.notice, step.to_state)
        _notify_review(actor, record, kind, f"{row.title}: {words}", {row.assignment.person_id})
    return record


def _review_snapshot(ctx: _ReviewContext) -> dict[str, Any]:
    return _review_audit(_to_review(ctx.row, ctx.row.assignment.person_id))


_REVIEW_BINDING = machine_apply.Binding(
    machine=REVIEW_MACHINE,
    load=_ReviewContext,
    facts=_review_facts,
    parties=_review_parties,
    snapshot=_review_snapshot,
    record=_review_record,
)


def _notify_review(
    actor: Actor, review: ReviewRecord, kind: str, title: str, recipients: set[int], *, body: str = ""
) -> None:
    """Notices carry the subject's title and the review's link only (plus, for an override, the recommendation):
    never the question, the reasoning or the rationale, which the review page shows to those who may read it."""
    notifications_services.notify(
        actor=actor,
        recipients=recipients,
        kind=f"bar_raiser_review.{kind}",
        title=title[:200],
        body=body,
        url=_review_url(review.id),
        subject_type=REVIEW_SUBJECT_TYPE,
        subject_id=review.id,
    )


def _review_event(row: ReviewRow, actor: Actor, transition: str, from_state: str, to_state: str, note: str) -> None:
    ReviewEventRow.objects.create(
        review=row,
        at=clock.now(),
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        actor_id=actor.person_id,
        actor_label=actor.label[:200],
        note=note or "",
    )


def _review_audit(review: ReviewRecord) -> dict[str, Any]:
    # The review's history is CONFIDENTIAL (history.py): the log keeps these fields' names only, never values.
    return {
        "state": review.state.value,
        "bar_raiser_id": review.bar_raiser_id,
        "owner_id": review.owner_id,
        "question": review.question,
        "recommendation": review.recommendation.value if review.recommendation else "",
        "reasoning": review.reasoning,
        "response": review.response.value if review.response else "",
        "rationale": review.rationale,
        "version": review.version,
    }


def _to_review_event(row: ReviewEventRow) -> ReviewEventRecord:
    return ReviewEventRecord(
        id=row.id,
        at=row.at,
        transition=row.transition,
        from_state=row.from_state,
        to_state=row.to_state,
        actor_id=row.actor_id,
        actor_label=row.actor_label,
        note=row.note,
    )


def _to_review(row: ReviewRow, bar_raiser_id: int) -> ReviewRecord:
    return ReviewRecord(
        id=row.id,
        subject_kind=SubjectKind(row.subject_kind),
        subject_id=row.subject_id,
        title=row.title,
        url=row.url,
        owner_id=row.owner_id,
        team_id=row.team_id,
        bar_raiser_id=bar_raiser_id,
        state=ReviewState(row.state),
        requested_at=row.requested_at,
        due_on=row.due_on,
        question=row.question,
        recommendation=Recommendation(row.recommendation) if row.recommendation else None,
        reasoning=row.reasoning,
        recommended_at=row.recommended_at,
        response=Response(row.response) if row.response else None,
        rationale=row.rationale,
        responded_at=row.responded_at,
        version=row.version,
    )
