"""Benchmark of experiments (issue 13 item 8): three parts, each selectable, each against a floor in the same run.

    .venv/bin/python bench/experiments.py [--part gbstats|sql|assign] [--venv var/bench-gbstats-venv]
                                          [--analyses 1000] [--rows 10000000] [--seconds 10] [--clients 16]

- ``gbstats``: 1,000 metric analyses (each: every variation against the control, and the SRM check), the seeded
  cases of bench/gbstats_cases.py, side by side with gbstats 0.8 in its own venv (created on first use). gbstats
  is timed on its test classes directly, the way its runner builds them (``models.statistics`` objects,
  ``TwoSidedTTest``/``SequentialTwoSidedTTest``/``EffectBayesianABTest``, ``compute_result``, ``check_srm``):
  not its pandas path (``process_single_metric``), which costs more. Ours: ``experiments.rules.analyze`` on the
  same inputs (validation included). Both best of N, inputs parsed before the clock starts. Reports both times,
  the speed ratio (goal at least 5x) and the largest difference of any figure (lift, ci, p_value, chance_to_win,
  risk, srm_p; goal at most 1e-8, absolute, relative above 1) with the count of differing error codes (goal 0).
- ``sql``: the per-variation sufficient statistics of one metric over 10 million exposure rows in DuckDB, by the
  product's query (``experiments.stats_sql.query`` on the warehouse's tables), against the bare grouped
  ``count/sum/sum of squares`` over the same per-unit values (goal within 1.5x).
- ``assign``: the assignment endpoint against ``/healthz`` under 16 clients, served by ``mech serve`` (goal at
  least 0.5 of the floor's requests per second).

Prints JSON figures and the goals' verdicts. Not a test: nothing here asserts. The default run takes a few minutes.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import gbstats_cases  # noqa: E402  (bench/ is not a package)

FIGURES = ("lift", "ci", "p_value", "chance_to_win", "risk")


# --------------------------------------------------------------------------------------------------- gbstats


def _cases(analyses: int, seed: int, python: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """At least `analyses` metrics over the cases' 22 settings, minus those gbstats fails on, cut to exactly
    `analyses`; with gbstats' results in our contract's form."""
    per_document = math.ceil(analyses * 1.05 / 22) + 1
    documents = gbstats_cases.generate(seed, per_document)
    results = gbstats_cases.run_gbstats(python, [d["input"] for d in documents])
    kept, expected, left = [], [], analyses
    for document, result in zip(documents, results, strict=True):
        metrics = [m for m in document["input"]["metrics"] if m["name"] not in result["failed"]][:left]
        if not metrics:
            continue
        document["input"]["metrics"] = metrics
        left -= len(metrics)
        kept.append(document["input"])
        result["metrics"] = {m["name"]: result["metrics"][m["name"]] for m in metrics}
        expected.append(gbstats_cases._expected(document["input"], result, {}))
    return kept, expected


def _difference(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[float, int, int]:
    """The largest difference of any figure (absolute, relative above 1), the errors that differ, the figures."""
    worst, errors, figures = 0.0, 0, 0

    def gap(a: float, b: float) -> float:
        return abs(a - b) / max(1.0, abs(b))

    for name, want in theirs.items():
        got = ours["metrics"][name]
        worst = max(worst, gap(got["srm_p"], want["srm_p"]))
        figures += 1
        for variation, expected in want["variations"].items():
            actual = got["variations"][variation]
            errors += actual["error"] != expected["error"]
            for figure in FIGURES:
                a, b = actual[figure], expected[figure]
                if (a is None) != (b is None):
                    worst = math.inf
                elif a is not None:
                    for x, y in zip(a, b, strict=True) if isinstance(b, list) else [(a, b)]:
                        worst, figures = max(worst, gap(x, y)), figures + 1
    return worst, errors, figures


def part_gbstats(options: argparse.Namespace) -> dict[str, Any]:
    from mechanisms.experiments.rules import analyze, result_to_dict, stats_from_dict

    python = gbstats_cases.ensure_venv(options.venv, wheel=options.wheel)
    documents, expected = _cases(options.analyses, options.seed, python)
    metrics = sum(len(d["metrics"]) for d in documents)
    comparisons = sum(len(m["variations"]) - 1 for d in documents for m in d["metrics"])
    timing = gbstats_cases.run_gbstats(python, documents, "--time", str(options.runs))
    parsed = [stats_from_dict(d) for d in documents]
    ours = math.inf
    for _ in range(options.runs):
        started = time.perf_counter()
        results = [analyze(settings, stats) for settings, stats in parsed]
        ours = min(ours, time.perf_counter() - started)
    worst, errors, figures = 0.0, 0, 0
    for result, want in zip(results, expected, strict=True):
        w, e, f = _difference(result_to_dict(result), want)
        worst, errors, figures = max(worst, w), errors + e, figures + f
    speedup = timing["seconds"] / ours
    return {
        "analyses": metrics,
        "comparisons": comparisons,
        "figures_compared": figures,
        "gbstats": f"0.8.0, test classes directly (as its runner builds them), best of {options.runs}",
        "gbstats_s": round(timing["seconds"], 4),
        "ours_s": round(ours, 4),
        "gbstats_ms_per_analysis": round(timing["seconds"] * 1000 / metrics, 4),
        "ours_ms_per_analysis": round(ours * 1000 / metrics, 4),
        "speedup": round(speedup, 1),
        "max_difference": worst,
        "error_codes_differing": errors,
        "goals": {"at_least_5x_faster": speedup >= 5, "equal_to_1e-8": worst <= 1e-8 and errors == 0},
    }


# --------------------------------------------------------------------------------------------------- sql

SQL_FLOOR = """
SELECT x.variation, COUNT(*) AS n, SUM(COALESCE(v.value, 0)) AS sum,
       SUM(COALESCE(v.value, 0) * COALESCE(v.value, 0)) AS sum_squares
