"""The one statistics query per metric (docs/experiments.md, Data): its sums on generated data equal the sums
computed here in Python from the same rows, in DuckDB and (when the suite runs on PostgreSQL) in PostgreSQL, for
every statistic, CUPED and a ratio; a metric source's SELECT stands in for the events table; the SQL kept for the
snapshot runs as it is."""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from dataclasses import dataclass

import pytest

from mechanisms.experiments import stats_sql, warehouse
from mechanisms.experiments.contracts import MetricSpec, Statistic, Variation
from mechanisms.kernel import warehouse as data
from mechanisms.kernel.errors import RuleViolation

KEY = "checkout-button"
START = dt.datetime(2026, 3, 1)
THROUGH = START + dt.timedelta(days=10)
VARIATIONS = (Variation("control", "Control", 0.5), Variation("green", "Green", 0.3), Variation("blue", "Blue", 0.2))


@dataclass
class Generated:
    exposures: list[tuple]  # EXPOSURE_COLUMNS
    events: list[tuple]  # (metric, unit_id, ts, value)


def generate(seed: int = 13, units: int = 2500) -> Generated:
    """Exposures of the experiment (some after THROUGH, some under the other hash version), of another experiment
    sharing unit ids, and events of three metrics before, at, during and after the exposure, with blanks."""
    rng = random.Random(seed)
    exposures, events = [], []
    for i in range(units):
        unit = f"u{i}"
        variation = rng.choices((0, 1, 2), weights=(5, 3, 2))[0]
        at = START + dt.timedelta(seconds=rng.randrange(12 * 86400))
        hash_version = 2 if rng.random() < 0.97 else 1
        exposures.append((i + 1, KEY, hash_version, unit, variation, at))
        if rng.random() < 0.3:
            exposures.append((units + i + 1, "other-test", 2, unit, rng.randrange(2), at))
        for _ in range(rng.randrange(6)):
            ts = at + dt.timedelta(seconds=rng.randrange(-20 * 86400, 8 * 86400))
            value = None if rng.random() < 0.05 else round(rng.expovariate(1 / 30.0) * (1.1 if variation else 1), 2)
            events.append(("orders", unit, ts, value))
        for _ in range(rng.randrange(4)):
            events.append(("sessions", unit, at + dt.timedelta(seconds=rng.randrange(-86400, 6 * 86400)), 1.0))
        if rng.random() < 0.2 + 0.05 * variation:
            events.append(("signups", unit, at + dt.timedelta(seconds=rng.randrange(-3 * 86400, 5 * 86400)), 1.0))
        # the window's edges, exactly: at the exposure, at THROUGH, 14 days before (CUPED's first instant)
        if i % 97 == 0:
            events += [("orders", unit, at, 5.0), ("orders", unit, at - dt.timedelta(days=14), 7.0)]
            events.append(("orders", unit, THROUGH, 3.0))
    for i in range(50):  # events of units never exposed
        events.append(("orders", f"stranger{i}", START + dt.timedelta(days=2), 100.0))
    return Generated(exposures, events)


