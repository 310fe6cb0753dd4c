"""API of the notifications app: your inbox, your notification preferences, and the outbox (administrators).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

from typing import Literal

from ninja import Query, Router, Schema

from mechanisms.kernel.api import Id, PageOut, page_out, responses

from . import services
from .schemas import (
    DeadlineReportOut,
    DeliveryOut,
    DeliveryReportOut,
    InboxItemOut,
    MarkedOut,
    MarkReadIn,
    PreferencesIn,
    PreferencesOut,
    UnreadCountOut,
)

router = Router(tags=["notifications"])
TAGS = ["notifications"]


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


class InboxFilter(Schema):
    unread: bool = False
    limit: int = 50
    offset: int = 0


@router.get("/inbox", response=responses(PageOut[InboxItemOut], 401, 422), tags=TAGS)
def list_inbox(request, filters: Query[InboxFilter]):
    """Your notifications, newest first (`unread=true`: only unread ones). Paginated (max 200)."""
    page = services.list_inbox(
        actor=_actor(request), unread_only=filters.unread, limit=filters.limit, offset=filters.offset
    )
    return page_out(page)


@router.get("/inbox/unread-count", response=responses(UnreadCountOut, 401), tags=TAGS)
def unread_count(request):
    """How many of your notifications are unread."""
    return {"unread": services.unread_count(actor=_actor(request))}


@router.post("/inbox/read", response=responses(MarkedOut, 400, 401, 404, 422), tags=TAGS)
def mark_read(request, payload: MarkReadIn):
    """Mark your notifications read: `{"ids": [...]}` or `{"all": true}`. An id not in your inbox is a 404 and
    nothing is marked."""
    actor = _actor(request)
    marked = services.mark_read(actor=actor, item_ids=None if payload.all else payload.ids)
    return {"marked": marked, "unread": services.unread_count(actor=actor)}


@router.get("/notification-preferences", response=responses(PreferencesOut, 400, 401, 403, 404), tags=TAGS)
def get_my_preferences(request):
    """Your notification preferences (the defaults until you change them: email on, chat off)."""
    return services.get_preferences(actor=_actor(request))


@router.put("/notification-preferences", response=responses(PreferencesOut), tags=TAGS)
def update_my_preferences(request, payload: PreferencesIn):
    """Change your notification preferences; fields left out stay as they are. A stale `version` gets 409."""
    return services.update_preferences(actor=_actor(request), **payload.dict(exclude_unset=True))


@router.get(
    "/people/{person_id}/notification-preferences", response=responses(PreferencesOut, 401, 403, 404, 422), tags=TAGS
)
def get_preferences(request, person_id: Id):
    """A person's notification preferences: their own, or anyone's for an administrator."""
    return services.get_preferences(actor=_actor(request), person_id=person_id)


@router.put("/people/{person_id}/notification-preferences", response=responses(PreferencesOut), tags=TAGS)
def update_preferences(request, person_id: Id, payload: PreferencesIn):
    """Change a person's notification preferences: their own, or anyone's for an administrator."""
    return services.update_preferences(actor=_actor(request), person_id=person_id, **payload.dict(exclude_unset=True))


class DeliveryFilter(Schema):
    status: Literal["pending", "sent", "failed"] | None = None
    limit: int = 50
    offset: int = 0


@router.get("/notification-deliveries", response=responses(PageOut[DeliveryOut], 401, 403, 422), tags=TAGS)
def list_deliveries(request, filters: Query[DeliveryFilter]):
    """The outbox of emails and chat posts with their attempts, newest first (administrators). Paginated."""
    return page_out(services.list_deliveries(actor=_actor(request), **filters.dict()))


@router.post("/notification-deliveries/deliver", response=responses(DeliveryReportOut, 401, 403), tags=TAGS)
def deliver_pending(request):
    """Send every due delivery now: new ones and retries whose backoff has passed (administrators)."""
    return services.deliver_pending(actor=_actor(request))


@router.post("/deadlines/run", response=responses(DeadlineReportOut, 401, 403), tags=TAGS)
def run_deadlines(request):
    """Remind the owners of every overdue deadline (once per period) and escalate up the management chain now
    (administrators; the worker does it every five minutes)."""
    return services.run_deadlines(actor=_actor(request))