FROM mech_exposures x
LEFT JOIN (SELECT unit_id, SUM(value) AS value FROM mech_metric_events WHERE metric = 'revenue' GROUP BY unit_id) v
  ON v.unit_id = x.unit_id
WHERE x.experiment = 'bench'
GROUP BY x.variation ORDER BY x.variation
"""
# The bare query with the product's windows (events from the unit's exposure up to `through`): what the product's
# query costs beyond doing the same work by hand.
SQL_WINDOWED = """
SELECT x.variation, COUNT(*) AS n, SUM(COALESCE(v.value, 0)) AS sum,
       SUM(COALESCE(v.value, 0) * COALESCE(v.value, 0)) AS sum_squares
FROM mech_exposures x
LEFT JOIN (
  SELECT w.unit_id, SUM(e.value) AS value FROM mech_exposures w JOIN mech_metric_events e ON e.unit_id = w.unit_id
  WHERE w.experiment = 'bench' AND e.metric = 'revenue' AND e.ts >= w.exposed_at AND e.ts <= TIMESTAMP '2024-03-01'
  GROUP BY w.unit_id
) v ON v.unit_id = x.unit_id
WHERE x.experiment = 'bench'
GROUP BY x.variation ORDER BY x.variation
"""
SQL_AGGREGATE_ONLY = """
SELECT variation, COUNT(*) AS n, SUM(value) AS sum, SUM(value * value) AS sum_squares
FROM unit_values GROUP BY variation ORDER BY variation
"""


def _warehouse_tables() -> tuple[str, ...]:
    """The warehouse's own CREATE TABLE statements (experiments/warehouse.py imports the models: Django is set up,
    against a throwaway folder, only to read them)."""
    import os
    import tempfile

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mechanisms.config.settings")
    os.environ.setdefault("MECH_VAR_DIR", tempfile.mkdtemp(prefix="mech-bench-experiments-"))
    import django

    django.setup()
    from mechanisms.experiments import warehouse

    return warehouse._TABLES


def _best(conn: Any, sql: str, params: list, runs: int) -> tuple[float, list[tuple]]:
    best, rows = math.inf, []
    for _ in range(runs):
        started = time.perf_counter()
        rows = conn.execute(sql, params).fetchall()
        best = min(best, time.perf_counter() - started)
    return best, rows


def part_sql(options: argparse.Namespace) -> dict[str, Any]:
    """10 million exposures (two variations, 50/50, hash version 2, all before `through`), a third of the units
    with 1 to 3 revenue events after their exposure; the product's query for a mean metric against the bare
    grouped query a person would write over the same tables (the goal's floor: it ignores the exposure windows,
    which this data never needs), the same by hand with the product's windows (events from each unit's exposure
    up to `through`), and, for scale, the aggregate alone over a table of the per-unit values already computed."""
    import datetime as dt
    import shutil
    import tempfile

    import duckdb

    from mechanisms.experiments.contracts import Statistic
    from mechanisms.experiments.stats_sql import MetricQuerySpec, query

    tables = _warehouse_tables()
    folder = Path(tempfile.mkdtemp(prefix="mech-bench-sql-"))
    try:
        conn = duckdb.connect(str(folder / "warehouse.duckdb"))
        for statement in tables:
            conn.execute(statement)
        started = time.perf_counter()
        rows = int(options.rows)
        conn.execute(
            "INSERT INTO mech_exposures SELECT i, 'bench', 2, 'u' || i, CAST(hash(i) % 2 AS INTEGER),"
            " TIMESTAMP '2024-01-01' + to_seconds(CAST(i % 2592000 AS BIGINT)) FROM range(?) t(i)",
            [rows],
        )
        conn.execute(
            "INSERT INTO mech_metric_events SELECT 'revenue', x.unit_id,"
            " x.exposed_at + to_seconds(CAST(60 * k AS BIGINT)), round(random() * 100, 2)"
            " FROM mech_exposures x, range(3) r(k) WHERE x.exposure_id % 3 = 0 AND k <= x.exposure_id % 7 % 3"
        )
        events = conn.execute("SELECT COUNT(*) FROM mech_metric_events").fetchone()[0]
        conn.execute(
            "CREATE TABLE unit_values AS SELECT x.variation, COALESCE(v.value, 0) AS value FROM mech_exposures x"
            " LEFT JOIN (SELECT unit_id, SUM(value) AS value FROM mech_metric_events GROUP BY unit_id) v"
            " ON v.unit_id = x.unit_id"
        )
        conn.execute("CHECKPOINT")
        loaded = time.perf_counter() - started
        spec = MetricQuerySpec(
            experiment="bench",
            hash_version=2,
            metric="revenue",
            statistic=Statistic.MEAN,
            through=dt.datetime(2024, 3, 1),
        )
        sql, params = query(dialect="duckdb", spec=spec)
        _best(conn, sql, params, 1)  # warm both
        _best(conn, SQL_FLOOR, [], 1)
        ours, got = _best(conn, sql, params, options.runs)
        floor, want = _best(conn, SQL_FLOOR, [], options.runs)
        windowed, _ = _best(conn, SQL_WINDOWED, [], options.runs)
        aggregate, alone = _best(conn, SQL_AGGREGATE_ONLY, [], options.runs)
        conn.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)

    def same(a: list[tuple], b: list[tuple]) -> bool:
        return len(a) == len(b) and all(
            x[0] == y[0]
            and x[1] == y[1]
            and all(abs(p - q) <= 1e-9 * max(1.0, abs(q)) for p, q in zip(x[2:4], y[2:4], strict=True))
            for x, y in zip(a, b, strict=True)
        )

    ratio = ours / floor
    return {
        "exposure_rows": rows,
        "event_rows": events,
        "load_s": round(loaded, 1),
        "ours_s": round(ours, 4),
        "floor_bare_grouped_query_s": round(floor, 4),
        "bare_query_with_the_same_windows_s": round(windowed, 4),
        "aggregate_alone_over_per_unit_values_s": round(aggregate, 4),
        "ratio_to_floor": round(ratio, 3),
        "ratio_to_the_same_windows_by_hand": round(ours / windowed, 3),
        "ratio_to_aggregate_alone": round(ours / aggregate, 1),
        "same_statistics": same(got, want) and same(got, alone),
        "best_of": options.runs,
        "goals": {"within_1.5x_of_the_bare_query": ratio <= 1.5 and same(got, want)},
    }


# --------------------------------------------------------------------------------------------------- assign

# Run in the served database, Django set up: a running two-arm experiment on an input metric, defined and started
# through the services (the metric and the experiment belong to the demo's first team and its leader).
ASSIGN_SETUP = """
import django
django.setup()
from mechanisms.experiments import services
from mechanisms.experiments.contracts import MetricSpec, Plan, Statistic, Variation
from mechanisms.kernel.actor import Actor
from mechanisms.metrics import services as metrics_services
from mechanisms.org.models import Team
system = Actor.system("bench")
team = Team.objects.exclude(leader=None).order_by("id").first()
metrics_services.define_metric(
    actor=system, name="bench_conversion", title="Bench conversion", kind="input", definition="Bench, daily.",
    owner_id=team.leader_id, team_id=team.id, lever="What the team ships.", direction="up", aggregation="sum",
    grain="day", formula=None)