def expected(g: Generated, metric: str, statistic: Statistic, *, denominator=None, cuped=False, days=14) -> list:
    """Per variation, the sums the query must return, computed from the rows in plain Python."""
    exposed = {u: (v, at) for _pk, key, hv, u, v, at in g.exposures if key == KEY and hv == 2 and at <= THROUGH}
    by_unit: dict[tuple[str, str], list] = {}
    for m, u, ts, value in g.events:
        by_unit.setdefault((m, u), []).append((ts, value))

    def per_unit(name, unit, at, *, before=False):
        rows = [
            (ts, value)
            for ts, value in by_unit.get((name, unit), [])
            if ts <= THROUGH
            if ((at - dt.timedelta(days=days) <= ts < at) if before else (at <= ts))
        ]
        if statistic == Statistic.PROPORTION and name == metric:
            return 1.0 if rows else 0.0
        return sum(value or 0.0 for _ts, value in rows)

    out = []
    for index in range(len(VARIATIONS)):
        arm = {"n": 0, "sum": 0.0, "sum_squares": 0.0}
        if denominator:
            arm.update(m_sum=0.0, m_sum_squares=0.0, d_sum=0.0, d_sum_squares=0.0, m_d_sum_of_products=0.0)
        if cuped:
            arm.update(covariate_sum=0.0, covariate_sum_squares=0.0, main_covariate_sum_product=0.0)
        for unit, (v, at) in exposed.items():
            if v != index:
                continue
            m = per_unit(metric, unit, at)
            arm["n"] += 1
            arm["sum"] += m
            arm["sum_squares"] += m * m
            if denominator:
                d = per_unit(denominator, unit, at)
                arm["m_sum"] += m
                arm["m_sum_squares"] += m * m
                arm["d_sum"] += d
                arm["d_sum_squares"] += d * d
                arm["m_d_sum_of_products"] += m * d
            if cuped:
                c = per_unit(metric, unit, at, before=True)
                arm["covariate_sum"] += c
                arm["covariate_sum_squares"] += c * c
                arm["main_covariate_sum_product"] += m * c
        out.append(arm)
    return out


CASES = {
    "mean": (MetricSpec("orders", Statistic.MEAN), {}),
    "proportion": (MetricSpec("signups", Statistic.PROPORTION), {}),
    "mean-cuped": (MetricSpec("orders", Statistic.MEAN, cuped=True), {"cuped": True}),
    "proportion-cuped": (MetricSpec("signups", Statistic.PROPORTION, cuped=True), {"cuped": True}),
    "ratio": (MetricSpec("orders", Statistic.RATIO, denominator="sessions"), {"denominator": "sessions"}),
}


def load(connection: str, g: Generated) -> None:
    with data.write(connection) as session:
        warehouse.ensure_tables(session)
        session.insert_rows(stats_sql.EXPOSURES_TABLE, warehouse.EXPOSURE_COLUMNS, g.exposures)
    warehouse.load_events(connection=connection, rows=g.events)


def as_sums(stats) -> list[dict]:
    fields = ("n", "sum", "sum_squares", "m_sum", "m_sum_squares", "d_sum", "d_sum_squares", "m_d_sum_of_products")
    fields += ("covariate_sum", "covariate_sum_squares", "main_covariate_sum_product")
    return [{f: getattr(v, f) for f in fields} for v in stats.variations]


def close(actual: dict, wanted: dict) -> bool:
    return all(math.isclose(actual[k], wanted[k], rel_tol=1e-9, abs_tol=1e-9) for k in wanted)


def statistics(connection: str, spec: MetricSpec):
    return warehouse.sufficient_statistics(
        connection=connection,
        experiment_key=KEY,
        hash_version=2,
        metric=spec,
        source=None,
        through=THROUGH,
        variations=VARIATIONS,
    )


@pytest.fixture(scope="module")
def generated():
    return generate()


@pytest.fixture
def loaded_duckdb(generated, duckdb_warehouse):
    load("default", generated)
    return "default"


def test_the_duckdb_sums_equal_the_sums_computed_in_python_for_every_statistic(generated, loaded_duckdb):
    for name, (spec, options) in CASES.items():
        stats, _sql = statistics(loaded_duckdb, spec)
        assert [v.name for v in stats.variations] == ["control", "green", "blue"]
        assert [v.weight for v in stats.variations] == [0.5, 0.3, 0.2]
        assert (stats.statistic, stats.cuped) == (spec.statistic, spec.cuped)
        wanted = expected(generated, spec.metric, spec.statistic, **options)
        assert wanted[0]["n"] > 1000 and wanted[2]["sum"] > 0, name  # the data exercises the case
        for arm, want in zip(as_sums(stats), wanted, strict=True):
            assert close(arm, want), (name, arm, want)


