"""The analysis end to end on the test's DuckDB data connection: an experiment started, a few thousand units
exposed through record_exposures, their events loaded through load_events_csv, then analyse_experiment. The
expected statistics are computed here from the generated rows with scipy.stats (never with rules.py); the
snapshot is immutable and verifies; a planted SRM and a failed guardrail flag and tell the owner and the team;
the data connection's refusals are domain errors naming it; the daily job is idempotent per day."""

from __future__ import annotations

import datetime as dt
import math
import statistics

import duckdb
import pytest
from scipy import stats as scipy_stats

from mechanisms.experiments import services
from mechanisms.experiments.contracts import Decision
from mechanisms.experiments.models import Snapshot as SnapshotRow
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import DomainError, RuleViolation
from mechanisms.notifications import services as notifications_services

from . import analysis_data, helpers

pytestmark = pytest.mark.django_db

ALPHA = 0.05


def welch(control: list[float], treatment: list[float], *, proportion: bool) -> dict[str, float]:
    """GrowthBook's frequentist relative lift, from the per-unit values: the proportion's variance p(1 - p), the
    mean's the sample variance; the delta method's variance of the relative lift; Welch-Satterthwaite degrees of
    freedom from the absolute per-arm variances; scipy's t distribution."""
    n_a, n_b = len(control), len(treatment)
    m_a, m_b = statistics.fmean(control), statistics.fmean(treatment)
    if proportion:
        v_a, v_b = m_a * (1 - m_a), m_b * (1 - m_b)
    else:
        v_a, v_b = statistics.variance(control), statistics.variance(treatment)
    lift = (m_b - m_a) / m_a
    se = math.sqrt(v_b / (m_a**2 * n_b) + v_a * m_b**2 / (m_a**4 * n_a))
    dof = (v_a / n_a + v_b / n_b) ** 2 / ((v_b / n_b) ** 2 / (n_b - 1) + (v_a / n_a) ** 2 / (n_a - 1))
    half = scipy_stats.t.ppf(1 - ALPHA / 2, dof) * se
    return {"lift": lift, "low": lift - half, "high": lift + half, "p": 2 * scipy_stats.t.sf(abs(lift / se), dof)}


def conversions(units) -> list[float]:
    return [1.0 if u.converted else 0.0 for u in units]


def latencies(units) -> list[float]:
    return [u.latency for u in units]


def variation(snap, metric: str, name: str = "b"):
    [m] = [m for m in snap.result.metrics if m.name == metric]
    [v] = [v for v in m.variations if v.name == name]
    return v


def inbox(o, handle: str, kind: str) -> list:
    return [i for i in notifications_services.list_inbox(actor=o.actor(handle)).items if i.kind == kind]


def test_the_analysis_equals_the_statistics_of_the_rows_and_keeps_its_exact_sql(small_org):
    w = analysis_data.world(small_org, planned_sample_size=2000)
    snap = services.analyse_experiment(actor=small_org.actor("cat"), key=w.view.key)
    control, treatment = w.arm(0), w.arm(1)
    assert snap.number == 1 and not snap.final and not snap.peeking  # 2,000 units of 2,000 planned
    assert snap.exposures == (len(control), len(treatment))
    assert snap.srm_p == pytest.approx(scipy_stats.chisquare([len(control), len(treatment)]).pvalue, rel=1e-9)
    # the sufficient statistics the one query per metric returned are the rows' sums
    by_name = {m.name: m for m in snap.statistics}
    primary = by_name[helpers.PRIMARY]
    assert [v.n for v in primary.variations] == [len(control), len(treatment)]
    assert [v.sum for v in primary.variations] == [sum(conversions(control)), sum(conversions(treatment))]
    guard = by_name[helpers.GUARDRAIL].variations[1]
    assert guard.sum == pytest.approx(sum(latencies(treatment)), rel=1e-12)
    assert guard.sum_squares == pytest.approx(sum(x * x for x in latencies(treatment)), rel=1e-12)
    # the lift, its interval and its p-value equal the ones computed here from the rows
    for metric, values, proportion in (
        (helpers.PRIMARY, conversions, True),
        (helpers.GUARDRAIL, latencies, False),
    ):
        want = welch(values(control), values(treatment), proportion=proportion)
        got = variation(snap, metric)
        assert got.lift == pytest.approx(want["lift"], rel=1e-9, abs=1e-12)
        assert got.ci == pytest.approx((want["low"], want["high"]), rel=1e-9, abs=1e-12)
        assert got.p_value == pytest.approx(want["p"], rel=1e-7, abs=1e-12)
    assert variation(snap, helpers.PRIMARY).significant
    assert (snap.recommendation.decision, snap.recommendation.variation) == (Decision.SHIP, "b")
    assert "Ship b" in snap.recommendation.sentence
    # the exact SQL run, with its parameters written in
    sql = snap.queries[helpers.PRIMARY]
    assert "mech_exposures" in sql and f"'{w.view.key}'" in sql and "'checkout_conversion'" in sql
    assert set(snap.queries) == {helpers.PRIMARY, helpers.GUARDRAIL}


