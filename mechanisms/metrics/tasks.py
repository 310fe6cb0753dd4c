"""The metrics app's scheduled jobs (registered in MetricsConfig.ready(), run by `mech worker`; docs/worker.md).

`pull_sql_sources` runs every services.PULL_EVERY and pulls each SQL source that is due (its `every_hours` since its
last run have passed), so a source runs once per its period whatever the job's own period is."""

from __future__ import annotations

from django_tasks import task

from mechanisms.kernel.actor import Actor

from . import services


@task()
def pull_sql_sources() -> dict[str, int]:
    report = services.pull_due_sources(actor=Actor.system("worker"))
    return {"pulled": len(report.pulled), "failed": len(report.failed), "skipped": report.skipped}


# --- third part: the weekly snapshot of every deck (daily; idempotent per deck and week) ---------------------


@task()
def take_snapshots() -> dict[str, int]:
    return {"taken": services.take_due_snapshots(actor=Actor.system("worker"))}


# --- fourth part: goals ----------------------------------------------------------------------------------------


@task()
def close_due_goals() -> dict[str, int]:
    """Close each approved goal past its due date as achieved or missed, as its data says (metrics.services)."""
    return {"closed": len(services.close_due_goals(actor=Actor.system("worker")))}