def test_the_sql_kept_for_the_snapshot_is_the_query_with_its_parameters_written_in(generated, loaded_duckdb):
    stats, shown = statistics(loaded_duckdb, CASES["mean-cuped"][0])
    assert f"experiment = '{KEY}'" in shown and "TIMESTAMP '2026-03-11 00:00:00'" in shown and "?" not in shown
    rows = data.read(loaded_duckdb, shown, checked=False)
    assert [(r[0], r[1], r[2]) for r in rows] == [(i, v.n, v.sum) for i, v in enumerate(stats.variations)]


def test_a_variation_without_units_comes_back_as_n_zero(generated, loaded_duckdb):
    four = (*VARIATIONS, Variation("red", "Red", 0.0))
    stats, _sql = warehouse.sufficient_statistics(
        connection=loaded_duckdb,
        experiment_key=KEY,
        hash_version=2,
        metric=CASES["mean"][0],
        source=None,
        through=THROUGH,
        variations=four,
    )
    assert (stats.variations[3].name, stats.variations[3].n, stats.variations[3].sum) == ("red", 0, 0.0)
    empty, _ = warehouse.sufficient_statistics(
        connection=loaded_duckdb,
        experiment_key="never-ran",
        hash_version=2,
        metric=CASES["ratio"][0],
        source=None,
        through=THROUGH,
        variations=VARIATIONS,
    )
    assert [v.n for v in empty.variations] == [0, 0, 0] and empty.variations[0].d_sum == 0.0


def test_a_metric_source_select_reads_like_the_events_table(generated, loaded_duckdb):
    # The same events, in a table of the warehouse's own shape (another name, a date-time column, a text value)
    with data.write(loaded_duckdb) as session:
        session.execute("CREATE TABLE shop_orders (customer VARCHAR, placed_at TIMESTAMP, amount DOUBLE)")
        session.insert_rows(
            "shop_orders", ("customer", "placed_at", "amount"), [e[1:] for e in generated.events if e[0] == "orders"]
        )
    source = (
        "SELECT customer AS unit_id, placed_at AS ts, amount AS value FROM shop_orders"
        " WHERE amount > -1 OR amount IS NULL"
    )
    spec = MetricSpec("orders", Statistic.MEAN, cuped=True)
    by_table, _ = statistics(loaded_duckdb, spec)
    by_source, shown = warehouse.sufficient_statistics(
        connection=loaded_duckdb,
        experiment_key=KEY,
        hash_version=2,
        metric=spec,
        source=source + ";",
        through=THROUGH,
        variations=VARIATIONS,
    )
    assert "FROM shop_orders" in shown
    for a, b in zip(as_sums(by_source), as_sums(by_table), strict=True):
        assert close(a, b)


def test_a_source_that_is_not_one_select_or_a_missing_connection_is_refused(loaded_duckdb):
    for source in ("DELETE FROM mech_metric_events", "SELECT 1; SELECT 2"):
        with pytest.raises(RuleViolation) as refused:
            warehouse.sufficient_statistics(
                connection=loaded_duckdb,
                experiment_key=KEY,
                hash_version=2,
                metric=CASES["mean"][0],
                source=source,
                through=THROUGH,
                variations=VARIATIONS,
            )
        assert refused.value.field == "metric"
    with pytest.raises(RuleViolation) as refused:
        statistics("nosuch", CASES["mean"][0])
    assert refused.value.field == "connection"
    # A source reading the server's files is refused by the engine (external access is off)
    with pytest.raises(RuleViolation, match="disabled") as refused:
        warehouse.sufficient_statistics(
            connection=loaded_duckdb,
            experiment_key=KEY,
            hash_version=2,
            metric=CASES["mean"][0],
            source="SELECT * FROM read_csv('/etc/hostname')",
            through=THROUGH,
            variations=VARIATIONS,
        )
    assert refused.value.field == "connection"