def test_a_snapshot_is_immutable_numbered_and_verifies_and_a_changed_figure_is_caught(small_org):
    w = analysis_data.world(small_org, units=600)
    bob = small_org.actor("bob")
    first = services.analyse_experiment(actor=bob, key=w.view.key)
    second = services.analyse_experiment(actor=small_org.actor("ann"), key=w.view.key)
    assert (first.number, second.number) == (1, 2)
    again = services.get_snapshot(actor=small_org.actor("eve"), key=w.view.key, number=1)
    assert again.result_hash == first.result_hash and again.taken_at == first.taken_at  # the second changed nothing
    check = services.verify_snapshot(actor=small_org.actor("eve"), key=w.view.key, number=1)
    assert check.ok and check.hash_ok and check.results_ok and check.computed_hash == first.result_hash
    assert [s.number for s in services.list_snapshots(actor=bob, key=w.view.key).items] == [2, 1]
    # a figure changed behind the product's back (no service updates a snapshot) no longer verifies
    row = SnapshotRow.objects.get(experiment_id=w.view.id, number=1)
    row.srm_p = 0.5
    row.save(update_fields=["srm_p"])
    tampered = services.verify_snapshot(actor=bob, key=w.view.key, number=1)
    assert not tampered.hash_ok and not tampered.ok
    assert not any(name.startswith(("update_snapshot", "edit_snapshot")) for name in dir(services))


def test_the_cumulative_series_reads_one_point_a_day_from_the_analyses(small_org):
    w = analysis_data.world(small_org, units=800)
    cat = small_org.actor("cat")
    day_one = w.started_at + dt.timedelta(days=1)
    early = services.analyse_experiment(actor=cat, key=w.view.key, through=day_one)
    late = services.analyse_experiment(actor=cat, key=w.view.key)
    assert early.exposures == (len(w.arm(0, day_one)), len(w.arm(1, day_one)))
    series = services.cumulative_series(actor=small_org.actor("eve"), key=w.view.key)
    assert [(p.snapshot, p.variation) for p in series] == [(1, "b"), (2, "b")]
    assert series[0].units == early.exposures[1] < series[1].units == late.exposures[1]
    assert series[1].lift == variation(late, helpers.PRIMARY).lift
    assert series[1].ci == variation(late, helpers.PRIMARY).ci


def test_a_planted_srm_flags_keeps_the_control_tells_the_team_and_forces_the_review(small_org):
    w = analysis_data.world(small_org, units=2000, lose=0.3, planned_sample_size=1000)
    snap = services.analyse_experiment(actor=small_org.actor("cat"), key=w.view.key)
    counts = [len(w.arm(0)), len(w.arm(1))]
    assert snap.exposures == tuple(counts)
    assert snap.srm_p == pytest.approx(scipy_stats.chisquare(counts).pvalue, rel=1e-6) and snap.srm_p < 0.001
    assert snap.recommendation.decision is Decision.KEEP_CONTROL
    assert "sample ratio mismatch" in snap.recommendation.sentence
    for handle in ("bob", "ann"):  # the owner and the team (cat analysed it: not told of her own action)
        [notice] = inbox(small_org, handle, services.KIND_SRM)
        assert notice.url == f"/experiments/{w.view.key}" and "Sample-ratio mismatch" in notice.title
    assert inbox(small_org, "eve", services.KIND_SRM) == []
    analysis_data.stop(small_org)  # not early: 1,400 units of 1,000 planned
    final = services.latest_snapshot(actor=small_org.actor("eve"), key=w.view.key, final=True)
    assert final is not None and final.number == 2 and final.srm_p < 0.001
    stopped = services.get_experiment(actor=small_org.actor("bob"), key=w.view.key)
    assert not stopped.stopped_early
    with pytest.raises(RuleViolation) as refused:  # even the recommended decision needs the review
        services.decide(
            actor=small_org.actor("bob"),
            key=w.view.key,
            version=stopped.version,
            decision=Decision.KEEP_CONTROL,
            rationale="The split is broken.",
        )
    assert refused.value.field == "decision" and "sample-ratio-mismatch check fired" in refused.value.message
    assert services.get_experiment(actor=small_org.actor("bob"), key=w.view.key).state.value == "stopped"


