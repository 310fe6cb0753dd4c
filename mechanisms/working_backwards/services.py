"""Public services of the working_backwards app (DESIGN.md §4): PR/FAQs (their circles, checker and machine), the
board and funnel, narratives. Every read goes through policy.visible_to; every write is one transaction with its
audit record and its notices."""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Exists, OuterRef

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.bar_raisers.contracts import ReviewState, Subject, SubjectKind
from mechanisms.documents import services as documents_services
from mechanisms.documents.contracts import Access, AttachmentPurpose, ReadingSessionRecord
from mechanisms.kernel import clock, machine_apply, machines
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.changes import given
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, clamp_limit, clamp_offset, paginate
from mechanisms.kernel.validation import check_text, clean_text
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import policy as _policy
from . import rules, rules_narrative
from . import rules_funnel as _funnel_rules
from .contracts import (
    NARRATIVE_KIND,
    PRFAQ_KIND,
    PRFAQ_PARTS,
    BoardItem,
    CheckReport,
    Circle,
    CircleMemberRecord,
    CircleRecord,
    CircleStayRecord,
    CircleSuggestion,
    FunnelEntry,
    FunnelReport,
    NarrativeChanges,
    NarrativeCheck,
    NarrativeId,
    NarrativeRecord,
    NarrativeView,
    PrFaqId,
    PrFaqRecord,
    PrFaqState,
    PrFaqView,
    ReviewBoard,
    ShelveReason,
)
from .machines import MACHINE
from .models import CircleMember, CircleStay, Narrative, NarrativeReader, PrFaq

# PR/FAQs (MECHANISMS.md §6): create, read, revise, name circles, the checker, the machine (submit, advance,
# approve, shelve), the documents owner and the bar-raiser subject hooks.
# ================================================================================================================

PRFAQ_SUBJECT = "prfaq"  # the audit subject type (history.py)
PRFAQ_MACHINE = MACHINE
MAX_TITLE = 300
MAX_MEMBERS = 50  # per circle: a circle is a small, named group
S = PrFaqState


def prfaq_url(prfaq_id: int | str) -> str:
    return f"/prfaqs/{prfaq_id}"


def create_prfaq(
    *,
    actor: Actor,
    title: str,
    team_id: int,
    parts: Mapping[str, str] | None = None,
    high_impact: bool = False,
) -> PrFaqRecord:
    """Start a PR/FAQ (MECHANISMS.md §6): a draft in circle 1, written by the actor, owned by a live team, with its
    document (owner kind `prfaq`) created in the same transaction. The headline is the title unless given.

    Raises PermissionDenied (not signed in, no person), NotFound (team), RuleViolation naming the field (title,
    team_id, a part)."""
    org_services.require_signed_in(actor)
    if actor.person_id is None:
        raise RuleViolation("a PR/FAQ's author is a person: this account has none", field="actor")
    clean_title = " ".join(str(title or "").split())
    if not clean_title:
        raise RuleViolation("a PR/FAQ needs a title", field="title")
    if len(clean_title) > MAX_TITLE:
        raise RuleViolation(f"the title is longer than {MAX_TITLE} characters", field="title")
    team = org_services.get_team(actor=actor, team_id=team_id)
    if team.status.value not in ("forming", "active"):
        raise RuleViolation(f"team {team.slug} is {team.status.value}: a PR/FAQ needs a live team", field="team_id")
    body = {"headline": clean_title, **dict(parts or {})}
    now = clock.now()
    with transaction.atomic():
        row = PrFaq.objects.create(
            title=clean_title,
            author_id=actor.person_id,
            team_id=team.id,
            state=S.DRAFT.value,
            circle=int(Circle.AUTHOR),
            high_impact=bool(high_impact),
        )
        document = documents_services.create_document(
            actor=actor, owner_kind=PRFAQ_KIND, owner_id=row.id, title=clean_title, parts=body, note="first draft"
        )
        row.document_id = document.id
        row.save(update_fields=["document_id"])
        CircleStay.objects.create(prfaq=row, circle=int(Circle.AUTHOR), entered_at=now)
        record = _to_prfaq(row)
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=PRFAQ_SUBJECT,
            subject_id=row.id,
            subject_label=clean_title,
            after=_audit_view(record),
        )
    return record


def get_prfaq(*, actor: Actor, prfaq_id: int) -> PrFaqRecord:
    """One PR/FAQ, for a reader (its author, its circles reached, its bar raiser). NotFound for everyone else."""
    return _to_prfaq(_policy.require_visible(actor, prfaq_id))


def find_prfaq(*, actor: Actor, prfaq_id: int) -> PrFaqRecord | None:
    """One PR/FAQ, or None when it does not exist or the actor may not read it."""
    try:
        return get_prfaq(actor=actor, prfaq_id=prfaq_id)
    except NotFound:
        return None


def prfaq_view(*, actor: Actor, prfaq_id: int) -> PrFaqView:
    """A PR/FAQ with its current parts, the checker's report on them, and what the viewer may do now (the page and
    `GET /prfaqs/{id}`). NotFound for an outsider."""
    row = _policy.require_visible(actor, prfaq_id)
    ctx = _Context(actor, row)
    review = ctx.review()
    return PrFaqView(
        prfaq=_to_prfaq(row, ctx.members(), ctx.stays()),
        revision=ctx.revision().number,
        document_version=ctx.document().version,
        parts=dict(ctx.revision().parts),
        report=rules.check_prfaq(ctx.revision().parts),
        actions=machines.available(MACHINE, _facts(ctx), _parties(ctx)),
        can=_policy.actions_of(actor, row),
        review_state=review.state.value if review is not None else "",
        review_id=review.id if review is not None else None,
    )


def list_prfaqs(
    *,
    actor: Actor,
    state: str | None = None,
    team_id: int | None = None,
    circle: int | None = None,
    text: str = "",
    limit: int | None = None,
    offset: int | None = None,
) -> Page[PrFaqRecord]:
    """The PR/FAQs the actor may read, most recently changed first, filtered by state, owning team, circle or a
    word of the title. Outsiders' lists leave every other PR/FAQ out (nothing about them shows, not even a count).
    Raises RuleViolation naming a bad filter."""
    qs = _policy.visible_to(actor, PrFaq.objects.all())
    if state:
        if state not in {s.value for s in S}:
            raise RuleViolation(f"state must be one of {', '.join(s.value for s in S)}", field="state")
        qs = qs.filter(state=state)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if circle is not None:
        if circle not in {int(c) for c in Circle}:
            raise RuleViolation("circle must be 1, 2, 3 or 4", field="circle")
        qs = qs.filter(circle=circle)
    if text and text.strip():
        qs = qs.filter(title__icontains=text.strip()[:200])
    page = paginate(qs.order_by("-updated_at", "-id"), limit=limit, offset=offset, convert=lambda r: r)
    members = _policy.members_by_prfaq(page.items)
    stays = _stays_by_prfaq(page.items)
    return page.map(lambda r: _to_prfaq(r, members.get(r.pk, []), stays.get(r.pk, [])))


