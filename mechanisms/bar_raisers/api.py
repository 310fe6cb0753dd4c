"""API of the bar-raisers app (MECHANISMS.md §4): the pool (list, add, read, change), a member's assignments, and
the independence check of a person against a subject's owner, teams and excluded people; reviews of any subject,
their transitions, and the overrides report.

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

from ninja import Query, Router, Schema, Status

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, Date, Id, PageOut, QueryText, page_out, responses
from mechanisms.kernel.changes import changes_from

from . import services
from .contracts import PoolMemberChanges, Subject, SubjectKind
from .schemas import (
    AssignmentOut,
    IndependenceOut,
    OverrideRateOut,
    PoolMemberIn,
    PoolMemberOut,
    PoolMemberPatch,
    PoolMemberViewOut,
    ReviewOut,
    ReviewViewOut,
)

router = Router(tags=["bar raisers"])


class PoolFilter(Schema):
    active: bool | None = None
    limit: int = 50
    offset: int = 0


class IndependenceQuery(Schema):
    person: Id
    owner: Id | None = None
    team: list[Id] = []
    excluded: list[Id] = []
    kind: SubjectKind = SubjectKind.DESIGN


@router.get("/bar-raisers", response=responses(PageOut[PoolMemberOut], *READ_ERRORS))
def list_pool(request, filters: Query[PoolFilter]):
    """The bar-raiser pool by handle, each member with their load and capacity; `active` filters on taking new
    assignments. Open to every signed-in person. Paginated (max 200)."""
    return page_out(services.list_pool(actor=request.auth, **filters.dict()))


@router.post("/bar-raisers", response=responses(PoolMemberOut, status=201))
def add_to_pool(request, payload: PoolMemberIn):
    """Put a trained person in the pool (admins, company-wide leadership): trained on a day not in the future, the
    trainer an active member other than the person, capacity 0..20. Already in the pool: 409."""
    return Status(201, services.add_to_pool(actor=request.auth, **payload.dict()))


@router.get("/bar-raisers/independence", response=responses(IndependenceOut, *READ_ERRORS))
def independence(request, query: Query[IndependenceQuery]):
    """Whether `person` is independent of a subject (MECHANISMS.md §4): not its `owner` (hiring manager, decision
    owner) nor in the owner's chain up or down; not on a `team` (repeat it for several), its leader or in the leader's
    chain; not one of `excluded` (the recruiter). `kind` picks the words of the answer ("hiring manager" for a
    hiring_loop). An unknown team is a 404."""
    subject = Subject(
        kind=query.kind,
        id=0,
        title="independence check",
        owner_id=query.owner,
        team_ids=tuple(query.team),
        excluded_ids=tuple(query.excluded),
    )
    problem = services.independence_problem(actor=request.auth, person_id=query.person, subject=subject)
    return {"person_id": query.person, "independent": problem is None, "problem": problem}


# `int:` so the literal paths of the reviews part below (/bar-raisers/reviews, /overrides) are not taken for an id.
@router.get("/bar-raisers/{int:person_id}", response=responses(PoolMemberViewOut, *READ_ERRORS))
def get_pool_member(request, person_id: Id):
    """One member, their open assignments counted by kind, and what the caller may do. Not in the pool: 404."""
    return services.member_view(actor=request.auth, person_id=person_id)


@router.patch("/bar-raisers/{int:person_id}", response=responses(PoolMemberOut))
def update_pool_member(request, person_id: Id, payload: PoolMemberPatch):
    """Change a member's training day, trainer (null clears it), capacity, note or `active` (admins, company-wide
    leadership); `version` is the version you read: a stale one gets 409."""
    sent = payload.dict(exclude_unset=True)
    version = sent.pop("version")
    changes = changes_from(PoolMemberChanges, sent)
    return services.update_pool_member(actor=request.auth, person_id=person_id, changes=changes, version=version)


@router.get("/bar-raisers/{int:person_id}/assignments", response=responses(PageOut[AssignmentOut], 401, 403, 422))
def list_assignments(request, person_id: Id, open_only: bool = True, limit: int = 50, offset: int = 0):
    """A bar raiser's assignments, newest first (open ones by default). Only the bar raiser themself reads their
    subjects (403 for anyone else: the load by kind is on the member)."""
    found = services.list_assignments(
        actor=request.auth, person_id=person_id, open_only=open_only, limit=limit, offset=offset
    )
    return page_out(found)


# --- reviews


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


class ReviewFilter(Schema):
    bar_raiser_id: Id | None = None
    owner_id: Id | None = None
    state: QueryText | None = None
    kind: QueryText | None = None
    limit: int = 50
    offset: int = 0


@router.get("/bar-raisers/reviews", response=responses(PageOut[ReviewOut], 400, *READ_ERRORS))
def list_reviews(request, filters: Query[ReviewFilter]):
    """Bar-raiser reviews you may read, newest first: by bar raiser, owner, state (or `open`) and kind. Paginated."""
    return page_out(services.list_reviews(actor=_actor(request), **filters.dict()))


@router.get("/bar-raisers/overrides", response=responses(PageOut[ReviewOut], *READ_ERRORS))
def list_overrides(request, limit: int = 50, offset: int = 0):
    """The overrides report: overridden reviews with their rationale, for everyone above the owner in the
    management chain, leadership over the owning team's unit, and admins. Paginated."""
    return page_out(services.list_overrides(actor=_actor(request), limit=limit, offset=offset))


@router.get("/bar-raisers/override-rates", response=responses(list[OverrideRateOut], *READ_ERRORS))
def override_rates(request, since: Date | None = None):
    """Per kind of subject: reviews requested, recommended, overridden and vetoed (do not proceed)."""
    return services.override_rates(actor=_actor(request), since=since)


@router.get("/bar-raisers/reviews/{review_id}", response=responses(ReviewViewOut, *READ_ERRORS))
def get_review(request, review_id: Id):
    """One review with its timeline and the transitions you may take now."""
    return services.review_view(actor=_actor(request), review_id=review_id)


def _apply(*, actor, request_id: int, version: int, transition: str, values: dict):
    return services.apply_review_transition(
        actor=actor, review_id=request_id, name=transition, version=version, values=values
    )


# One endpoint per declared transition (bar_raisers/machines.py): POST /bar-raisers/reviews/{id}/<slug>.
REVIEW_TRANSITION_BODIES = machine_api.mount(
    router,
    services.REVIEW_MACHINE,
    base="/bar-raisers/reviews",
    apply=_apply,
    response=ReviewOut,
    module=__name__,
    schema_prefix="Review",
)
