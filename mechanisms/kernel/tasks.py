"""The kernel's own tasks: delivering an event to a subscriber that asked to run in the worker (``as_task``).

A task row names the handler and the event type by path and carries the event's fields, so the worker rebuilds
the event and calls the handler. Mergeable events (``TeamsChanged``) coalesce: the run that starts first takes
every other delivery to the same handler still waiting in the queue, merges them into its event, and marks them
done, so ten writes in a row cost one re-evaluation, not ten.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils.module_loading import import_string
from django_tasks import task

from mechanisms.kernel import events

logger = logging.getLogger(__name__)


def enqueue_event(handler: events.Handler, event: events.Event) -> None:
    """Queue one delivery of ``event`` to ``handler`` (called by kernel.events after the commit)."""
    deliver_event.enqueue(
        handler=events.handler_path(handler), event_type=events.event_path(type(event)), payload=event.to_payload()
    )


@task()
def deliver_event(*, handler: str, event_type: str, payload: dict[str, Any]) -> dict[str, Any]:
    """Run one subscriber on one event, after absorbing the queued deliveries it can merge with."""
    cls: type[events.Event] = import_string(event_type)
    event = cls.from_payload(payload)
    absorbed = 0
    if cls.mergeable:
        event, absorbed = _absorb_queued(event, handler=handler, event_type=event_type)
    import_string(handler)(event)
    return {"absorbed": absorbed}


def _absorb_queued(event: events.Event, *, handler: str, event_type: str) -> tuple[events.Event, int]:
    """Merge the waiting deliveries of the same event type to the same handler into ``event``; mark them done.

    Only the database backend has a queue to look into; rows another worker has locked are left to it
    (SKIP LOCKED), so no delivery is lost or run twice."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(deliver_event.get_backend(), DatabaseBackend):
        return event, 0
    with transaction.atomic():
        rows = list(
            DBTaskResult.objects.ready()
            .filter(
                task_path=deliver_event.module_path,
                args_kwargs__kwargs__handler=handler,
                args_kwargs__kwargs__event_type=event_type,
            )
            .select_for_update(skip_locked=True)
            .order_by()
        )
        for row in rows:
            event = event.merge(type(event).from_payload(row.args_kwargs["kwargs"]["payload"]))
            row.set_successful({"coalesced": True})
    return event, len(rows)


@task()
def prune_task_results() -> dict[str, int]:
    """Delete finished task rows after a week (failed ones after a month), so the queue table stays small. A
    periodic run's row is its claim on its period, so rows are kept longer than the longest period."""
    from django.core.management import call_command

    from mechanisms.kernel import schedule

    longest = max((job.every.days + 1 for job in schedule.jobs()), default=0)
    days = max(7, longest)
    call_command(
        "prune_db_task_results", queue_name="*", min_age_days=days, failed_min_age_days=max(30, days), verbosity=0
    )
    return {"min_age_days": days}
