"""`mech experiments analyze` agrees with GrowthBook's gbstats 0.8 to 1e-8 on cases of our own.

The expected numbers in data/gbstats_cases.json were computed by gbstats itself, in its own virtual environment
(bench/gbstats_cases.py builds its statistic and test classes the way gbstats' runner does), never by our code.
Every document goes through the command; one per engine also through the real console entry
(`python -m mechanisms.config.launcher experiments analyze`).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from mechanisms.interop.experiments_cli import run_analyze

DATA = Path(__file__).parent / "data" / "gbstats_cases.json"
ROOT = Path(__file__).resolve().parents[3]
CASES = json.loads(DATA.read_text())
FIGURES = ("lift", "ci", "p_value", "chance_to_win", "risk")


def _close(got: float, want: float) -> bool:
    return abs(got - want) <= 1e-8 * max(1.0, abs(want))


def _disagreements(name: str, got: dict, want: dict) -> list[str]:
    out = []
    if not _close(got["srm_p"], want["srm_p"]):
        out.append(f"{name}: srm_p {got['srm_p']!r} != {want['srm_p']!r}")
    assert set(got["variations"]) == set(want["variations"]), name
    for variation, expected in want["variations"].items():
        actual = got["variations"][variation]
        if actual["error"] != expected["error"]:
            out.append(f"{name}/{variation}: error {actual['error']!r} != {expected['error']!r}")
        for figure in FIGURES:
            a, b = actual[figure], expected[figure]
            if (a is None) != (b is None):
                out.append(f"{name}/{variation}: {figure} {a!r} != {b!r}")
            elif a is not None:
                pairs = zip(a, b, strict=True) if isinstance(b, list) else [(a, b)]
                if not all(_close(x, y) for x, y in pairs):
                    out.append(f"{name}/{variation}: {figure} {a!r} != {b!r}")
    return out


def test_the_cases_are_gbstats_own_and_cover_every_engine_statistic_and_guard():
    assert CASES["gbstats"] == "0.8.0"
    documents = CASES["documents"]
    inputs = [d["input"] for d in documents]
    assert {(d["engine"], d["difference"]) for d in inputs} == {
        (e, s) for e in ("frequentist", "sequential", "bayesian") for s in ("relative", "absolute")
    }
    assert {d.get("sequential_tuning") for d in inputs if d["engine"] == "sequential"} >= {None, 1000.0, 20000.0}
    assert {d.get("prior") is None for d in inputs if d["engine"] == "bayesian"} == {True, False}
    metrics = [m for d in inputs for m in d["metrics"]]
    assert {(m["statistic"], m["cuped"]) for m in metrics} == {
        ("proportion", False),
        ("proportion", True),
        ("mean", False),
        ("mean", True),
        ("ratio", False),
    }
    assert {len(m["variations"]) for m in metrics} == {2, 3, 4}
    assert any(m.get("inverse") for m in metrics)
    assert any(len({v["weight"] for v in m["variations"]}) > 1 for m in metrics)
    errors = Counter(v["error"] for d in documents for m in d["expected"].values() for v in m["variations"].values())
    assert set(errors) == {None, "ZERO_NEGATIVE_BASELINE_VARIATION", "ZERO_NEGATIVE_VARIANCE", "NO_UNITS_IN_VARIATION"}
    assert errors[None] >= 400
    assert any(m["srm_p"] < 0.001 for d in documents for m in d["expected"].values())


def _agreement(document: dict, out: str) -> tuple[int, list[str]]:
    got = json.loads(out)
    assert set(got["metrics"]) == set(document["expected"])
    disagreements: list[str] = []
    compared = 0
    for name, want in document["expected"].items():
        disagreements += _disagreements(name, got["metrics"][name], want)
        compared += len(want["variations"])
    return compared, disagreements


def test_experiments_analyze_agrees_with_gbstats_to_1e_8_on_every_case(tmp_path):
    """Every document through the command's function (what the console entry runs after reading its arguments)."""
    disagreements: list[str] = []
    compared = 0
    for index, document in enumerate(CASES["documents"]):
        path = tmp_path / f"stats-{index}.json"
        path.write_text(json.dumps(document["input"], indent=1))
        out, err = io.StringIO(), io.StringIO()
        assert run_analyze(str(path), output_format="json", stdout=out, stderr=err) == 0, err.getvalue()
        count, wrong = _agreement(document, out.getvalue())
        compared, disagreements = compared + count, disagreements + wrong
    assert compared == sum(len(m["variations"]) - 1 for d in CASES["documents"] for m in d["input"]["metrics"])
    assert not disagreements, "\n".join(disagreements[:20])


def test_the_installed_mech_gives_gbstats_numbers(tmp_path):
    """The real console entry (the installed `mech`, else `python -m mechanisms.config.launcher`) on one document,
    the Bayesian with a proper prior (a process costs the interpreter's and scipy's start-up; the function above
    is what it runs on the others)."""
    document = next(d for d in CASES["documents"] if d["input"]["engine"] == "bayesian" and d["input"].get("prior"))
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(document["input"]))
    mech = Path(sys.executable).with_name("mech")
    entry = [str(mech)] if mech.exists() else [sys.executable, "-m", "mechanisms.config.launcher"]
    command = [*entry, "experiments", "analyze", str(path), "--format", "json"]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    compared, disagreements = _agreement(document, done.stdout)
    assert compared > 20 and not disagreements, "\n".join(disagreements[:20])


@pytest.mark.parametrize("engine", ["frequentist", "sequential", "bayesian"])
def test_every_key_the_issue_names_is_present_and_null_where_the_engine_has_none(engine):
    from mechanisms.interop.experiments_json import analyse, read_stats, result_dict

    document = next(d for d in CASES["documents"] if d["input"]["engine"] == engine)
    stats = read_stats("cases.json", json.dumps(document["input"]).encode())
    payload = result_dict(stats, analyse(stats, "cases.json"))
    for metric in payload["metrics"].values():
        assert isinstance(metric["srm_p"], float)
        for variation in metric["variations"].values():
            assert set(FIGURES) | {"error"} <= set(variation)
            if variation["error"] is not None:
                assert all(variation[f] is None for f in FIGURES)
                continue
            assert len(variation["ci"]) == 2
            if engine == "bayesian":
                assert variation["p_value"] is None and len(variation["risk"]) == 2
                assert 0 <= variation["chance_to_win"] <= 1
            else:
                assert variation["chance_to_win"] is None and variation["risk"] is None
                assert 0 <= variation["p_value"] <= 1
