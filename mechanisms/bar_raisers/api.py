"""API of the bar-raisers app (MECHANISMS.md §4): the pool, independence and assignments; reviews of any subject,
their transitions, and the overrides report.

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

from ninja import Query, Router, Schema

from mechanisms.kernel import machine_api
from mechanisms.kernel.api import READ_ERRORS, Date, Id, PageOut, QueryText, page_out, responses

from . import services
from .schemas import OverrideRateOut, ReviewOut, ReviewViewOut

router = Router(tags=["bar raisers"])


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


# --- reviews


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