def test_the_query_is_one_portable_statement_with_the_dialects_placeholder():
    spec = stats_sql.MetricQuerySpec(
        experiment=KEY, hash_version=2, metric="orders", statistic=Statistic.MEAN, through=THROUGH, cuped=True
    )
    duck, duck_params = stats_sql.query(dialect="duckdb", spec=spec)
    pg, pg_params = stats_sql.query(dialect="postgresql", spec=spec)
    assert duck_params == pg_params == [KEY, 2, THROUGH, "orders", THROUGH]
    assert duck.count("?") == 5 and "%s" not in duck and pg == duck.replace("?", "%s")
    assert data.check_query(duck) == duck  # one SELECT, as any query the product runs
    with_source = stats_sql.MetricQuerySpec(
        experiment=KEY,
        hash_version=2,
        metric="orders",
        statistic=Statistic.MEAN,
        through=THROUGH,
        source="SELECT u AS unit_id, t AS ts, v AS value FROM x WHERE name LIKE 'a%'",
    )
    assert "LIKE 'a%%'" in stats_sql.query(dialect="postgresql", spec=with_source)[0]
    assert "LIKE 'a%'" in stats_sql.query(dialect="duckdb", spec=with_source)[0]
    for bad in (
        {"statistic": Statistic.RATIO},
        {"statistic": Statistic.RATIO, "denominator": "sessions", "cuped": True},
        {"cuped": True, "covariate_days": 0},
    ):
        with pytest.raises(ValueError):
            stats_sql.query(dialect="duckdb", spec=stats_sql.MetricQuerySpec(**{**_spec_fields(), **bad}))
    with pytest.raises(ValueError, match="dialect"):
        stats_sql.query(dialect="oracle", spec=spec)


def _spec_fields() -> dict:
    return {"experiment": KEY, "hash_version": 2, "metric": "orders", "statistic": Statistic.MEAN, "through": THROUGH}


# ------------------------------------------------------------------------------------- PostgreSQL, the same data


def _postgresql_dsn(schema: str) -> str:
    import psycopg
    from django.db import connection

    s = connection.settings_dict
    return psycopg.conninfo.make_conninfo(
        host=s["HOST"] or "",
        port=str(s["PORT"] or ""),
        user=s["USER"] or "",
        password=s["PASSWORD"] or "",
        dbname=s["NAME"],
        options=f"-csearch_path={schema}",
    )


@pytest.mark.django_db
def test_postgresql_and_duckdb_give_equal_statistics_on_the_same_data(generated, loaded_duckdb, settings):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("the PostgreSQL half runs when the suite runs on PostgreSQL (DATABASE_URL)")
    import psycopg

    schema = f"warehouse_{uuid.uuid4().hex[:8]}"
    dsn = _postgresql_dsn(schema)
    with psycopg.connect(_postgresql_dsn("public"), autocommit=True) as raw:
        raw.execute(f"CREATE SCHEMA {schema}")
    try:
        settings.MECH_METRICS_CONNECTIONS = {
            **settings.MECH_METRICS_CONNECTIONS,
            "warehouse": {"engine": "postgresql", "dsn": dsn},
        }
        load("warehouse", generated)
        for name, (spec, options) in CASES.items():
            on_duckdb, _ = statistics("default", spec)
            on_postgresql, shown = statistics("warehouse", spec)
            for a, b in zip(as_sums(on_postgresql), as_sums(on_duckdb), strict=True):
                assert close(a, b), (name, a, b)
            wanted = expected(generated, spec.metric, spec.statistic, **options)
            assert all(close(a, w) for a, w in zip(as_sums(on_postgresql), wanted, strict=True)), name
            # the kept SQL runs on PostgreSQL as it is
            assert [r[1] for r in data.read("warehouse", shown, checked=False)] == [
                v.n for v in on_postgresql.variations
            ]
    finally:
        with psycopg.connect(_postgresql_dsn("public"), autocommit=True) as raw:
            raw.execute(f"DROP SCHEMA {schema} CASCADE")