def revise_prfaq(
    *,
    actor: Actor,
    prfaq_id: int,
    parts: Mapping[str, str],
    version: int,
    note: str = "",
    title: str | None = None,
) -> PrFaqView:
    """Keep a new revision of the PR/FAQ's body (the author, while draft or in review; every revision is kept by
    the documents app, which writes its audit record). `version` is the document's version (a stale one is a
    Conflict). A new title renames the PR/FAQ too. Raises NotFound, PermissionDenied, RuleViolation, Conflict."""
    row = _policy.require_visible(actor, prfaq_id)
    _policy.require(actor, "revise", row)
    if row.document_id is None:
        raise NotFound(f"PR/FAQ {prfaq_id} has no document", field="prfaq_id")
    with transaction.atomic():
        document = documents_services.revise_document(
            actor=actor, document_id=row.document_id, parts=parts, version=version, note=note, title=title
        )
        if document.title != row.title:
            row.title = document.title
            row.save(update_fields=["title", "updated_at"])
        else:
            row.save(update_fields=["updated_at"])
    return prfaq_view(actor=actor, prfaq_id=row.pk)


def set_circle_members(
    *,
    actor: Actor,
    prfaq_id: int,
    circle: int,
    reviewer_ids: Iterable[int],
    reader_ids: Iterable[int] = (),
    version: int,
) -> PrFaqRecord:
    """Name the people of one circle (2, 3 or 4): its reviewers (who advance or shelve it there) and its readers
    (who read and comment). MECHANISMS.md §6. The author alone, while draft or in review, never for a circle
    already passed; the circle it is in keeps at least one reviewer. The author is circle 1 and sits in no other;
    a person sits in one circle only. People of a circle already reached are told at once (title and link);
    people of an outer circle are told nothing until it is reached.

    Raises NotFound, PermissionDenied, RuleViolation naming the field (circle, reviewer_ids, reader_ids),
    Conflict (a stale `version`)."""
    row = _policy.require_visible(actor, prfaq_id)
    _policy.require(actor, "name_members", row)
    try:
        circle = Circle(int(circle))
    except (TypeError, ValueError):
        raise RuleViolation("circle must be 2, 3 or 4 (circle 1 is the author)", field="circle") from None
    if circle is Circle.AUTHOR:
        raise RuleViolation("circle 1 is the author alone: name circles 2, 3 or 4", field="circle")
    if row.state != S.DRAFT.value and circle < row.circle:
        raise RuleViolation(f"circle {int(circle)} is already passed: it keeps the people it had", field="circle")
    reviewers = _clean_ids(reviewer_ids, "reviewer_ids")
    readers = _clean_ids(reader_ids, "reader_ids") - reviewers
    everyone = reviewers | readers
    if len(everyone) > MAX_MEMBERS:
        raise RuleViolation(f"a circle names at most {MAX_MEMBERS} people", field="reader_ids")
    if row.author_id in everyone:
        raise RuleViolation("the author is circle 1 and sits in no other circle", field="reviewer_ids")
    if row.state == S.IN_REVIEW.value and circle == row.circle and not reviewers:
        raise RuleViolation(
            f"circle {int(circle)} is where the PR/FAQ is now: it keeps at least one reviewer", field="reviewer_ids"
        )
    people = org_services.get_people(actor=actor, ids=sorted(everyone))
    unknown = sorted(everyone - set(people))
    if unknown:
        field = "reviewer_ids" if unknown[0] in reviewers else "reader_ids"
        raise RuleViolation(f"person {unknown[0]} does not exist", field=field)
    elsewhere = sorted(
        CircleMember.objects.filter(prfaq=row, person_id__in=everyone)
        .exclude(circle=int(circle))
        .values_list("person_id", "circle")
    )
    if elsewhere:
        person, other = elsewhere[0]
        field = "reviewer_ids" if person in reviewers else "reader_ids"
        raise RuleViolation(
            f"{people[person].handle} is already named in circle {other}: a person sits in one circle", field=field
        )
    before_rows = list(CircleMember.objects.filter(prfaq=row, circle=int(circle)))
    before = {
        "reviewers": sorted(m.person_id for m in before_rows if m.reviewer),
        "readers": sorted(m.person_id for m in before_rows if not m.reviewer),
    }
    after = {"reviewers": sorted(reviewers), "readers": sorted(readers)}
    if before == after:
        raise RuleViolation(f"circle {int(circle)} already has exactly these people", field="reviewer_ids")
    with transaction.atomic():
        row = update_versioned(row, expected_version=version, changes={})
        CircleMember.objects.filter(prfaq=row, circle=int(circle)).delete()
        CircleMember.objects.bulk_create(
            [
                CircleMember(prfaq=row, circle=int(circle), person_id=p, reviewer=p in reviewers)
                for p in sorted(everyone)
            ]
        )
        audit_services.record_change(
            actor=actor,
            verb="set_circle_members",
            subject_type=PRFAQ_SUBJECT,
            subject_id=row.id,
            subject_label=row.title,
            before={f"circle_{int(circle)}": before},
            after={f"circle_{int(circle)}": after},
        )
        if row.state == S.IN_REVIEW.value and circle <= row.circle:
            already = {m.person_id for m in before_rows}
            _notify_circle(actor, row, int(circle), everyone - already)
    return _to_prfaq(row)


def get_circle(*, actor: Actor, prfaq_id: int, circle: int) -> CircleRecord:
    """The people named in one circle of a PR/FAQ (circle 1 is its author). NotFound for an outsider;
    RuleViolation for a circle that is not 1-4."""
    prfaq = get_prfaq(actor=actor, prfaq_id=prfaq_id)
    if circle not in {int(c) for c in Circle}:
        raise RuleViolation("circle must be 1, 2, 3 or 4", field="circle")
    if circle == int(Circle.AUTHOR):
        return CircleRecord(circle=Circle.AUTHOR, reviewer_ids=(prfaq.author_id,), reader_ids=())
    return CircleRecord(circle=Circle(circle), reviewer_ids=prfaq.reviewers(circle), reader_ids=prfaq.readers(circle))


