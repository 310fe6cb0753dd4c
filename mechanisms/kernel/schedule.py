"""The periodic schedule: jobs declared by the app that owns them, run by ``mech worker`` (docs/worker.md).

An app registers its jobs in ``AppConfig.ready()``::

    schedule.register(Periodic("away_teams.sweep", every=dt.timedelta(hours=1), task_path="mechanisms...sweep"))

Time is cut into periods of ``every`` counted from the Unix epoch; a job is due once per period. Each run is a
task row whose id is derived from (job, period), so when several workers see the same period come due, the
database's primary key lets exactly one of them enqueue it, and the queue (SKIP LOCKED) lets exactly one run it.
A worker that was down for several periods runs a missed job once, not once per missed period.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime as dt
import logging
import uuid

from django.db import IntegrityError, transaction
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)
_NAMESPACE = uuid.UUID("7c1d52a4-8f0e-4b59-9a7e-3f3c0b6de1a9")
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_next_id: contextvars.ContextVar[uuid.UUID | None] = contextvars.ContextVar("mech_next_task_id", default=None)


@dataclasses.dataclass(frozen=True)
class Periodic:
    """One job of the schedule: a name (``app.job``), how often, and the task (a path to a ``@task`` that takes no
    arguments) it enqueues."""

    name: str
    every: dt.timedelta
    task_path: str

    def __post_init__(self) -> None:
        if self.every < dt.timedelta(seconds=1):
            raise ValueError(f"{self.name}: a period is at least one second")

    def period(self, now: dt.datetime) -> int:
        return int((now - _EPOCH) // self.every)

    def run_id(self, now: dt.datetime) -> uuid.UUID:
        return uuid.uuid5(_NAMESPACE, f"{self.name}@{self.period(now)}")


_jobs: dict[str, Periodic] = {}


def register(job: Periodic) -> None:
    """Add a job to the schedule (idempotent; a second job under the same name is a programming error)."""
    known = _jobs.get(job.name)
    if known is not None and known != job:
        raise ValueError(f"periodic job {job.name} is registered twice, differently")
    _jobs[job.name] = job


def jobs() -> list[Periodic]:
    return sorted(_jobs.values(), key=lambda j: j.name)


def task_id() -> uuid.UUID:
    """The database task backend's id function: a run's own id when the schedule enqueues, else a random one."""
    return _next_id.get() or uuid.uuid4()


def enqueue_due(*, now: dt.datetime, seen: dict[str, int] | None = None) -> list[str]:
    """Enqueue each job whose current period has no run yet; returns the names this call enqueued (another
    worker may have enqueued the rest). Needs the database backend: the run's id is its claim. ``seen`` (a
    worker's memory of the periods it has handled) spares the database a query per job per pass."""
    from django_tasks_db.models import DBTaskResult

    enqueued = []
    for job in jobs():
        period = job.period(now)
        if seen is not None and seen.get(job.name) == period:
            continue
        run_id = job.run_id(now)
        if not DBTaskResult.objects.filter(pk=run_id).exists():  # usually another worker's claim is already seen
            token = _next_id.set(run_id)
            try:
                with transaction.atomic():
                    import_string(job.task_path).enqueue()
                enqueued.append(job.name)
            except IntegrityError:
                pass  # another worker enqueued this period's run a moment ago
            finally:
                _next_id.reset(token)
        if seen is not None:
            seen[job.name] = period
    return enqueued


# The kernel's own job: finished task rows are pruned once a day (kernel.tasks.prune_task_results).
register(
    Periodic("kernel.prune_tasks", every=dt.timedelta(days=1), task_path="mechanisms.kernel.tasks.prune_task_results")
)
