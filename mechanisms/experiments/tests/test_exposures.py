"""Assignment served and exposures recorded (MECHANISMS.md §9, issue 13 item 2): the served variation is the pure
function's, only while the experiment runs; the batch answers what single calls answer; exposures are idempotent,
their variation recomputed from the hash; bad input changes nothing; the stop rule stops what is due."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from mechanisms.audit import services as audit_services
from mechanisms.experiments import services, tasks
from mechanisms.experiments.contracts import ExperimentState, Exposure, StopRule
from mechanisms.experiments.tests.helpers import SYSTEM, experiment, move, started
from mechanisms.experiments.tests.test_assignment import expected_bucket
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def _expected(key: str, unit: str, weights, version: int = 2) -> int:
    """The variation index from the bucket computed in the test and the cumulative weights."""
    value, edge = expected_bucket(key, unit, version), 0.0
    for i, w in enumerate(weights):
        edge += w
        if value < edge:
            return i
    raise AssertionError("no variation")


def _audits(view) -> list:
    changes = audit_services.list_changes(actor=SYSTEM, subject_type=services.SUBJECT_TYPE, subject_id=view.id)
    return [c for c in changes.items if c.verb == "record_exposures"]


def _state(view) -> tuple:
    """What a refused exposure write must leave as it was: the counts and the audit records."""
    return services.exposure_counts(actor=SYSTEM, key=view.key), len(_audits(view))


def test_a_running_experiment_serves_the_hash_of_its_key_and_unit(small_org):
    o = small_org
    view = started(o, weights=(0.2, 0.3, 0.5))
    for i in range(200):
        a = services.assign_unit(actor=o.actor("eve"), key=view.key, unit_id=f"user-{i}")
        index = _expected(view.key, f"user-{i}", (0.2, 0.3, 0.5))
        assert (a.index, a.variation, a.hash_version) == (index, ("control", "b", "c")[index], 2)
        assert a.bucket == expected_bucket(view.key, f"user-{i}", 2)
        assert services.assign_unit(actor=o.actor("bob"), key=view.key, unit_id=f"user-{i}") == a


def test_no_variation_before_start_or_after_stop(small_org):
    o = small_org
    draft = experiment(o)
    a = services.assign_unit(actor=o.actor("eve"), key=draft.key, unit_id="u1")
    assert (a.variation, a.index, a.bucket) == (None, None, None)
    running = move(o, draft, "start")
    assert services.assign_unit(actor=o.actor("eve"), key=draft.key, unit_id="u1").variation is not None
    move(o, running, "stop")
    assert services.assign_unit(actor=o.actor("eve"), key=draft.key, unit_id="u1").variation is None


def test_assignment_refuses_anonymous_callers_unknown_keys_and_bad_units(small_org):
    o = small_org
    view = started(o)
    with pytest.raises(PermissionDenied):
        services.assign_unit(actor=Actor.anonymous(), key=view.key, unit_id="u1")
    with pytest.raises(NotFound) as nf:
        services.assign_unit(actor=o.actor("eve"), key="no-such-test", unit_id="u1")
    assert nf.value.field == "key"
    for bad in ("", "x" * 201, "a\tb"):
        with pytest.raises(RuleViolation) as rv:
            services.assign_unit(actor=o.actor("eve"), key=view.key, unit_id=bad)
        assert rv.value.field == "unit_id"


def test_the_batch_answers_what_single_calls_answer(small_org):
    o = small_org
    one = started(o, "one-click-checkout")
    two = started(o, "bigger-buttons", weights=(0.1, 0.9))
    draft = experiment(o, "later-test")
    units = [f"acct-{i}" for i in range(50)]
    keys = [one.key, two.key, draft.key]
    batch = services.assign_units(actor=o.actor("eve"), keys=keys, unit_ids=units)
    singles = [services.assign_unit(actor=o.actor("eve"), key=k, unit_id=u) for k in keys for u in units]
    assert batch == singles
    assert [a.variation for a in batch[100:]] == [None] * 50


def test_the_batch_is_bounded_and_names_what_is_wrong(small_org):
    o = small_org
    view = started(o)
    eve = o.actor("eve")
    with pytest.raises(RuleViolation) as rv:
        services.assign_units(actor=eve, keys=[view.key], unit_ids=[f"u{i}" for i in range(1001)])
    assert rv.value.field == "units"
    with pytest.raises(RuleViolation) as rv:
        services.assign_units(actor=eve, keys=[view.key] * 2, unit_ids=[f"u{i}" for i in range(501)])
    assert rv.value.field == "units"
    with pytest.raises(RuleViolation) as rv:
        services.assign_units(actor=eve, keys=[view.key], unit_ids=["ok", "bad\n"])
    assert rv.value.field == "units[1]"
    with pytest.raises(NotFound) as nf:
        services.assign_units(actor=eve, keys=[view.key, "missing"], unit_ids=["ok"])
    assert nf.value.field == "experiments[1]"
    with pytest.raises(RuleViolation) as rv:
        services.assign_units(actor=eve, keys=[], unit_ids=["ok"])
    assert rv.value.field == "experiments"
    assert len(services.assign_units(actor=eve, keys=[view.key], unit_ids=[f"u{i}" for i in range(1000)])) == 1000


def test_exposures_are_recorded_once_per_unit_with_the_hashed_variation(small_org):
    o = small_org
    view = started(o, weights=(0.5, 0.5))
    units = [f"visitor-{i}" for i in range(400)]
    report = services.record_exposures(actor=o.actor("eve"), key=view.key, exposures=[Exposure(u) for u in units])
    assert (report.recorded, report.repeated) == (400, 0)
    expected = [0, 0]
    for u in units:
        expected[_expected(view.key, u, (0.5, 0.5))] += 1
    assert services.exposure_counts(actor=o.actor("cat"), key=view.key) == tuple(expected)
    # Idempotent: the same call again records nothing; a unit twice in one call counts once.
    again = services.record_exposures(
        actor=o.actor("eve"), key=view.key, exposures=[Exposure(u) for u in [*units[:10], "new-1", "new-1"]]
    )
    assert (again.recorded, again.repeated) == (1, 11)
    assert sum(services.exposure_counts(actor=SYSTEM, key=view.key)) == 401
    audits = _audits(view)
    assert len(audits) == 2
    assert {(a.after["recorded"], a.after["repeated"], a.after["hash_version"]) for a in audits} == {
        (400, 0, 2),
        (1, 11, 2),
    }


def test_a_caller_naming_the_variation_it_showed_must_agree_with_the_hash(small_org):
    o = small_org
    view = started(o)
    right = services.assign_unit(actor=SYSTEM, key=view.key, unit_id="u-7").variation
    wrong = "b" if right == "control" else "control"
    ok = services.record_exposures(actor=SYSTEM, key=view.key, exposures=[Exposure("u-7", variation=right)])
    assert ok.recorded == 1
    before = _state(view)
    with pytest.raises(RuleViolation) as rv:
        services.record_exposures(
            actor=SYSTEM, key=view.key, exposures=[Exposure("u-8"), Exposure("u-7", variation=wrong)]
        )
    assert rv.value.field == "exposures[1].variation"
    assert _state(view) == before


def test_bad_exposures_change_nothing_and_name_the_field(small_org):
    o = small_org
    view = started(o)
    services.record_exposures(actor=SYSTEM, key=view.key, exposures=[Exposure("first")])
    before = _state(view)
    now = dt.datetime.now(UTC)
    cases = [
        ([Exposure(f"u{i}") for i in range(10_001)], "exposures"),
        ([], "exposures"),
        ([Exposure("ok"), Exposure("")], "exposures[1].unit_id"),
        ([Exposure("ok"), Exposure("x" * 201)], "exposures[1].unit_id"),
        ([Exposure("line\nbreak")], "exposures[0].unit_id"),
        ([Exposure("ok", at=dt.datetime(2026, 1, 1, 12))], "exposures[0].at"),  # no time zone
        ([Exposure("ok", at=now - dt.timedelta(days=400))], "exposures[0].at"),  # before the start
        ([Exposure("ok", at=now + dt.timedelta(hours=2))], "exposures[0].at"),  # in the future
        ([Exposure("ok", variation="no-such-arm")], "exposures[0].variation"),
    ]
    for exposures, field in cases:
        with pytest.raises(RuleViolation) as rv:
            services.record_exposures(actor=SYSTEM, key=view.key, exposures=exposures)
        assert rv.value.field == field, exposures[:1]
        assert _state(view) == before
    with pytest.raises(PermissionDenied):
        services.record_exposures(actor=Actor.anonymous(), key=view.key, exposures=[Exposure("ok")])
    assert _state(view) == before


def test_exposures_only_while_running(small_org):
    o = small_org
    draft = experiment(o)
    with pytest.raises(RuleViolation) as rv:
        services.record_exposures(actor=SYSTEM, key=draft.key, exposures=[Exposure("u1")])
    assert rv.value.field == "state"
    running = move(o, draft, "start")
    services.record_exposures(actor=SYSTEM, key=draft.key, exposures=[Exposure("u1")])
    move(o, running, "stop")
    before = _state(draft)
    with pytest.raises(RuleViolation) as rv:
        services.record_exposures(actor=SYSTEM, key=draft.key, exposures=[Exposure("u2")])
    assert rv.value.field == "state"
    assert _state(draft) == before and sum(before[0]) == 1


def test_the_daily_series_counts_first_exposures_per_day_and_variation(small_org):
    o = small_org
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        view = started(o)
    with time_machine.travel(dt.datetime(2026, 3, 6, 9, tzinfo=UTC), tick=False):
        days = {"a": dt.datetime(2026, 3, 2, 10, tzinfo=UTC), "b": dt.datetime(2026, 3, 4, 23, tzinfo=UTC)}
        exposures = [Exposure(f"{d}-{i}", at=at) for d, at in days.items() for i in range(30)]
        exposures.append(Exposure("a-0", at=dt.datetime(2026, 3, 5, 8, tzinfo=UTC)))  # a repeat: its first day counts
        services.record_exposures(actor=SYSTEM, key=view.key, exposures=exposures)
        series = services.exposure_series(actor=o.actor("eve"), key=view.key)
    assert [d for d, _ in series] == [dt.date(2026, 3, d) for d in (2, 3, 4)]
    per_day = {d: counts for d, counts in series}
    for day, prefix in ((dt.date(2026, 3, 2), "a"), (dt.date(2026, 3, 4), "b")):
        expected = [0, 0]
        for i in range(30):
            expected[_expected(view.key, f"{prefix}-{i}", (0.5, 0.5))] += 1
        assert per_day[day] == tuple(expected)
    assert per_day[dt.date(2026, 3, 3)] == (0, 0)
    assert tuple(map(sum, zip(*per_day.values(), strict=True))) == services.exposure_counts(actor=SYSTEM, key=view.key)


def test_the_stop_rule_stops_experiments_that_reached_their_sample_size(small_org):
    o = small_org
    due = started(o, "due-test", planned_sample_size=20)
    short = started(o, "short-test", planned_sample_size=20)
    services.record_exposures(actor=SYSTEM, key=due.key, exposures=[Exposure(f"u{i}") for i in range(20)])
    services.record_exposures(actor=SYSTEM, key=short.key, exposures=[Exposure(f"u{i}") for i in range(19)])
    assert tasks.stop_due_experiments.call() == {"stopped": 1}
    stopped = services.get_experiment(actor=SYSTEM, key=due.key)
    assert stopped.state is ExperimentState.STOPPED and not stopped.stopped_early
    assert "planned sample size is reached (20 units exposed of 20 planned)" in stopped.stop_reason
    assert services.get_experiment(actor=SYSTEM, key=short.key).state is ExperimentState.RUNNING
    assert tasks.stop_due_experiments.call() == {"stopped": 0}


def test_the_stop_rule_stops_experiments_past_their_planned_end(small_org):
    o = small_org
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, tzinfo=UTC), tick=False):
        view = started(o, stop_rule=StopRule.END_DATE, planned_end=dt.date(2026, 3, 20))
    with time_machine.travel(dt.datetime(2026, 3, 20, 22, tzinfo=UTC), tick=False):
        assert services.stop_due_experiments(actor=Actor.system("worker")) == []
    with time_machine.travel(dt.datetime(2026, 3, 21, 1, tzinfo=UTC), tick=False):
        [stopped] = services.stop_due_experiments(actor=Actor.system("worker"))
    assert stopped.key == view.key and stopped.state is ExperimentState.STOPPED
    assert "planned end date (2026-03-20) has passed" in stopped.stop_reason


def test_only_the_product_applies_the_stop_rule(small_org):
    with pytest.raises(PermissionDenied):
        services.stop_due_experiments(actor=small_org.actor("ann"))
