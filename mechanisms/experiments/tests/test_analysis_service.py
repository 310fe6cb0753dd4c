"""The analysis service's refusals and reads that need no data connection: who may analyse, in which state, with
which data end; an experiment without analyses; the experiment as a bar-raiser review's subject. The end-to-end
analysis on the DuckDB fixture waits for the SQL part's warehouse (see the report)."""

from __future__ import annotations

import datetime as dt

import pytest

from mechanisms.bar_raisers.contracts import SubjectKind
from mechanisms.experiments import services
from mechanisms.experiments.tests import helpers
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation


@pytest.fixture
def running(small_org):
    return helpers.started(small_org)


def test_a_draft_is_not_analysed_naming_the_state(small_org):
    view = helpers.experiment(small_org)
    with pytest.raises(RuleViolation) as exc:
        services.analyse_experiment(actor=small_org.actor("bob"), key=view.key)
    assert exc.value.field == "state"


@pytest.mark.parametrize("handle", ["dan", "eve"])
def test_only_the_team_analyses(small_org, running, handle):
    with pytest.raises(PermissionDenied):
        services.analyse_experiment(actor=small_org.actor(handle), key=running.key)


def test_anonymous_callers_see_nothing(small_org, running):
    with pytest.raises(PermissionDenied):
        services.analyse_experiment(actor=Actor.anonymous(), key=running.key)
    with pytest.raises(PermissionDenied):
        services.list_snapshots(actor=Actor.anonymous(), key=running.key)


@pytest.mark.parametrize(
    ("through", "final", "field"),
    [
        (lambda: clock.now() + dt.timedelta(hours=1), None, "through"),
        (lambda: clock.now() - dt.timedelta(days=400), None, "through"),
        (lambda: dt.datetime(2020, 1, 1), None, "through"),  # no time zone
        (lambda: None, True, "final"),  # a running experiment has no final analysis yet
    ],
)
def test_a_bad_data_end_or_final_flag_is_refused_naming_it(small_org, running, through, final, field):
    with pytest.raises(RuleViolation) as exc:
        services.analyse_experiment(actor=small_org.actor("cat"), key=running.key, through=through(), final=final)
    assert exc.value.field == field
    assert services.list_snapshots(actor=small_org.actor("cat"), key=running.key).total == 0


def test_an_experiment_without_analyses_reads_empty(small_org, running):
    reader = small_org.actor("eve")  # open to every signed-in person
    assert services.list_snapshots(actor=reader, key=running.key).total == 0
    assert services.latest_snapshot(actor=reader, key=running.key) is None
    assert services.recommendation(actor=reader, key=running.key) is None
    assert services.cumulative_series(actor=reader, key=running.key) == []
    with pytest.raises(NotFound) as exc:
        services.get_snapshot(actor=reader, key=running.key, number=1)
    assert exc.value.field == "number"
    with pytest.raises(NotFound):
        services.verify_snapshot(actor=reader, key=running.key, number=1)
    facts = services.plan_facts(actor=reader, key=running.key)
    assert facts.has_final_analysis is False and facts.recommended is None


def test_the_review_subject_is_the_experiment_its_owner_and_team(small_org, running):
    subject = services.describe_subject(small_org.actor("eve"), running.id)
    assert subject.kind is SubjectKind.EXPERIMENT
    assert (subject.owner_id, subject.team_ids) == (small_org.people["bob"].id, (small_org.teams["checkout"].id,))
    assert subject.url == f"/experiments/{running.key}"
    with pytest.raises(NotFound):
        services.describe_subject(small_org.actor("eve"), running.id + 1000)


def test_the_daily_job_skips_nothing_when_nothing_runs(small_org):
    helpers.experiment(small_org)  # a draft: not analysed
    assert services.analyse_running_experiments(actor=Actor.system("worker")) == {
        "analysed": 0,
        "skipped": 0,
        "failed": 0,
    }
