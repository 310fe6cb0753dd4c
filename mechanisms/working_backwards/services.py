"""Public services of the working_backwards app (DESIGN.md §4)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Exists, OuterRef

from mechanisms.documents import services as documents_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import RuleViolation
from mechanisms.kernel.pagination import Page, clamp_limit, clamp_offset
from mechanisms.org import services as org_services

from . import policy as _policy
from . import rules
from . import rules_funnel as _funnel_rules
from .contracts import (
    BoardItem,
    Circle,
    CircleStayRecord,
    FunnelEntry,
    FunnelReport,
    PrFaqId,
    PrFaqState,
    ReviewBoard,
)
from .models import CircleMember, CircleStay, PrFaq

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
            report = rules.check_prfaq(documents_services.get_revision(actor=actor, document_id=row.document_id).parts)
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
