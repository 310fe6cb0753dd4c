"""The worker (kernel.worker, kernel.schedule): periodic runs are claimed once per period however many workers see
them come due; queued tasks run once; on PostgreSQL two worker loops share one queue and run each task once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections
from django_tasks import task

from mechanisms.kernel import schedule
from mechanisms.kernel.worker import WorkerLoop

runs: list[int] = []
_lock = threading.Lock()


@task()
def probe(n: int) -> int:
    with _lock:
        runs.append(n)
    return n


@pytest.fixture(autouse=True)
def fresh():
    runs.clear()
    yield
    runs.clear()


def test_the_worker_refuses_a_backend_without_a_queue(settings):
    with pytest.raises(ValueError, match="database backend"):
        WorkerLoop()


# Real commits: the worker opens its own transactions and checks its connection between passes, as served.
@pytest.mark.django_db(transaction=True)
def test_a_periodic_job_is_enqueued_once_per_period(database_tasks):
    at = dt.datetime(2026, 11, 2, 9, 0, 30, tzinfo=dt.UTC)
    first = schedule.enqueue_due(now=at)
    assert "notifications.deliver" in first and "away_teams.sweep" in first
    assert schedule.enqueue_due(now=at + dt.timedelta(seconds=10)) == []  # the same minute, the same hour
    later = schedule.enqueue_due(now=at + dt.timedelta(minutes=1))
    assert "notifications.deliver" in later and "away_teams.sweep" not in later


def test_a_period_is_a_fixed_slice_of_time_so_every_worker_agrees_on_it():
    job = schedule.Periodic("x.y", every=dt.timedelta(hours=1), task_path="x.y")
    a = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    assert job.run_id(a) == job.run_id(a + dt.timedelta(minutes=59))
    assert job.run_id(a) != job.run_id(a + dt.timedelta(hours=1))
    with pytest.raises(ValueError):
        schedule.Periodic("x.z", every=dt.timedelta(0), task_path="x.z")


@pytest.mark.django_db(transaction=True)
def test_a_queued_task_waits_for_the_worker_and_runs_once(database_tasks):
    for n in range(3):
        probe.enqueue(n)
    assert runs == []
    with time_machine.travel(dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC), tick=False):
        report = WorkerLoop(interval=0).run(once=True)
    assert sorted(runs) == [0, 1, 2]
    assert report.passes == 1
    WorkerLoop(interval=0).run(once=True)
    assert sorted(runs) == [0, 1, 2]


@pytest.mark.django_db(transaction=True)
def test_two_workers_on_postgresql_run_each_task_and_each_periodic_run_once(database_tasks):
    if connection.vendor != "postgresql":
        pytest.skip("several workers share one queue on PostgreSQL (SKIP LOCKED); SQLite serves one machine")
    for n in range(40):
        probe.enqueue(n)
    ready = threading.Barrier(2)
    reports = {}
    errors = []

    def work(name: str) -> None:
        try:
            loop = WorkerLoop(interval=0, worker_id=name)
            ready.wait(timeout=10)
            reports[name] = loop.run(once=True)
        except Exception as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(name,)) for name in ("w1", "w2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert sorted(runs) == list(range(40))  # every task once, none twice
    scheduled = reports["w1"].scheduled + reports["w2"].scheduled
    assert sorted(scheduled) == sorted(j.name for j in schedule.jobs())  # each periodic run enqueued by one worker


@pytest.mark.django_db(transaction=True)
def test_a_stopped_worker_finishes_its_pass_and_returns(database_tasks):
    loop = WorkerLoop(interval=0.05)
    stopper = threading.Timer(0.3, loop.stop)
    stopper.start()
    report = loop.run()  # runs until stopped, as `mech worker` does until SIGTERM
    stopper.join()
    assert report.passes >= 1


@pytest.mark.django_db(transaction=True)
def test_finished_task_rows_are_pruned_after_a_week_and_a_period_is_still_claimed_once(database_tasks):
    from django_tasks_db.models import DBTaskResult

    from mechanisms.kernel.tasks import prune_task_results

    start = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        probe.enqueue(1)
        WorkerLoop(interval=0).run(once=True)
    with time_machine.travel(start + dt.timedelta(days=8), tick=False):
        prune_task_results.call()
        assert not DBTaskResult.objects.filter(enqueued_at__lt=start + dt.timedelta(days=1)).exists()
        before = DBTaskResult.objects.count()
        assert schedule.enqueue_due(now=start + dt.timedelta(days=8)) != []
        assert schedule.enqueue_due(now=start + dt.timedelta(days=8)) == []
    assert DBTaskResult.objects.count() > before


@task()
def broken() -> None:
    raise RuntimeError("a task's bug")


@pytest.mark.django_db(transaction=True)
def test_a_failing_task_is_reported_and_never_stops_the_worker(database_tasks):
    broken.enqueue()
    probe.enqueue(7)
    report = WorkerLoop(interval=0).run(once=True)
    assert runs == [7]
    assert report.tasks_failed == ["mechanisms.kernel.tests.test_worker.broken: builtins.RuntimeError"]


def test_the_worker_refuses_a_queue_whose_ids_cannot_claim_a_period(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with pytest.raises(ValueError, match="id_function"):
        WorkerLoop()
