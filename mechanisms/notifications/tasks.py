"""Scheduled jobs of the notifications app (registered in NotificationsConfig.ready, run by `mech worker`): the
outbox's retries and the deadlines' reminders and escalations. Each runs as the product itself."""

from __future__ import annotations

from django_tasks import task

from mechanisms.kernel.actor import Actor

from . import delivery, services


@task()
def deliver_notifications() -> dict[str, int]:
    """Send the deliveries a dispatcher missed and the retries whose backoff has passed (was cron's job)."""
    report = services.deliver_pending(actor=Actor.system("worker"))
    return {"attempted": report.attempted, "sent": report.sent, "failed": report.failed}


@task()
def run_deadlines() -> dict[str, int]:
    """Remind the owners of overdue deadlines and escalate up the management chain (kernel.schedule)."""
    report = services.run_deadlines(actor=Actor.system("worker"))
    return {"reminded": report.reminded, "escalated": report.escalated}


@task()
def send_deliveries(*, ids: list[int]) -> dict[str, int]:
    """Send these deliveries now (``NOTIFICATIONS_DISPATCH=task``: queued by the write that made them)."""
    report = delivery.dispatch(ids)
    return {"attempted": report.attempted, "sent": report.sent, "failed": report.failed}
