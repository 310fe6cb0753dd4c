"""The worker loop behind ``mech worker``: the periodic schedule and the task queue, in one process, no broker.

Each pass enqueues the schedule's due runs (kernel.schedule), then runs every queued task that is ready, one at a
time, with django-tasks-db's own worker (it claims a row with SELECT ... FOR UPDATE SKIP LOCKED on PostgreSQL and
in an exclusive transaction on SQLite, so each task runs once however many workers there are). Between passes it
waits ``interval`` seconds. SIGTERM or SIGINT stops it after the task in hand (a second signal stops it at once).
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
import uuid
from collections.abc import Callable

from mechanisms.kernel import clock, schedule

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class WorkerReport:
    """What one worker did: passes over the queue, runs it enqueued for the schedule, tasks it ran."""

    passes: int = 0
    scheduled: list[str] = dataclasses.field(default_factory=list)
    tasks_run: int = 0
    tasks_failed: list[str] = dataclasses.field(default_factory=list)  # "task path: exception class" of each failure


class WorkerLoop:
    """One worker: ``run(once=True)`` is one pass (what is due and queued, then return)."""

    def __init__(self, *, interval: float = 5.0, worker_id: str | None = None, backend: str = "default") -> None:
        from django_tasks import task_backends
        from django_tasks_db import DatabaseBackend

        queue = task_backends[backend]
        if not isinstance(queue, DatabaseBackend):
            raise ValueError(
                f"the task backend {backend!r} is not the database backend; the worker runs the database's queue"
            )
        if queue.options.get("id_function") not in ("mechanisms.kernel.schedule.task_id", schedule.task_id):
            # Without it every pass of every worker would enqueue the schedule's runs again.
            raise ValueError(
                f"the task backend {backend!r} needs OPTIONS id_function 'mechanisms.kernel.schedule.task_id', "
                "the periodic runs' claim on their period"
            )
        self.interval = interval
        self.worker_id = worker_id or uuid.uuid4().hex[:32]
        self.backend = backend
        self.report = WorkerReport()
        self._stop = threading.Event()
        self._inner = None
        self._seen_periods: dict[str, int] = {}

    def stop(self, *_: object) -> None:
        """Stop after the task in hand; a second call (a second Ctrl+C) exits at once."""
        if self._stop.is_set():
            raise SystemExit(1)
        logger.warning("worker %s: stopping after the current task", self.worker_id)
        self._stop.set()
        if self._inner is not None:
            self._inner.running = False

    def install_signal_handlers(self) -> Callable[[], None]:
        previous = {s: signal.signal(s, self.stop) for s in (signal.SIGTERM, signal.SIGINT)}

        def restore() -> None:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

        return restore

    def run_pass(self) -> None:
        from django.db import close_old_connections, connection
        from django_tasks_db.management.commands.db_worker import Worker

        if not connection.in_atomic_block:  # a dropped or expired connection is replaced between passes
            close_old_connections()
        self.report.scheduled += schedule.enqueue_due(now=clock.now(), seen=self._seen_periods)
        # The library's worker in batch mode: run what is ready now, then return (it claims each row first).
        self._inner = Worker(
            queue_names=["*"],
            interval=0,
            batch=True,
            backend_name=self.backend,
            startup_delay=False,
            max_tasks=None,
            worker_id=self.worker_id,
            excluded_queue_names=[],
        )
        if self._stop.is_set():
            return
        from django_tasks_db.compat import TaskResultStatus, task_finished

        def count_failure(sender, task_result, **kwargs) -> None:
            if task_result.status == TaskResultStatus.FAILED:
                errors = [e.exception_class_path for e in task_result.errors] or ["?"]
                self.report.tasks_failed.append(f"{task_result.task.module_path}: {errors[-1]}")

        task_finished.connect(count_failure, weak=False)
        try:
            self._inner.run()
        finally:
            task_finished.disconnect(count_failure)
        self.report.tasks_run += self._inner._run_tasks
        self._inner = None
        self.report.passes += 1

    def run(self, *, once: bool = False) -> WorkerReport:
        from django.db import DatabaseError

        while not self._stop.is_set():
            try:
                self.run_pass()
            except DatabaseError:
                if once:
                    raise
                # The database restarting or a lock held too long: a long-running worker waits and tries again
                # rather than exiting (the next pass reconnects).
                logger.exception("worker %s: a pass failed; retrying", self.worker_id)
                self._inner = None
                self._stop.wait(max(self.interval, 1.0))
            if once:
                break
            self._stop.wait(self.interval)
        return self.report


def queue_status() -> dict:
    """What an operator asks first: how many tasks wait, run, failed; and when each periodic job last finished."""
    from django.db.models import Count, Max
    from django_tasks_db.models import DBTaskResult

    counts = dict(DBTaskResult.objects.values_list("status").annotate(n=Count("id")).order_by())
    last = dict(
        DBTaskResult.objects.filter(task_path__in=[j.task_path for j in schedule.jobs()], finished_at__isnull=False)
        .values_list("task_path")
        .annotate(at=Max("finished_at"))
        .order_by()
    )
    return {
        "tasks": {status.lower(): n for status, n in sorted(counts.items())},
        "jobs": {
            j.name: {"every_seconds": int(j.every.total_seconds()), "last_finished_at": last.get(j.task_path)}
            for j in schedule.jobs()
        },
    }
