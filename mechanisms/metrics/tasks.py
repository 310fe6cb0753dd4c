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