def suggest_circles(*, actor: Actor, prfaq_id: int) -> tuple[CircleSuggestion, ...]:
    """Who should sit in circles 3 and 4, from the org chart (MECHANISMS.md §6: "the org's leadership", "the
    top"): circle 3 is the management chain of the owning team's leader below the top, circle 4 the top of that
    chain. The author is left out (circle 1). A reader of the PR/FAQ may ask; NotFound otherwise."""
    row = _policy.require_visible(actor, prfaq_id)
    team = org_services.get_team(actor=actor, team_id=row.team_id)
    chain: list[int] = []
    if team.leader_id is not None:
        chain = [p.id for p in org_services.management_chain(actor=actor, person_id=team.leader_id)]
        chain = chain or [team.leader_id]  # a leader nobody manages is the top
    top = chain[-1:] if chain else []
    leadership = [p for p in chain[:-1] if p != row.author_id]
    return (
        CircleSuggestion(circle=Circle.LEADERSHIP, person_ids=tuple(leadership)),
        CircleSuggestion(circle=Circle.TOP, person_ids=tuple(p for p in top if p != row.author_id)),
    )


def check_parts(*, actor: Actor, parts: Mapping[str, str]) -> CheckReport:
    """Run the PR/FAQ checker (rules.check_prfaq) on parts that are not saved (the editor's preview, the API's
    `POST /prfaqs/check`). Any signed-in person; parts the PR/FAQ does not have are refused naming the part."""
    org_services.require_signed_in(actor)
    return rules.check_prfaq(_clean_check_parts(parts))


def preview_prfaq(*, actor: Actor, prfaq_id: int, parts: Mapping[str, str]) -> CheckReport:
    """The checker's report on the editor's unsaved parts of a PR/FAQ: its author only, while they may revise it
    (NotFound for outsiders, PermissionDenied for other readers). Nothing is written."""
    row = _policy.require_visible(actor, prfaq_id)
    _policy.require(actor, "revise", row)
    return rules.check_prfaq(_clean_check_parts(parts))


# --- the machine ------------------------------------------------------------------------------------------------


def apply_transition(
    *, actor: Actor, prfaq_id: int, version: int, transition: str, values: Mapping[str, Any]
) -> PrFaqRecord:
    """Take one transition of the PR/FAQ machine (machines.py), in the order of kernel/machine_apply.py: the
    version read (409), the state and the guard (400 naming the rule: the core paragraphs, a next reviewer, a
    mockup, the bar-raiser review), the party (403), the input (400 naming the field), the compare-and-set, then
    the circle stays, the audit record, the bar-raiser request (a high-impact PR/FAQ leaving draft) and the
    notices. An outsider gets NotFound. Refusals change nothing."""
    org_services.require_signed_in(actor)
    row = _policy.require_visible(actor, prfaq_id)
    return machine_apply.apply(_BINDING, actor=actor, row=row, version=version, name=transition, raw=values)


def submit_prfaq(*, actor: Actor, prfaq_id: int, version: int, note: str = "") -> PrFaqRecord:
    """Draft -> in review at circle 2 (the author; the core paragraphs written and a circle-2 reviewer named)."""
    return _move("submit", actor, prfaq_id, version, note=note)


def advance_prfaq(*, actor: Actor, prfaq_id: int, version: int, note: str = "") -> PrFaqRecord:
    """Circle n -> n+1 (a reviewer of circle n; a reviewer named in n+1)."""
    return _move("advance", actor, prfaq_id, version, note=note)


def approve_prfaq(*, actor: Actor, prfaq_id: int, version: int, note: str = "") -> PrFaqRecord:
    """Approved for staffing (a circle-4 reviewer; a mockup attached; a high-impact one's review answered)."""
    return _move("approve", actor, prfaq_id, version, note=note)


def shelve_prfaq(
    *, actor: Actor, prfaq_id: int, version: int, reason: ShelveReason | str, note: str = ""
) -> PrFaqRecord:
    """Shelved, with a reason from the taxonomy (the author or the current circle's reviewer; a note for other)."""
    return _move("shelve", actor, prfaq_id, version, reason=str(reason), note=note)


def _move(name: str, actor: Actor, prfaq_id: int, version: int, **values: Any) -> PrFaqRecord:
    return apply_transition(actor=actor, prfaq_id=prfaq_id, version=version, transition=name, values=values)


# --- hooks for other apps (registered in apps.py) ----------------------------------------------------------------


def prfaq_document_access(actor: Actor, owner_ids: frozenset[str]) -> dict[str, frozenset[Access]]:
    """The documents owner's `access` for kind `prfaq`: asked of the policy (READ for the circles reached,
    COMMENT in review, REVISE/ATTACH/PRESENT for the author while draft or in review)."""
    numeric = sorted(int(i) for i in owner_ids if str(i).isdigit() and 0 < int(i) < 2**63)
    if not numeric or not actor.is_authenticated:
        return {}
    rows = PrFaq.objects.filter(pk__in=numeric)
    return {str(k): v for k, v in _policy.access(actor, rows).items()}


def prfaq_frozen(owner_id: str) -> str:
    """Why a PR/FAQ's body may not be revised now ("" when it may): shelved and approved ones are frozen."""
    state = (
        PrFaq.objects.filter(pk=int(owner_id)).values_list("state", flat=True).first() if owner_id.isdigit() else None
    )
    if state == S.SHELVED.value:
        return "a shelved PR/FAQ is frozen: it stays as it was when it stopped"
    if state == S.APPROVED.value:
        return "an approved PR/FAQ is frozen: it stays as it was approved"
    return ""


def describe_prfaq(actor: Actor, prfaq_id: int) -> Subject:
    """The PR/FAQ as a bar-raiser review subject, for a reader (NotFound otherwise). Its title names only its
    number, since the review's readers (the overrides report) may be outside its circles; the owner is the
    author, the owning team its team."""
    row = _policy.require_visible(actor, prfaq_id)
    return _subject(row)


def visible_prfaq_ids(actor: Actor, ids: frozenset[int]) -> frozenset[int]:
    """Which of these PR/FAQs the actor may read: also who may read their bar-raiser reviews."""
    if not actor.is_authenticated or not ids:
        return frozenset()
    return frozenset(_policy.visible_to(actor, PrFaq.objects.filter(pk__in=sorted(ids))).values_list("pk", flat=True))