plan = Plan(variations=(Variation("control", "Control", 0.5), Variation("b", "B", 0.3), Variation("c", "C", 0.2)),
            primary=MetricSpec(metric="bench_conversion", statistic=Statistic.PROPORTION), planned_sample_size=20000)
view = services.define_experiment(actor=system, key="bench-assign", name="Bench assign", hypothesis="Bench.",
                                  team_id=team.id, owner_id=team.leader_id, plan=plan)
services.apply_transition(actor=system, key=view.key, name="start", version=view.version, values={})
"""


def part_assign(options: argparse.Namespace) -> dict[str, Any]:
    """`mech serve` on a demo database with one running experiment; 16 clients (one asyncio process, a connection
    per request, as bench/api_catalog.py) on `/healthz` (the floor) and on the single assignment endpoint
    `GET /api/v1/experiments/bench-assign/assignment?unit=...` with random unit ids, signed in with a token."""
    import asyncio
    import os
    import shutil
    import socket
    import subprocess
    import tempfile

    import api_catalog

    mech = api_catalog.MECH
    workdir = Path(tempfile.mkdtemp(prefix="mech-bench-assign-"))
    env = dict(
        os.environ, MECH_VAR_DIR=str(workdir), LOG_LEVEL="ERROR", DJANGO_SETTINGS_MODULE="mechanisms.config.settings"
    )
    env.pop("DATABASE_URL", None)  # a fresh SQLite database of its own
    figures: dict[str, Any] = {"clients": options.clients, "seconds_per_scenario": options.seconds}
    quiet = {"env": env, "cwd": ROOT, "check": True, "stdout": subprocess.DEVNULL}
    subprocess.run([*mech, "demo", "--teams", "16"], **quiet)
    subprocess.run([sys.executable, "-c", ASSIGN_SETUP], **quiet)
    token = subprocess.run(
        [*mech, "tokens", "create", "admin", "--name", "bench"],
        env=env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = api_catalog.free_port()
    serve = [*mech, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"]
    server = subprocess.Popen(serve, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        scenarios = {
            "floor_healthz": lambda rng: "/healthz",
            "assignment": lambda rng: f"/api/v1/experiments/bench-assign/assignment?unit=u{rng.randrange(10**9)}",
        }
        asyncio.run(api_catalog.drive("127.0.0.1", port, scenarios["assignment"], token, 2.0, options.clients))
        results = {
            name: asyncio.run(api_catalog.drive("127.0.0.1", port, paths, token, options.seconds, options.clients))
            for name, paths in scenarios.items()
        }
    finally:
        server.terminate()
        server.wait(timeout=20)
        shutil.rmtree(workdir, ignore_errors=True)
    floor = results["floor_healthz"]["requests_per_s"]
    ok = all(r["requests"] > 0 and r["errors"] == 0 for r in results.values())
    ratio = results["assignment"]["requests_per_s"] / floor if floor else 0.0
    figures.update(
        results=results,
        ratio_to_floor=round(ratio, 3),
        succeeded=ok,
        goals={"at_least_0.5_of_healthz": ok and ratio >= 0.5},
    )
    return figures


# --------------------------------------------------------------------------------------------------- main

PARTS = {"gbstats": part_gbstats, "sql": part_sql, "assign": part_assign}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=sorted(PARTS), action="append", help="one part (repeatable; default all)")
    parser.add_argument("--venv", type=Path, default=gbstats_cases.DEFAULT_VENV)
    parser.add_argument("--wheel", help="install gbstats from this wheel instead of PyPI")
    parser.add_argument("--analyses", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--runs", type=int, default=5, help="best of N")
    parser.add_argument("--rows", type=int, default=10_000_000, help="sql: exposure rows")
    parser.add_argument("--seconds", type=float, default=10.0, help="assign: seconds per scenario")
    parser.add_argument("--clients", type=int, default=16, help="assign: concurrent clients")
    options = parser.parse_args(argv)
    figures = {}
    for part in options.part or list(PARTS):
        figures[part] = PARTS[part](options)
        print(json.dumps({part: figures[part]}), file=sys.stderr, flush=True)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
