"""Typed change notices between apps that may not import each other (DESIGN.md §3: a registry, never an import).

A lower app says what it changed by publishing a frozen event (``publish(TeamsChanged(team_ids=...))``); a higher
app subscribes in its ``AppConfig.ready`` (``subscribe(TeamsChanged, handler)``). Every event is delivered once
per transaction, after it commits: events of one type published in one transaction are merged into one when the
type knows how (``TeamsChanged`` unites its teams; ``None`` means "everything may have changed"), the others are
delivered once each, duplicates dropped. A rolled-back write tells no one. A subscriber's failure is logged and
never fails the write that caused it.

``subscribe(..., as_task=True)`` is for heavy work (the mandate's re-evaluation): after the commit the event is
enqueued as a task (``mechanisms.kernel.tasks.deliver_event``) and a worker runs the handler off the request
thread; queued deliveries of a mergeable event to one handler are coalesced into one run. With the immediate
task backend (tests) the handler runs at once, after the commit, exactly like a plain subscriber.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from django.db import connection, transaction

logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class Event:
    """Base of every event: a frozen dataclass whose fields are JSON-friendly (ints, text, frozensets of ints)."""

    mergeable: ClassVar[bool] = False

    def merge(self, other: Event) -> Event:
        """The one event that says what both say (only for mergeable types)."""
        raise NotImplementedError

    def to_payload(self) -> dict[str, Any]:
        return {k: sorted(v) if isinstance(v, frozenset) else v for k, v in dataclasses.asdict(self).items()}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> Event:
        return cls(**payload)


def _ids(values: Iterable[Any] | None) -> frozenset[int] | None:
    return None if values is None else frozenset(int(v) for v in values if v is not None)


@dataclasses.dataclass(frozen=True)
class TeamsChanged(Event):
    """The facts of these teams changed (org, catalog, waivers); ``None``: of the whole organization (an import)."""

    team_ids: frozenset[int] | None = None
    mergeable: ClassVar[bool] = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "team_ids", _ids(self.team_ids))

    def merge(self, other: Event) -> TeamsChanged:
        assert isinstance(other, TeamsChanged)
        if self.team_ids is None or other.team_ids is None:
            return TeamsChanged(None)
        return TeamsChanged(self.team_ids | other.team_ids)

    @property
    def empty(self) -> bool:
        return self.team_ids is not None and not self.team_ids


@dataclasses.dataclass(frozen=True)
class ServiceStopped(Event):
    """A service was retired or lost its owner (later mechanisms: open reviews, on-call, experiments on it)."""

    service_id: int


@dataclasses.dataclass(frozen=True)
class MetricValuesChanged(Event):
    """New or corrected values of one metric in a date range (for the metrics app and its goals, later)."""

    metric_id: int
    first_date: str = ""
    last_date: str = ""


E = TypeVar("E", bound=Event)
Handler = Callable[[Any], None]


@dataclasses.dataclass(frozen=True)
class _Subscription:
    event_type: type[Event]
    handler: Handler
    as_task: bool


_subscriptions: list[_Subscription] = []
_local = threading.local()


def subscribe(event_type: type[E], handler: Callable[[E], None], *, as_task: bool = False) -> None:
    """Call ``handler(event)`` after each committed transaction that published an ``event_type``. With
    ``as_task`` the call runs in the worker (the handler must be a module-level function: it is found by path)."""
    if as_task and ("<" in handler.__qualname__ or "." in handler.__qualname__):
        raise ValueError(f"{handler!r} runs as a task, so it must be a module-level function")
    subscription = _Subscription(event_type, handler, as_task)
    if subscription not in _subscriptions:
        _subscriptions.append(subscription)


def unsubscribe(event_type: type[Event], handler: Handler) -> None:
    """Stop calling ``handler`` (tests that subscribe a probe take it away again)."""
    _subscriptions[:] = [s for s in _subscriptions if not (s.event_type is event_type and s.handler is handler)]


def publish(event: Event) -> None:
    """Deliver ``event`` to its subscribers after the current transaction commits (at once outside one)."""
    if not any(isinstance(event, s.event_type) for s in _subscriptions):
        return
    pending: list[Event] | None = getattr(_local, "pending", None)
    if pending is not None and not _flush_registered():
        pending = None  # the transaction that registered the flush rolled back
    fresh = pending is None
    if fresh:
        _local.pending = pending = []
    for i, queued in enumerate(pending):
        if type(queued) is type(event) and event.mergeable:
            pending[i] = queued.merge(event)
            break
        if queued == event:
            break
    else:
        pending.append(event)
    if fresh:  # outside a transaction this runs the flush at once, so it comes after the event is recorded
        transaction.on_commit(_flush, robust=True)


def teams_changed(team_ids: Iterable[int] | None) -> None:
    """Record that the facts of these teams changed (None: of the whole organization, e.g. an import).
    Kept for org and catalog: ``publish(TeamsChanged(team_ids))``."""
    publish(TeamsChanged(None if team_ids is None else frozenset(int(t) for t in team_ids if t is not None)))


def handler_path(handler: Handler) -> str:
    return f"{handler.__module__}.{handler.__qualname__}"


def event_path(event_type: type[Event]) -> str:
    return f"{event_type.__module__}.{event_type.__qualname__}"


def _flush_registered() -> bool:
    # Django keeps the callbacks of the open transaction on the connection; after a rollback ours is gone.
    return any(callback is _flush for _, callback, _ in getattr(connection, "run_on_commit", ()))


def _flush() -> None:
    pending: list[Event] = getattr(_local, "pending", None) or []
    _local.pending = None
    for event in pending:
        if isinstance(event, TeamsChanged) and event.empty:
            continue
        for subscription in list(_subscriptions):
            if not isinstance(event, subscription.event_type):
                continue
            try:
                if subscription.as_task:
                    from mechanisms.kernel import tasks

                    tasks.enqueue_event(subscription.handler, event)
                else:
                    subscription.handler(event)
            except Exception:  # a subscriber must never fail the write that caused it
                logger.exception("subscriber %r of %s failed", subscription.handler, type(event).__name__)
