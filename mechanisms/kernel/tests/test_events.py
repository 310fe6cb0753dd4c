"""Change notices (kernel.events): delivered once per transaction after it commits, never after a rollback, and a
failing subscriber never fails the write that caused it."""

from __future__ import annotations

import logging

import pytest
from django.db import transaction

from mechanisms.kernel import events


@pytest.fixture
def heard():
    """A subscriber recording what it hears; removed again so other tests' subscribers are as they were."""
    calls: list = []

    def listener(team_ids):
        calls.append(team_ids)

    events.subscribe(listener)
    yield calls
    events._subscribers.remove(listener)


@pytest.mark.django_db(transaction=True)
def test_a_notice_is_delivered_once_after_commit_with_every_team_named_in_the_transaction(heard):
    with transaction.atomic():
        events.teams_changed([1, 2])
        events.teams_changed([2, 3, None])
        assert heard == []  # nothing before the commit
    assert heard == [frozenset({1, 2, 3})]


@pytest.mark.django_db(transaction=True)
def test_a_notice_about_everything_wins_over_named_teams(heard):
    with transaction.atomic():
        events.teams_changed([1])
        events.teams_changed(None)
    assert heard == [None]


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_transaction_tells_no_one_and_the_next_one_starts_fresh(heard):
    with pytest.raises(RuntimeError), transaction.atomic():
        events.teams_changed([7])
        raise RuntimeError("rolled back")
    assert heard == []
    with transaction.atomic():
        events.teams_changed([8])
    assert heard == [frozenset({8})]


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_notice_is_delivered_at_once(heard):
    events.teams_changed([5])
    assert heard == [frozenset({5})]


@pytest.mark.django_db(transaction=True)
def test_a_failing_subscriber_is_logged_and_never_fails_the_write_nor_the_others(heard, caplog):
    def broken(team_ids):
        raise ValueError("subscriber bug")

    events.subscribe(broken)
    try:
        with caplog.at_level(logging.ERROR, logger="mechanisms.kernel.events"), transaction.atomic():
            events.teams_changed([4])
    finally:
        events._subscribers.remove(broken)
    assert heard == [frozenset({4})]
    assert any("failed" in r.getMessage() for r in caplog.records)
