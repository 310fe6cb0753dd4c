"""Benchmark: `mech wbr build` of a 300-metric, 1,000-day deck as a whole process, beside the bare parse of its CSV.

Generates (seeded, deterministic) in a temporary folder a wide wbr-app CSV (Date + 300 columns, 1,000 days, some
numbers quoted with thousands separators, a few blank cells) and its YAML config (300 metrics: sums, means, mins,
maxes and lasts, one 6_12Graph block each), then times, as whole processes in the same run, best of N:

1. the parse floor: a process that reads the CSV with csv.reader into floats (nothing else);
2. the build: ``mech wbr build CONFIG DATA --out deck.json`` (the launcher's fast path: no Typer, no Django).

Prints JSON: wall and CPU times (best of N) of each, the ratio, and the goal verdicts (build under 1.5 s, within
4x of the parse). Not a test: nothing here asserts. wbr-app takes about 7 s for the same size (issue 12).

    .venv/bin/python bench/wbr_deck.py [--runs 3] [--seed 7] [--metrics 300] [--days 1000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
AGGREGATIONS = ("sum", "sum", "sum", "mean", "min", "max", "last")
GOAL_SECONDS, GOAL_RATIO = 1.5, 4.0

PARSE_FLOOR = """
import csv, sys
with open(sys.argv[1], encoding="utf-8-sig", newline="") as handle:
    reader = csv.reader(handle)
    header = next(reader)
    rows = []
    for row in reader:
        values = []
        for cell in row[1:]:
            cell = cell.replace(",", "")
            values.append(float(cell) if cell else None)
        rows.append((row[0], values))
print(len(rows), len(header))
"""


def generate(folder: Path, *, metrics: int, days: int, seed: int) -> tuple[Path, Path, dt.date]:
    rng = random.Random(seed)
    first = dt.date(2022, 1, 1)
    last = first + dt.timedelta(days=days - 1)
    # The deck's week ends on the last Saturday of the data.
    week_ending = last - dt.timedelta(days=(last.weekday() - 5) % 7)
    names = [f"metric_{i:03d}" for i in range(metrics)]
    data = folder / "wide.csv"
    with data.open("w", encoding="utf-8", newline="") as handle:
        handle.write("\ufeffDate," + ",".join(names) + "\n")
        levels = [rng.uniform(100, 5_000_000) for _ in names]
        for offset in range(days):
            day = first + dt.timedelta(days=offset)
            cells = [day.strftime("%a, %d-%b-%Y")]
            for index, level in enumerate(levels):
                value = level * (1 + 0.002 * offset) * rng.uniform(0.9, 1.1)
                if rng.random() < 0.0005:
                    cells.append("")  # a blank: the engine shows N/A for its periods
                elif index % 3 == 0:
                    cells.append(f'"{round(value):,}"')
                else:
                    cells.append(f"{value:.4f}")
            handle.write(f'"{cells[0]}",' + ",".join(cells[1:]) + "\n")
    config = folder / "deck.yaml"
    lines = [
        "setup:",
        f"  week_ending: {week_ending.strftime('%d-%b-%Y').upper()}",
        "  title: Benchmark deck",
        "  fiscal_year_end_month: DEC",
        "metrics:",
    ]
    for index, name in enumerate(names):
        lines += [f"  {name.title()}:", f"    column: {name}", f"    aggf: {AGGREGATIONS[index % len(AGGREGATIONS)]}"]
    lines.append("deck:")
    for name in names:
        lines += [
            "- block:",
            "    ui_type: 6_12Graph",
            f"    title: {name}",
            '    y_scaling: "##.1KK"',
            "    metrics:",
            f"      {name.title()}:",
            "        line_style: primary",
            "        graph_prior_year_flag: true",
        ]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return config, data, week_ending


def timed(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (user + system of the child) and exit code of one process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=ROOT, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.stderr.write(done.stderr.decode(errors="replace"))
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.returncode


def best(command: list[str], runs: int) -> dict[str, float]:
    results = [timed(command) for _ in range(runs)]
    if any(code != 0 for _, _, code in results):
        raise SystemExit(f"failed: {' '.join(command)}")
    return {"wall_s": round(min(r[0] for r in results), 4), "cpu_s": round(min(r[1] for r in results), 4)}


def mech_command() -> list[str]:
    script = Path(sys.executable).parent / "mech"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mechanisms.config.launcher"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--metrics", type=int, default=300)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--keep", help="generate into this folder and keep it")
    options = parser.parse_args()

    folder = Path(options.keep) if options.keep else Path(tempfile.mkdtemp(prefix="wbr-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        config, data, week_ending = generate(folder, metrics=options.metrics, days=options.days, seed=options.seed)
        out = folder / "deck.json"
        parse = best([sys.executable, "-c", PARSE_FLOOR, str(data)], options.runs)
        build = best([*mech_command(), "wbr", "build", str(config), str(data), "--out", str(out)], options.runs)
        deck = json.loads(out.read_text())
        ratio = build["wall_s"] / parse["wall_s"]
        report = {
            "deck": {
                "metrics": options.metrics,
                "days": options.days,
                "week_ending": week_ending.isoformat(),
                "csv_bytes": data.stat().st_size,
                "metrics_in_json": len(deck["metrics"]),
            },
            "runs": options.runs,
            "parse_floor": parse,
            "build": build,
            "ratio_wall": round(ratio, 2),
            "ratio_cpu": round(build["cpu_s"] / parse["cpu_s"], 2),
            "goal": {
                f"build_under_{GOAL_SECONDS}s": build["wall_s"] < GOAL_SECONDS,
                f"within_{GOAL_RATIO:g}x_of_parse": ratio <= GOAL_RATIO,
            },
            "load_average": [round(x, 2) for x in os.getloadavg()],
        }
        print(json.dumps(report, indent=2))
    finally:
        if not options.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