def test_a_failed_guardrail_keeps_the_control_names_it_and_tells_the_team(small_org):
    w = analysis_data.world(small_org, units=1200, latency=(300.0, 360.0))
    snap = services.analyse_experiment(actor=small_org.actor("cat"), key=w.view.key)
    assert variation(snap, helpers.PRIMARY).significant  # b wins on conversion ...
    assert snap.recommendation.decision is Decision.KEEP_CONTROL  # ... but is 20% slower, beyond the 5% tolerated
    assert snap.recommendation.guardrail_failures == (helpers.GUARDRAIL,)
    [notice] = inbox(small_org, "bob", services.KIND_GUARDRAIL)
    assert helpers.GUARDRAIL in notice.title


def test_the_data_connection_refusing_is_a_domain_error_naming_it_and_keeps_nothing(small_org, settings):
    w = analysis_data.world(small_org, units=300)
    cat = small_org.actor("cat")
    # a metric source whose table is gone: the statistics query fails in the engine
    path = settings.MECH_METRICS_CONNECTIONS["default"]["path"]
    with duckdb.connect(path) as db:
        db.execute("CREATE TABLE latency_events AS SELECT unit_id, ts, value FROM mech_metric_events")
    services.set_metric_source(
        actor=small_org.actor("bob"),
        metric=helpers.GUARDRAIL,
        connection="default",
        query="SELECT unit_id, ts, value FROM latency_events",
    )
    with duckdb.connect(path) as db:
        db.execute("DROP TABLE latency_events")
    with pytest.raises(RuleViolation) as failed:
        services.analyse_experiment(actor=cat, key=w.view.key)
    assert failed.value.field == "connection" and "latency_events" in failed.value.message
    # the file held open by another writer: ConnectionBusy, a 409 naming the connection
    settings.MECH_METRICS_CONNECTIONS = {"default": {"engine": "duckdb", "path": path, "busy_retries": 1}}
    with duckdb.connect(path), pytest.raises(DomainError) as busy:
        services.analyse_experiment(actor=cat, key=w.view.key)
    assert (busy.value.http_status, busy.value.field) == (409, "connection")
    # a data connection no longer configured
    settings.MECH_METRICS_CONNECTIONS = {"other": {"engine": "duckdb", "path": path}}
    with pytest.raises(RuleViolation) as unknown:
        services.analyse_experiment(actor=cat, key=w.view.key)
    assert unknown.value.field == "connection"
    assert services.list_snapshots(actor=cat, key=w.view.key).total == 0


def test_a_stop_whose_final_analysis_is_refused_stands_tells_the_team_and_the_decision_waits(small_org, settings):
    w = analysis_data.world(small_org, units=300, planned_sample_size=300)
    path = settings.MECH_METRICS_CONNECTIONS["default"]["path"]
    settings.MECH_METRICS_CONNECTIONS = {"other": {"engine": "duckdb", "path": path}}
    stopped = analysis_data.stop(small_org, by="cat")
    assert stopped.state.value == "stopped"
    assert services.list_snapshots(actor=small_org.actor("bob"), key=w.view.key).total == 0
    [notice] = inbox(small_org, "bob", services.KIND_ANALYSIS_FAILED)
    assert "could not be taken" in notice.title
    with pytest.raises(RuleViolation) as waits:
        services.decide(
            actor=small_org.actor("bob"),
            key=w.view.key,
            version=stopped.version,
            decision="ship",
            variation="b",
            rationale="B wins.",
        )
    assert waits.value.field == "analysis"
    settings.MECH_METRICS_CONNECTIONS = {"default": {"engine": "duckdb", "path": path}}
    final = services.analyse_experiment(actor=small_org.actor("cat"), key=w.view.key)
    assert final.final and final.through == stopped.stopped_at


def test_the_daily_job_analyses_each_running_experiment_once_a_day(small_org):
    w = analysis_data.world(small_org, units=300)
    helpers.experiment(small_org, "a-draft")  # not running: not analysed
    worker = Actor.system("worker")
    assert services.analyse_running_experiments(actor=worker) == {"analysed": 1, "skipped": 0, "failed": 0}
    assert services.analyse_running_experiments(actor=worker) == {"analysed": 0, "skipped": 1, "failed": 0}
    [snap] = services.list_snapshots(actor=small_org.actor("bob"), key=w.view.key).items
    assert snap.through <= clock.now()
    with clock.shifted(dt.timedelta(days=1)):  # tomorrow: analysed again
        assert services.analyse_running_experiments(actor=worker)["analysed"] == 1
    assert services.list_snapshots(actor=small_org.actor("bob"), key=w.view.key).total == 2