def visible_prfaq_history(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """The audit history's resolver for `prfaq`: the PR/FAQs the actor may read (history.py)."""
    return _policy.visible_ids(actor, ids)


# --- private ------------------------------------------------------------------------------------------------------


class _Context:
    """What one operation on a PR/FAQ reads about it, each once: its members, its stays, its document and current
    revision, its mockups and its bar-raiser review. Also what the machine's effects see (`values`, `now`)."""

    def __init__(self, actor: Actor, row: PrFaq):
        self.actor, self.row, self.values = actor, row, {}
        self.now = clock.now()
        self._members: list[CircleMember] | None = None
        self._stays: list[CircleStay] | None = None
        self._document = None
        self._revision = None
        self._review: Any = False

    def members(self) -> list[CircleMember]:
        if self._members is None:
            self._members = list(CircleMember.objects.filter(prfaq=self.row).order_by("circle", "id"))
        return self._members

    def stays(self) -> list[CircleStay]:
        if self._stays is None:
            self._stays = list(CircleStay.objects.filter(prfaq=self.row).order_by("circle", "id"))
        return self._stays

    def document(self):
        if self._document is None:
            self._document = documents_services.get_document(actor=self.actor, document_id=self.row.document_id)
        return self._document

    def revision(self):
        if self._revision is None:
            self._revision = documents_services.get_revision(actor=self.actor, document_id=self.row.document_id)
        return self._revision

    def mockups(self) -> int:
        return documents_services.count_attachments(document_id=self.row.document_id, purpose=AttachmentPurpose.MOCKUP)

    def review(self):
        if self._review is False:
            self._review = None
            if self.row.high_impact and self.row.state != S.DRAFT.value:
                self._review = bar_raisers_services.review_for(
                    actor=self.actor, subject_kind=SubjectKind.PRFAQ, subject_id=self.row.pk
                )
        return self._review

    def people_of(self, *circles: int) -> set[int]:
        return {m.person_id for m in self.members() if m.circle in circles}


def _facts(ctx: _Context) -> rules.PrFaqFacts:
    row = ctx.row
    in_top = row.state == S.IN_REVIEW.value and row.circle == int(Circle.TOP)
    return rules.PrFaqFacts(
        state=S(row.state),
        circle=row.circle,
        missing_core=rules.missing_core(ctx.revision().parts) if row.state == S.DRAFT.value else (),
        reviewed_circles=frozenset(m.circle for m in ctx.members() if m.reviewer),
        mockups=ctx.mockups() if in_top else 0,
        high_impact=row.high_impact,
        review=_review_word(ctx.review()) if in_top else "",
    )


def _review_word(review: Any) -> str:
    if review is None:
        return ""
    if review.state in (ReviewState.REQUESTED, ReviewState.RECOMMENDED):
        return "open"
    if review.state is ReviewState.ACCEPTED:
        return "rejected" if review.recommendation and review.recommendation.value == "do_not_proceed" else "accepted"
    return review.state.value


def _parties(ctx: _Context) -> frozenset[str]:
    return _policy.parties(ctx.actor, ctx.row, ctx.members())


def _load(actor: Actor, row: PrFaq) -> _Context:
    return _Context(actor, row)


def _snapshot(ctx: _Context) -> dict[str, Any]:
    return _audit_view(_to_prfaq(ctx.row, ctx.members(), ctx.stays()))


def _record(step: machine_apply.Step) -> PrFaqRecord:
    """After the compare-and-set, in the same transaction: the circle stays (for the funnel), the bar-raiser
    request of a high-impact PR/FAQ leaving draft, the audit record and the notices."""
    ctx: _Context = step.context
    row, name = ctx.row, step.transition.name
    before_circle = step.before["circle"]
    outcome = {"submit": "advanced", "advance": "advanced", "approve": "approved", "shelve": "shelved"}[name]
    CircleStay.objects.filter(prfaq=row, circle=before_circle, left_at__isnull=True).update(
        left_at=ctx.now, outcome=outcome
    )
    if name in ("submit", "advance"):
        CircleStay.objects.create(prfaq=row, circle=row.circle, entered_at=ctx.now)
    if name == "shelve" and row.high_impact:
        _withdraw_review(ctx)
    if name == "submit" and row.high_impact:
        bar_raisers_services.request_review(
            actor=ctx.actor,
            subject=_subject(row),
            question="Is this high-impact PR/FAQ ready to be approved for staffing?",
        )
    ctx._stays = None
    record = _to_prfaq(row, ctx.members(), ctx.stays())
    audit_services.record_change(
        actor=ctx.actor,
        verb=name,
        subject_type=PRFAQ_SUBJECT,
        subject_id=row.id,
        subject_label=row.title,
        before=step.before,
        after=_audit_view(record),
        reason=step.note,
    )
    if name in ("submit", "advance"):
        _notify_circle(ctx.actor, row, row.circle, ctx.people_of(row.circle))
    else:
        reached = ctx.people_of(*range(2, row.circle + 1)) | {row.author_id}
        verb = "shelved" if name == "shelve" else "approved for staffing"
        _notify(ctx.actor, row, f"prfaq.{name}", f"{row.title}: a PR/FAQ was {verb}", reached)
    return record


# Set while a PR/FAQ's own shelving withdraws its bar-raiser review, so the current circle's reviewer who shelves it
# takes the author's side there (acts_for_author) and nowhere else.
_SHELVING: contextvars.ContextVar[bool] = contextvars.ContextVar("working_backwards_shelving", default=False)


def _withdraw_review(ctx: _Context) -> None:
    """A shelved PR/FAQ's open bar-raiser review is withdrawn in the same write: its subject went away, so the bar
    raiser's seat is released and nobody is reminded of a review that no longer matters."""
    review = ctx.review()
    if review is None or review.state not in (ReviewState.REQUESTED, ReviewState.RECOMMENDED):
        return
    token = _SHELVING.set(True)
    try:
        bar_raisers_services.withdraw_review(
            actor=ctx.actor, review_id=review.id, version=review.version, reason="the PR/FAQ was shelved"
        )
    finally:
        _SHELVING.reset(token)


def acts_for_author(actor: Actor, prfaq_id: int) -> bool:
    """Whether someone other than the author answers a PR/FAQ's bar-raiser review for them: only the reviewer who
    shelves it, inside that shelving (which withdraws the review), never through the review's own door."""
    return _SHELVING.get()


_BINDING = machine_apply.Binding(
    machine=MACHINE,
    load=_load,
    facts=_facts,
    parties=_parties,
    snapshot=_snapshot,
    record=_record,
)


def _notify_circle(actor: Actor, row: PrFaq, circle: int, people: Iterable[int]) -> None:
    """Entering a circle tells its named people: the title and the link only."""
    _notify(actor, row, "prfaq.circle", f"{row.title}: a PR/FAQ reached your circle ({circle})", people)


def _notify(actor: Actor, row: PrFaq, kind: str, title: str, people: Iterable[int]) -> None:
    recipients = set(people)
    if recipients:
        notifications_services.notify(
            actor=actor,
            recipients=recipients,
            kind=kind,
            title=title[:200],
            url=prfaq_url(row.id),
            subject_type=PRFAQ_SUBJECT,
            subject_id=row.id,
        )


def _subject(row: PrFaq) -> Subject:
    return Subject(
        kind=SubjectKind.PRFAQ,
        id=row.pk,
        title=f"PR/FAQ #{row.pk}",
        owner_id=row.author_id,
        team_ids=(row.team_id,),
        url=prfaq_url(row.pk),
    )


def _clean_ids(ids: Iterable[Any], field: str) -> set[int]:
    out: set[int] = set()
    for value in ids or ():
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise RuleViolation(f"{field} must be person ids", field=field)
        out.add(value)
    return out


def _clean_check_parts(parts: Mapping[str, str]) -> dict[str, str]:
    known = {p.key for p in PRFAQ_PARTS}
    out: dict[str, str] = {}
    for key, value in dict(parts or {}).items():
        if key not in known:
            raise RuleViolation(f"a PR/FAQ has no part {key!r}", field=str(key)[:64])
        if not isinstance(value, str) or len(value) > documents_services.MAX_PART_CHARS:
            raise RuleViolation(
                f"{key} must be text of at most {documents_services.MAX_PART_CHARS} characters", field=key
            )
        out[key] = value
    return out


def _stays_by_prfaq(rows: Iterable[PrFaq]) -> dict[int, list[CircleStay]]:
    out: dict[int, list[CircleStay]] = {}
    for s in CircleStay.objects.filter(prfaq_id__in=[r.pk for r in rows]).order_by("circle", "id"):
        out.setdefault(s.prfaq_id, []).append(s)
    return out


def _audit_view(record: PrFaqRecord) -> dict[str, Any]:
    # CONFIDENTIAL: the log keeps these field names only (history.py), never their values.
    return {
        "title": record.title,
        "state": record.state.value,
        "circle": int(record.circle),
        "team_id": record.team_id,
        "high_impact": record.high_impact,
        "shelve_reason": record.shelve_reason.value if record.shelve_reason else "",
        "shelve_note": record.shelve_note,
    }


def _to_prfaq(
    row: PrFaq, members: Iterable[CircleMember] | None = None, stays: Iterable[CircleStay] | None = None
) -> PrFaqRecord:
    if members is None:
        members = CircleMember.objects.filter(prfaq=row).order_by("circle", "id")
    if stays is None:
        stays = CircleStay.objects.filter(prfaq=row).order_by("circle", "id")
    return PrFaqRecord(
        id=PrFaqId(row.pk),
        document_id=row.document_id or 0,
        title=row.title,
        author_id=row.author_id,
        team_id=row.team_id,
        state=S(row.state),
        circle=Circle(row.circle),
        high_impact=row.high_impact,
        shelve_reason=ShelveReason(row.shelve_reason) if row.shelve_reason else None,
        shelve_note=row.shelve_note,
        shelved_at=row.shelved_at,
        shelved_by_id=row.shelved_by_id,
        approved_at=row.approved_at,
        approved_by_id=row.approved_by_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=row.version,
        members=tuple(
            CircleMemberRecord(circle=Circle(m.circle), person_id=m.person_id, reviewer=m.reviewer) for m in members
        ),
        stays=tuple(
            CircleStayRecord(
                circle=Circle(s.circle), entered_at=s.entered_at, left_at=s.left_at, outcome=s.outcome or None
            )
            for s in stays
        ),
    )


# --- narratives (MECHANISMS.md §6: six-page narratives, read in silent reading sessions) -----------------------
#
# A narrative is a Narrative row (its team, author, confidentiality, named readers) and a document of the
# documents app (owner kind `narrative`, parts `NARRATIVE_PARTS`: the body and the appendix), created together.
# Who may read it is policy.py's narrative part; the page measure and the lint are rules_narrative.py (pure).

NARRATIVE_SUBJECT = "narrative"  # the audit subject type (history.py)
NARRATIVE_MAX_TITLE = 300
NARRATIVE_MAX_TEXT = 200_000
NARRATIVE_MAX_READERS = 100


def create_narrative(
    *,
    actor: Actor,
    title: str,
    team_id: int,
    body: str,
    appendix: str = "",
    confidential: bool = False,
    reader_ids: Sequence[int] = (),
) -> NarrativeRecord:
    """Write a narrative for a team: the actor is its author; its body and appendix become the first revision of
    its document (MECHANISMS.md §6). A body over six pages or full of bullets may be saved (the check shows the
    findings) but cannot be read in a session. A confidential narrative is read only by the author, the team's
    members and leader, its named readers and the readers of its sessions (policy.py). Raises PermissionDenied
    (not a person), RuleViolation naming `title`, `team_id`, `body`, `appendix`, `confidential` or `reader_ids`."""
    author = _require_person(actor, "write a narrative")
    clean_title = clean_text(title, "title", NARRATIVE_MAX_TITLE)
    team = _live_team(actor, team_id)
    clean_body = _clean_markdown(body, "body", required=True)
    clean_appendix = _clean_markdown(appendix, "appendix", required=False)
    if not isinstance(confidential, bool):
        raise RuleViolation("confidential is true or false", field="confidential")
    readers = _clean_named_readers(actor, reader_ids, author=author)
    with transaction.atomic():
        row = Narrative.objects.create(title=clean_title, author_id=author, team_id=team, confidential=confidential)
        NarrativeReader.objects.bulk_create([NarrativeReader(narrative=row, person_id=p) for p in readers])
        doc = documents_services.create_document(
            actor=actor,
            owner_kind=NARRATIVE_KIND,
            owner_id=row.id,
            title=clean_title,
            parts={"body": clean_body, "appendix": clean_appendix},
        )
        Narrative.objects.filter(pk=row.pk).update(document_id=doc.id)
        row.document_id = doc.id
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=NARRATIVE_SUBJECT,
            subject_id=row.id,
            subject_label=clean_title,
            after={
                "title": clean_title,
                "team_id": team,
                "confidential": confidential,
                "reader_ids": readers,
                "document_id": doc.id,
            },
        )
    return _to_narrative(_narrative_qs().get(pk=row.pk))


