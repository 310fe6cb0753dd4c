"""Typed events (kernel.events): delivered once per transaction after it commits, merged when the type says how,
never after a rollback; a failing subscriber never fails the write; a heavy subscriber runs as a task."""

from __future__ import annotations

import pytest
from django.db import transaction

from mechanisms.kernel import events
from mechanisms.kernel.events import ServiceStopped, TeamsChanged
from mechanisms.kernel.worker import WorkerLoop

# Real commits: the events are delivered as in production, after each committed transaction.
pytestmark = pytest.mark.django_db(transaction=True)
received: list[events.Event] = []


def probe(event: events.Event) -> None:
    received.append(event)


other: list[events.Event] = []


def other_probe(event: events.Event) -> None:
    other.append(event)


def broken(event: events.Event) -> None:
    raise RuntimeError("a subscriber's bug")


@pytest.fixture(autouse=True)
def subscribed():
    received.clear()
    events.subscribe(TeamsChanged, probe)
    events.subscribe(ServiceStopped, probe)
    yield
    events.unsubscribe(TeamsChanged, probe)
    events.unsubscribe(ServiceStopped, probe)
    events.unsubscribe(TeamsChanged, broken)
    received.clear()


def test_events_of_one_transaction_arrive_once_after_the_commit_merged_by_type():
    with transaction.atomic():
        events.publish(TeamsChanged(frozenset({1})))
        events.teams_changed([2, 3])  # the thin wrapper org and catalog call
        events.publish(ServiceStopped(service_id=9))
        events.publish(ServiceStopped(service_id=9))
        assert received == []  # nothing before the commit
    assert received == [TeamsChanged(frozenset({1, 2, 3})), ServiceStopped(service_id=9)]


def test_everything_changed_absorbs_the_teams_of_the_same_transaction():
    with transaction.atomic():
        events.publish(TeamsChanged(frozenset({1})))
        events.teams_changed(None)
    assert received == [TeamsChanged(None)]


def test_a_rolled_back_transaction_tells_no_one_and_the_next_one_only_its_own_change():
    with pytest.raises(RuntimeError), transaction.atomic():
        events.publish(TeamsChanged(frozenset({1})))
        raise RuntimeError("abort")
    assert received == []
    with transaction.atomic():
        events.publish(TeamsChanged(frozenset({2})))
    assert received == [TeamsChanged(frozenset({2}))]


def test_an_event_outside_a_transaction_is_delivered_at_once():
    events.publish(ServiceStopped(service_id=4))
    assert received == [ServiceStopped(service_id=4)]


def test_a_failing_subscriber_never_fails_the_write_nor_the_other_subscribers():
    events.subscribe(TeamsChanged, broken)
    with transaction.atomic():
        events.publish(TeamsChanged(frozenset({5})))
    assert received == [TeamsChanged(frozenset({5}))]


def test_a_task_subscriber_must_be_found_by_path():
    def local(event):
        pass

    with pytest.raises(ValueError, match="module-level"):
        events.subscribe(TeamsChanged, local, as_task=True)


def test_a_heavy_subscriber_runs_in_the_worker_once_for_changes_queued_meanwhile(database_tasks):
    events.unsubscribe(TeamsChanged, probe)
    events.subscribe(TeamsChanged, probe, as_task=True)
    try:
        with transaction.atomic():
            events.publish(TeamsChanged(frozenset({1})))
        with transaction.atomic():
            events.publish(TeamsChanged(frozenset({2})))
        assert received == []  # queued, not run on the writer's thread
        report = WorkerLoop(interval=0).run(once=True)
    finally:
        events.unsubscribe(TeamsChanged, probe)
    assert received == [TeamsChanged(frozenset({1, 2}))]  # the second delivery was coalesced into the first
    assert report.tasks_run >= 1


def test_coalescing_never_takes_another_subscribers_delivery(database_tasks):
    events.unsubscribe(TeamsChanged, probe)
    events.subscribe(TeamsChanged, probe, as_task=True)
    events.subscribe(TeamsChanged, other_probe, as_task=True)
    other.clear()
    try:
        for team in (1, 2):
            with transaction.atomic():
                events.publish(TeamsChanged(frozenset({team})))
        WorkerLoop(interval=0).run(once=True)
    finally:
        events.unsubscribe(TeamsChanged, probe)
        events.unsubscribe(TeamsChanged, other_probe)
    assert received == [TeamsChanged(frozenset({1, 2}))]
    assert other == [TeamsChanged(frozenset({1, 2}))]
