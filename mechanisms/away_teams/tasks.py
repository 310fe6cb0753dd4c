"""Scheduled job of the away-teams app (registered in AwayTeamsConfig.ready, run by `mech worker`): the sweep that
reminds overdue answers and closes requests whose warranty is over; it was cron's `mech away sweep`."""

from __future__ import annotations

from django_tasks import task

from mechanisms.kernel.actor import Actor

from . import services


@task()
def sweep() -> dict[str, int]:
    report = services.sweep(actor=Actor.system("worker"))
    return {"reminded": report.reminded, "closed": report.closed}
