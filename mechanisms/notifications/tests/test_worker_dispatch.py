"""NOTIFICATIONS_DISPATCH=task: the write queues its deliveries for the worker instead of starting a thread in the
web process; the worker sends each once."""

from __future__ import annotations

import pytest
from django.db import transaction

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.worker import WorkerLoop
from mechanisms.notifications import services

pytestmark = pytest.mark.django_db(transaction=True)


def test_queued_deliveries_are_sent_by_the_worker_once(small_org, settings, database_tasks, mailoutbox):
    settings.NOTIFICATIONS_DISPATCH = "task"
    with transaction.atomic():
        services.notify(
            actor=Actor.system("test"), recipients=[small_org.people["dan"].id], kind="test.hello", title="Hello"
        )
    assert mailoutbox == []  # queued, not sent on the writer's thread
    WorkerLoop(interval=0).run(once=True)
    assert [m.subject for m in mailoutbox] == ["[Mechanisms] Hello"]
    WorkerLoop(interval=0).run(once=True)
    assert len(mailoutbox) == 1