def get_narrative(*, actor: Actor, narrative_id: int) -> NarrativeView:
    """A narrative with its current body and appendix, their check (pages, bullets) and what the viewer may do.
    NotFound when the actor may not read it (a confidential one they are not an insider of)."""
    row = _visible_narrative(actor, narrative_id)
    doc = documents_services.get_document(actor=actor, document_id=row.document_id)
    rev = documents_services.get_revision(actor=actor, document_id=row.document_id)
    body, appendix = rev.text("body"), rev.text("appendix")
    return NarrativeView(
        narrative=_to_narrative(row),
        revision=doc.revision,
        document_version=doc.version,
        body=body,
        appendix=appendix,
        check=rules_narrative.check_narrative(body, appendix),
        can_revise=doc.can(Access.REVISE),
        can_present=doc.can(Access.PRESENT),
    )


def list_narratives(
    *,
    actor: Actor,
    team_id: int | None = None,
    text: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[NarrativeRecord]:
    """The narratives the actor may read, newest first (paginated), optionally of one team or whose title holds
    `text`. Confidential ones appear only to their insiders."""
    qs = _policy.visible_narratives(actor, _narrative_qs())
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    words = (text or "").strip()[:200]
    if words:
        qs = qs.filter(title__icontains=words)
    return paginate(qs.order_by("-updated_at", "-id"), limit=limit, offset=offset, convert=_to_narrative)


def revise_narrative(
    *,
    actor: Actor,
    narrative_id: int,
    version: int,
    body: str | None = None,
    appendix: str | None = None,
    title: str | None = None,
    note: str = "",
) -> NarrativeView:
    """Keep a new revision of a narrative's body and/or appendix (and title), through documents.revise_document
    (every revision kept). `version` is the document's version you read (NarrativeView.document_version): a stale
    one is a Conflict. Only the author. Raises NotFound, PermissionDenied, RuleViolation naming `body`,
    `appendix`, `title` or `parts` (nothing changed), Conflict."""
    row = _visible_narrative(actor, narrative_id)
    if not _policy.can_revise_narrative(actor, row):
        raise PermissionDenied("only the narrative's author revises it")
    parts: dict[str, str] = {}
    if body is not None:
        parts["body"] = _clean_markdown(body, "body", required=True)
    if appendix is not None:
        parts["appendix"] = _clean_markdown(appendix, "appendix", required=False)
    clean_title = clean_text(title, "title", NARRATIVE_MAX_TITLE) if title is not None else None
    with transaction.atomic():
        doc = documents_services.revise_document(
            actor=actor, document_id=row.document_id, parts=parts, version=version, note=note, title=clean_title
        )
        changes: dict[str, Any] = {"title": doc.title}
        update_versioned(row, expected_version=row.version, changes=changes)
        audit_services.record_change(
            actor=actor,
            verb="revise",
            subject_type=NARRATIVE_SUBJECT,
            subject_id=row.id,
            subject_label=doc.title,
            before={"revision": doc.revision - 1},
            after={"revision": doc.revision, "parts": sorted(parts), "title": doc.title},
        )
    return get_narrative(actor=actor, narrative_id=row.id)


def update_narrative(*, actor: Actor, narrative_id: int, version: int, changes: NarrativeChanges) -> NarrativeRecord:
    """Change whether a narrative is confidential and who its named readers are (the author only; `version` is the
    narrative's). Raises NotFound, PermissionDenied, RuleViolation naming `confidential`, `reader_ids` or `changes`
    (nothing differs), Conflict."""
    row = _visible_narrative(actor, narrative_id)
    if not _policy.can_revise_narrative(actor, row):
        raise PermissionDenied("only the narrative's author changes who reads it")
    wanted = given(changes)
    before = {"confidential": row.confidential, "reader_ids": sorted(r.person_id for r in row.readers.all())}
    values: dict[str, Any] = {}
    if "confidential" in wanted:
        if not isinstance(wanted["confidential"], bool):
            raise RuleViolation("confidential is true or false", field="confidential")
        values["confidential"] = wanted["confidential"]
    readers = None
    if "reader_ids" in wanted:
        readers = _clean_named_readers(actor, wanted["reader_ids"], author=row.author_id)
    if values.get("confidential", row.confidential) == row.confidential and (
        readers is None or sorted(readers) == before["reader_ids"]
    ):
        raise RuleViolation("nothing to change: name what is different", field="changes")
    with transaction.atomic():
        update_versioned(row, expected_version=version, changes=values)
        if readers is not None:
            NarrativeReader.objects.filter(narrative=row).exclude(person_id__in=readers).delete()
            known = set(NarrativeReader.objects.filter(narrative=row).values_list("person_id", flat=True))
            NarrativeReader.objects.bulk_create(
                [NarrativeReader(narrative=row, person_id=p) for p in readers if p not in known]
            )
        fresh = _narrative_qs().get(pk=row.pk)
        after = {"confidential": fresh.confidential, "reader_ids": sorted(r.person_id for r in fresh.readers.all())}
        audit_services.record_change(
            actor=actor,
            verb="update",
            subject_type=NARRATIVE_SUBJECT,
            subject_id=row.id,
            subject_label=fresh.title,
            before={k: v for k, v in before.items() if after[k] != v},
            after={k: v for k, v in after.items() if before[k] != v},
        )
    return _to_narrative(fresh)


def start_narrative_session(
    *, actor: Actor, narrative_id: int, reader_ids: Sequence[int], minutes: int = 20
) -> ReadingSessionRecord:
    """Start a silent reading of the narrative's current revision (documents.start_session: the author presents,
    the readers read; MECHANISMS.md §6). A narrative over six pages is refused naming the rule. Inviting someone to
    read a confidential narrative names them as its reader, in the same write. Raises NotFound, PermissionDenied,
    RuleViolation naming `document_id` (over six pages, a session open), `reader_ids` or `minutes`."""
    row = _visible_narrative(actor, narrative_id)
    if not _policy.can_revise_narrative(actor, row):
        raise PermissionDenied("only the narrative's author starts a reading session on it")
    with transaction.atomic():
        if row.confidential and isinstance(reader_ids, Sequence) and not isinstance(reader_ids, str):
            known = set(NarrativeReader.objects.filter(narrative=row).values_list("person_id", flat=True))
            invited = _clean_named_readers(actor, reader_ids, author=row.author_id, allow_author=True)
            NarrativeReader.objects.bulk_create(
                [NarrativeReader(narrative=row, person_id=p) for p in invited if p not in known and p != row.author_id]
            )
        return documents_services.start_session(
            actor=actor, document_id=row.document_id, reader_ids=reader_ids, minutes=minutes
        )


def list_narrative_sessions(
    *, actor: Actor, narrative_id: int, limit: int | None = None, offset: int | None = None
) -> Page[ReadingSessionRecord]:
    """The reading sessions of a narrative, newest first. NotFound when the actor may not read it."""
    row = _visible_narrative(actor, narrative_id)
    return documents_services.list_sessions(actor=actor, document_id=row.document_id, limit=limit, offset=offset)


def check_narrative(*, body: str, appendix: str = "") -> NarrativeCheck:
    """The page measure and the bullet-ratio lint of a text (rules_narrative; the same as `mech narratives
    check`), for the editor's preview: no record is read or written."""
    return rules_narrative.check_narrative(
        _clean_markdown(body, "body", required=False), _clean_markdown(appendix, "appendix", required=False)
    )


def narrative_url(narrative_id: int | str) -> str:
    return f"/narratives/{int(narrative_id)}"


def narrative_access(actor: Actor, owner_ids: frozenset[str]) -> Mapping[str, frozenset[Access]]:
    """The documents owner's access rule of narratives (registered in apps.py): per narrative id the actor may
    read, what they may do with its document (policy.py)."""
    numeric = [int(i) for i in owner_ids if i.isdigit()]
    rows = _policy.visible_narratives(actor, Narrative.objects.filter(pk__in=numeric))
    return _policy.narrative_access(actor, rows)


def narrative_session_refused(owner_id: str) -> str:
    """Why a reading session may not start on this narrative ("" when it may): over six pages (rules_narrative)."""
    row = Narrative.objects.filter(pk=int(owner_id)).first() if owner_id.isdigit() else None
    if row is None or row.document_id is None:
        return ""
    parts = documents_services.current_parts(document_id=row.document_id)
    return rules_narrative.session_refusal(
        rules_narrative.check_narrative(parts.get("body", ""), parts.get("appendix", ""))
    )


def visible_narrative_ids(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """Which of these narratives' histories the actor may read (the audit registry's resolver)."""
    return _policy.visible_narrative_ids(actor, Narrative.objects.all(), ids)


def _narrative_qs():
    return Narrative.objects.prefetch_related("readers")


def _visible_narrative(actor: Actor, narrative_id: Any) -> Narrative:
    try:
        wanted = int(narrative_id)
    except (TypeError, ValueError):
        wanted = 0
    row = None
    if 0 < wanted < 2**63:
        row = _policy.visible_narratives(actor, _narrative_qs().filter(pk=wanted)).first()
    if row is None:
        raise NotFound(f"narrative {narrative_id} not found")
    return row


def _require_person(actor: Actor, what: str) -> int:
    if not actor.is_authenticated or actor.person_id is None:
        raise PermissionDenied(f"only a person may {what}")
    return actor.person_id


def _live_team(actor: Actor, team_id: Any) -> int:
    if isinstance(team_id, bool) or not isinstance(team_id, int) or not 0 < team_id < 2**63:
        raise RuleViolation("name the owning team by its id", field="team_id")
    try:
        team = org_services.get_team(actor=actor, team_id=team_id)
    except NotFound:
        raise RuleViolation(f"team {team_id} does not exist", field="team_id") from None
    if team.dissolved_on is not None:
        raise RuleViolation(f"team {team.slug} is dissolved", field="team_id")
    return team.id


def _clean_markdown(value: Any, field: str, *, required: bool) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise RuleViolation(f"the {field} is Markdown text", field=field)
    text = value.replace("\r\n", "\n")
    try:
        check_text(text)
    except ValueError as exc:
        raise RuleViolation(f"the {field} {exc}", field=field) from None
    if len(text) > NARRATIVE_MAX_TEXT:
        raise RuleViolation(f"the {field} is limited to {NARRATIVE_MAX_TEXT:,} characters", field=field)
    if required and not text.strip():
        raise RuleViolation(f"a narrative needs a {field}", field=field)
    return text


def _clean_named_readers(actor: Actor, reader_ids: Any, *, author: int | None, allow_author: bool = False) -> list[int]:
    if isinstance(reader_ids, str | bytes) or not isinstance(reader_ids, Sequence | set | frozenset):
        raise RuleViolation("name the readers by their person ids", field="reader_ids")
    wanted: list[int] = []
    for value in reader_ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise RuleViolation(f"{value!r} is not a person id", field="reader_ids")
        if value == author and not allow_author:
            continue  # the author reads their own narrative anyway
        if value not in wanted:
            wanted.append(value)
    if len(wanted) > NARRATIVE_MAX_READERS:
        raise RuleViolation(f"a narrative names at most {NARRATIVE_MAX_READERS} readers", field="reader_ids")
    people = org_services.get_people(actor=actor, ids=wanted)
    missing = [str(i) for i in wanted if i not in people]
    if missing:
        raise RuleViolation(f"no person has the id {', '.join(missing)}", field="reader_ids")
    return wanted


def _to_narrative(row: Narrative) -> NarrativeRecord:
    return NarrativeRecord(
        id=NarrativeId(row.id),
        title=row.title,
        author_id=row.author_id,
        team_id=row.team_id,
        confidential=row.confidential,
        reader_ids=tuple(sorted(r.person_id for r in row.readers.all())),
        document_id=row.document_id,
        version=row.version,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


# ================================================================================================================
# The review board and the funnel (MECHANISMS.md §6): what waits on whom in which circle, and how far the ideas got.
# ================================================================================================================

BOARD_CIRCLES = (Circle.SMALL_GROUP, Circle.LEADERSHIP, Circle.TOP)
BOARD_SECTION = 50  # PR/FAQs per section of the board (a circle's reviewers rarely hold more)
BOARD_FINISHED = 10  # the latest approved or shelved ones
FUNNEL_ENTRIES = 100  # the readable PR/FAQs named under the funnel, most recently changed first


def review_board(*, actor: Actor) -> ReviewBoard:
    """The signed-in person's review board (MECHANISMS.md §6, concentric review): the PR/FAQs they may read that are
    in review, grouped by circle (2, 3, 4), each with its time in the circle, the comments they may see, the
    checker's status on its current revision and whether it waits on them (they are a named reviewer of the circle
    it is in); their own drafts; the latest finished (approved or shelved) they may read.

    Reads only through the policy's `visible_to`: a PR/FAQ is never on the board of someone outside the circles it
    has reached (admins included). Raises PermissionDenied for an anonymous caller."""
    org_services.require_signed_in(actor)
    qs = _policy.visible_to(actor, PrFaq.objects.all())
    in_review = list(qs.filter(state=PrFaqState.IN_REVIEW.value).order_by("circle", "-updated_at", "-id"))
    drafts = list(
        qs.filter(state=PrFaqState.DRAFT.value, author_id=actor.person_id).order_by("-updated_at", "-id")[
            :BOARD_SECTION
        ]
    )
    finished = list(
        qs.filter(state__in=(PrFaqState.APPROVED.value, PrFaqState.SHELVED.value)).order_by("-updated_at", "-id")[
            :BOARD_FINISHED
        ]
    )
    by_circle = {c: [r for r in in_review if r.circle == c][:BOARD_SECTION] for c in BOARD_CIRCLES}
    rows = [r for c in BOARD_CIRCLES for r in by_circle[c]] + drafts + finished
    items = _board_items(actor, rows)
    return ReviewBoard(
        circles=tuple((c, tuple(items[r.pk] for r in by_circle[c])) for c in BOARD_CIRCLES),
        drafts=tuple(items[r.pk] for r in drafts),
        finished=tuple(items[r.pk] for r in finished),
    )


def list_waiting_prfaqs(*, actor: Actor, limit: int | None = None, offset: int | None = None) -> Page[BoardItem]:
    """The PR/FAQs waiting on the actor (MECHANISMS.md §6: the circle's reviewer advances or shelves it): in review,
    in a circle where they are a named reviewer, longest waiting first. Through `visible_to`, like every read."""
    org_services.require_signed_in(actor)
    if actor.person_id is None:
        return Page(items=[], total=0, limit=clamp_limit(limit), offset=clamp_offset(offset))
    reviewing = CircleMember.objects.filter(
        prfaq_id=OuterRef("pk"), person_id=actor.person_id, reviewer=True, circle=OuterRef("circle")
    )
    qs = _policy.visible_to(actor, PrFaq.objects.filter(Exists(reviewing), state=PrFaqState.IN_REVIEW.value))
    limit, offset = clamp_limit(limit), clamp_offset(offset)
    shown = list(qs.order_by("updated_at", "id")[offset : offset + limit])
    items = _board_items(actor, shown)
    return Page(items=[items[r.pk] for r in shown], total=qs.count(), limit=limit, offset=offset)


def prfaq_funnel(
    *,
    actor: Actor,
    unit_id: int | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> FunnelReport:
    """The funnel of PR/FAQs (MECHANISMS.md §6: "shelving is a healthy outcome: the product reports the funnel"):
    how many reached each circle and were approved, the days spent in each (median, 90th percentile), and why
    they stopped (per circle, per shelve reason). `unit_id` narrows it to the teams of an org unit and the units
    below it; `since`/`until` to the PR/FAQs written in those days (both included).

    The counts are over ALL the PR/FAQs of the unit, readable or not: they are aggregates, which name nothing. Only
    the PR/FAQs the viewer may read are named in `entries` (policy `visible_to`), so the funnel never reveals a
    title, a team or an author outside the circles a PR/FAQ has reached (docs/working-backwards.md, "The funnel").
    Raises PermissionDenied (anonymous), NotFound naming `unit_id`, RuleViolation naming `until` (before `since`)."""
    org_services.require_signed_in(actor)
    if since is not None and until is not None and until < since:
        raise RuleViolation("the funnel's period ends before it starts: until must be on or after since", field="until")
    qs = PrFaq.objects.all()
    if unit_id is not None:
        unit = org_services.get_org_unit(actor=actor, org_unit_id=unit_id)
        units = org_services.org_unit_descendants(actor=actor, org_unit_id=unit.id)
        qs = qs.filter(team_id__in=org_services.team_ids_in_org_units(actor=actor, org_unit_ids=units))
    if since is not None:
        qs = qs.filter(created_at__date__gte=since)
    if until is not None:
        qs = qs.filter(created_at__date__lte=until)
    facts = list(qs.values_list("id", "state", "shelve_reason"))
    stays: dict[int, list[CircleStayRecord]] = {pk: [] for pk, _, _ in facts}
    for stay in CircleStay.objects.filter(prfaq__in=qs).order_by("prfaq_id", "entered_at", "id"):
        stays[stay.prfaq_id].append(_to_stay(stay))
    shelved = {pk: reason for pk, state, reason in facts if state == PrFaqState.SHELVED.value}
    report = _funnel_rules.funnel(stays=stays, shelved=shelved, now=clock.now())
    readable = _policy.visible_to(actor, qs).order_by("-updated_at", "-id")[:FUNNEL_ENTRIES]
    entries = tuple(
        FunnelEntry(
            prfaq_id=PrFaqId(r.pk),
            title=r.title,
            state=PrFaqState(r.state),
            circle=Circle(r.circle),
            shelve_reason=_funnel_rules.shelve_reason(r.shelve_reason) if r.shelve_reason else None,
        )
        for r in readable
    )
    return FunnelReport(
        total=report.total,
        steps=report.steps,
        approved=report.approved,
        shelved=report.shelved,
        reasons=report.reasons,
        entries=entries,
        unit_id=unit_id,
        since=since,
        until=until,
    )


def _reviews_now(actor: Actor, row: PrFaq, members: list[CircleMember]) -> bool:
    """Is the actor a named reviewer of the circle this PR/FAQ is in, while it is in review?"""
    if row.state != PrFaqState.IN_REVIEW.value or actor.person_id is None:
        return False
    return any(m.person_id == actor.person_id and m.reviewer and m.circle == row.circle for m in members)


def _board_items(actor: Actor, rows: list[PrFaq]) -> dict[int, BoardItem]:
    """The board's facts for these readable rows: members and stays in one query each; the comments the actor may
    see and the checker on the current revision through the documents services (which ask the policy again)."""
    now = clock.now()
    members = _policy.members_by_prfaq(rows)
    entered: dict[int, dt.datetime] = {}
    circles = {r.pk: r.circle for r in rows}
    for stay in CircleStay.objects.filter(prfaq_id__in=list(circles)).order_by("entered_at", "id"):
        if stay.circle == circles[stay.prfaq_id]:
            entered[stay.prfaq_id] = stay.entered_at  # the latest stay in its current circle
    out: dict[int, BoardItem] = {}
    for row in rows:
        comments, errors, warnings = 0, 0, 0
        if row.document_id is not None:
            comments = documents_services.count_comments(actor=actor, document_id=row.document_id)
            # The row was read through visible_to: the owner's own rule reads its text without asking itself again.
            report = rules.check_prfaq(documents_services.current_parts(document_id=row.document_id))
            errors, warnings = len(report.errors), len(report.warnings)
        since = entered.get(row.pk)
        out[row.pk] = BoardItem(
            prfaq_id=PrFaqId(row.pk),
            title=row.title,
            state=PrFaqState(row.state),
            circle=Circle(row.circle),
            author_id=row.author_id,
            team_id=row.team_id,
            in_circle_since=since,
            days_in_circle=_funnel_rules.whole_days(since, now) if since is not None else None,
            comments=comments,
            errors=errors,
            warnings=warnings,
            waiting_on_you=_reviews_now(actor, row, members.get(row.pk, [])),
            version=row.version,
        )
    return out


def _to_stay(row: CircleStay) -> CircleStayRecord:
    return CircleStayRecord(
        circle=Circle(row.circle), entered_at=row.entered_at, left_at=row.left_at, outcome=row.outcome or None
    )
