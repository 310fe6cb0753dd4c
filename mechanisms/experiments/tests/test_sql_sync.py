"""The exposures' copy in the data connection (docs/experiments.md, Data): synced in bulk past a watermark,
idempotent after a crash between the copy and the watermark, refused with "busy" (never a 500) while another
process holds the DuckDB file, and read back by the statistics query."""

from __future__ import annotations

import subprocess
import sys

import pytest
from django.db import transaction

from mechanisms.experiments import services, warehouse
from mechanisms.experiments.contracts import Exposure
from mechanisms.experiments.models import Experiment
from mechanisms.kernel import clock
from mechanisms.kernel import warehouse as data

from .helpers import PRIMARY, started

pytestmark = pytest.mark.django_db


def expose(o, view, units) -> None:
    services.record_exposures(actor=o.actor("gus"), key=view.key, exposures=[Exposure(unit_id=u) for u in units])


def copied(key: str) -> list[tuple]:
    return data.read(
        "default",
        "SELECT exposure_id, unit_id, variation, hash_version FROM mech_exposures WHERE experiment = ? ORDER BY 1",
        [key],
    )


def row_of(view) -> Experiment:
    return Experiment.objects.get(key=view.key)


def test_the_sync_copies_only_new_exposures_and_a_rerun_copies_nothing(small_org):
    view = started(small_org)
    other = started(small_org, "other-test")
    expose(small_org, view, [f"u{i}" for i in range(300)])
    expose(small_org, other, ["u1", "u2"])
    assert warehouse.sync_exposures(row_of(view)) == 300
    assert warehouse.sync_exposures(row_of(view)) == 0
    expose(small_org, view, [f"u{i}" for i in range(250, 320)])  # 50 repeated, 20 new
    assert warehouse.sync_exposures(row_of(view)) == 20
    rows = copied(view.key)
    assert len(rows) == 320 and len({r[1] for r in rows}) == 320
    counts = services.exposure_counts(actor=small_org.actor("gus"), key=view.key)
    assert [sum(1 for r in rows if r[2] == i) for i in range(len(counts))] == list(counts)
    assert {r[3] for r in rows} == {view.hash_version}
    assert copied(other.key) == []  # not synced yet: each experiment has its own watermark


def test_a_sync_that_failed_after_its_copy_is_rerun_without_duplicates(small_org):
    view = started(small_org)
    expose(small_org, view, [f"u{i}" for i in range(40)])

    class Crash(Exception):
        pass

    with pytest.raises(Crash), transaction.atomic():  # the copy commits in DuckDB; the watermark rolls back
        assert warehouse.sync_exposures(row_of(view)) == 40
        raise Crash
    assert row_of(view).synced_exposure_id == 0 and len(copied(view.key)) == 40
    assert warehouse.sync_exposures(row_of(view)) == 40
    rows = copied(view.key)
    assert len(rows) == 40 and len({r[0] for r in rows}) == 40


def test_a_duckdb_file_held_by_another_process_is_busy_and_nothing_moves(small_org, duckdb_warehouse, settings):
    view = started(small_org)
    expose(small_org, view, ["u1", "u2", "u3"])
    warehouse.create_tables("default")
    settings.MECH_METRICS_CONNECTIONS = {
        "default": {"engine": "duckdb", "path": str(duckdb_warehouse), "busy_retries": 2}
    }
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, sys; c = duckdb.connect({str(duckdb_warehouse)!r}); print('held', flush=True);"
            " sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(data.ConnectionBusy) as busy:
            warehouse.sync_exposures(row_of(view))
        assert busy.value.http_status == 409 and "busy" in busy.value.message and busy.value.field == "connection"
        with pytest.raises(data.ConnectionBusy):
            warehouse.sufficient_statistics(
                connection="default",
                experiment_key=view.key,
                hash_version=view.hash_version,
                metric=view.plan.primary,
                source=None,
                through=clock.now(),
                variations=view.plan.variations,
            )
        assert row_of(view).synced_exposure_id == 0
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert warehouse.sync_exposures(row_of(view)) == 3


def test_the_statistics_read_the_synced_exposures_and_loaded_events(small_org):
    view = started(small_org)
    units = [f"u{i}" for i in range(200)]
    expose(small_org, view, units)
    warehouse.sync_exposures(row_of(view))
    converted = units[::3]
    csv = "metric,unit_id,ts,value\n" + "".join(f"{PRIMARY},{u},{clock.now().isoformat()},1\n" for u in converted)
    services.load_events_csv(actor=small_org.actor("bob"), content=csv.encode(), file_name="conversions.csv")
    stats, sql = warehouse.sufficient_statistics(
        connection="default",
        experiment_key=view.key,
        hash_version=view.hash_version,
        metric=view.plan.primary,
        source=None,
        through=clock.now(),
        variations=view.plan.variations,
    )
    counts = services.exposure_counts(actor=small_org.actor("gus"), key=view.key)
    assert tuple(v.n for v in stats.variations) == tuple(counts) and sum(counts) == 200
    assert sum(v.sum for v in stats.variations) == len(converted)
    assert all(v.sum == v.sum_squares for v in stats.variations)  # a proportion's 0/1 values
    assert view.key in sql
