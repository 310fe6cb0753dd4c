"""GrowthBook's own numbers as test data: cases of our own, analysed by gbstats 0.8 itself.

    .venv/bin/python bench/gbstats_cases.py [--venv var/bench-gbstats-venv] [--seed 13] [--out PATH]

1. Creates (or reuses) a virtual environment with gbstats 0.8.0 (`pip install gbstats==0.8.0`; it pins numpy<2
   and pandas<2, so it is never a dependency of the product).
2. Generates a few hundred seeded metrics of our own, grouped into STATS.json documents (the input of
   `mech experiments analyze`) that share their settings: proportion, mean, ratio, CUPED on proportion and mean,
   2 to 4 variations with unequal weights, relative and absolute, frequentist, sequential with several tuning
   values, Bayesian with a flat and proper priors, inverse metrics, and the guard cases (a zero control, zero
   variance, an empty arm, a negative control, an arm of one unit).
3. Runs gbstats' own classes on each comparison, in the venv, the way `gbstats.gbstats` builds them
   (`get_configured_test`: `models.statistics` objects, `frequentist.tests.TwoSidedTTest` or
   `SequentialTwoSidedTTest`, `bayesian.tests.EffectBayesianABTest` with a relative prior) and `utils.check_srm`.
4. Writes the inputs and gbstats' outputs to mechanisms/interop/tests/data/gbstats_cases.json, which
   test_experiments_gbstats.py runs `mech experiments analyze` on.

Nothing of ours computes the expected numbers: this file imports nothing from mechanisms. Where gbstats'
results differ from our contract only in form, the expectation is mapped (each mapping is named in the case's
`notes`):
- an errored comparison: gbstats returns expected 0, ci [0, 0], p_value 1 or chance_to_win 0.5 and risk [0, 0]
  beside its error message; our contract says "no estimate": the error code and null numbers;
- a negative control mean on the relative scale: gbstats' test classes compute a result there, and its
  formatter (`analyze_metric_df`) then reports expected 0 with the interval and p-value unchanged and no error;
  the issue asks for no estimate, so the expectation is ZERO_NEGATIVE_BASELINE_VARIATION with null numbers;
- a metric gbstats fails on is left out and named under `left_out` (a zero control mean on the absolute scale
  in the Bayesian engine divides by zero rescaling the prior, even a flat one);
- gbstats' formatter replaces an expected of exactly 0 by the raw relative difference (even on the absolute
  scale): the test classes' own value is kept (the formatter is not used).

The same file, run with `--runner` by the venv's python, is the gbstats side (it reads the documents as JSON on
stdin and writes the results on stdout); `--time N` makes it time N comparisons instead (bench/experiments.py).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_VENV = ROOT / "var" / "bench-gbstats-venv"
DEFAULT_OUT = ROOT / "mechanisms" / "interop" / "tests" / "data" / "gbstats_cases.json"
GBSTATS = "gbstats==0.8.0"

# --------------------------------------------------------------------------------------------------- the venv


def ensure_venv(venv: Path, *, wheel: str | None = None) -> Path:
    """The venv's python, with gbstats 0.8.0 installed (created on first use, reused after)."""
    python = venv / "bin" / "python"
    if python.exists():
        probe = subprocess.run(
            [str(python), "-c", "import importlib.metadata as m; print(m.version('gbstats'))"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.strip() == "0.8.0":
            return python
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", wheel or GBSTATS], check=True)
    return python


def run_gbstats(python: Path, payload: Any, *args: str) -> Any:
    """This file's runner in the gbstats venv: JSON in on stdin, JSON out on stdout."""
    done = subprocess.run(
        [str(python), str(Path(__file__).resolve()), "--runner", *args],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    if done.returncode != 0:
        raise SystemExit(f"gbstats runner failed:\n{done.stderr}")
    return json.loads(done.stdout)


# --------------------------------------------------------------------------------------------------- the cases

WEIGHTS = (
    (0.5, 0.5),
    (0.4, 0.6),
    (0.7, 0.3),
    (0.2, 0.8),
    (1 / 3, 1 / 3, 1 / 3),
    (0.2, 0.3, 0.5),
    (0.5, 0.25, 0.25),
    (0.25, 0.25, 0.25, 0.25),
    (0.1, 0.2, 0.3, 0.4),
    (0.4, 0.2, 0.2, 0.2),
)
KINDS = ("proportion", "mean", "ratio", "cuped_proportion", "cuped_mean")
GUARDS = ("zero_control", "zero_variance", "empty_treatment", "empty_control", "negative_control", "one_unit", "srm")


def _units(rng: random.Random, weights: tuple[float, ...], *, mismatch: bool = False) -> list[int]:
    total = rng.choice((200, 1_000, 5_000, 20_000, 100_000, 1_000_000))
    units = [max(2, round(total * w * (1 + rng.gauss(0, 0.003)))) for w in weights]
    if mismatch:
        units[-1] = round(units[-1] * rng.uniform(1.06, 1.2))
    return units


def _mean_sums(rng: random.Random, n: int, mean: float, sd: float) -> tuple[float, float]:
    """sum and sum of squares of n values with this mean and (sample) standard deviation."""
    total = n * mean
    return total, (n - 1) * sd * sd + total * total / n


def _proportion(rng: random.Random, n: int, p: float) -> int:
    return min(n, max(0, round(n * p + rng.gauss(0, math.sqrt(n * p * (1 - p)) + 1e-9))))


def _variation(
    rng: random.Random, kind: str, name: str, weight: float, n: int, effect: float, base: dict[str, float]
) -> dict[str, Any]:
    row: dict[str, Any] = {"name": name, "weight": weight, "n": n}
    if kind in ("proportion", "cuped_proportion"):
        p = min(0.98, max(0.001, base["p"] * (1 + effect)))
        converted = _proportion(rng, n, p)
        row.update(sum=converted, sum_squares=converted)
        if kind == "cuped_proportion":
            before = _proportion(rng, n, base["p"])
            # units converted both before and after: between the bounds two counts allow, near the correlation's
            both_low, both_high = max(0, converted + before - n), min(converted, before)
            independent = converted * before / n
            both = round(independent + base["rho"] * (both_high - independent))
            row.update(
                covariate_sum=before,
                covariate_sum_squares=before,
                main_covariate_sum_product=max(both_low, min(both_high, both)),
            )
    elif kind in ("mean", "cuped_mean"):
        mean = base["mean"] * (1 + effect) + rng.gauss(0, base["sd"] / math.sqrt(n))
        total, squares = _mean_sums(rng, n, mean, base["sd"] * rng.uniform(0.9, 1.1))
        row.update(sum=total, sum_squares=squares)
        if kind == "cuped_mean":
            pre_mean = base["mean"] + rng.gauss(0, base["sd"] / math.sqrt(n))
            pre_sd = base["sd"] * rng.uniform(0.8, 1.2)
            pre_sum, pre_squares = _mean_sums(rng, n, pre_mean, pre_sd)
            post_sd = math.sqrt((squares - total * total / n) / (n - 1))
            covariance = base["rho"] * post_sd * pre_sd
            row.update(
                covariate_sum=pre_sum,
                covariate_sum_squares=pre_squares,
                main_covariate_sum_product=covariance * (n - 1) + total * pre_sum / n,
            )
    else:  # ratio: revenue per session, say
        d_mean = base["d_mean"] * rng.uniform(0.97, 1.03)
        d_sd = base["d_sd"]
        m_sd = base["sd"]
        m_mean = base["mean"] * d_mean * (1 + effect) + rng.gauss(0, m_sd / math.sqrt(n))
        m_sum, m_squares = _mean_sums(rng, n, m_mean, m_sd)
        d_sum, d_squares = _mean_sums(rng, n, d_mean, d_sd)
        row.update(
            m_sum=m_sum,
            m_sum_squares=m_squares,
            d_sum=d_sum,
            d_sum_squares=d_squares,
            m_d_sum_of_products=base["rho"] * m_sd * d_sd * (n - 1) + m_sum * d_sum / n,
        )
    return row


def _metric(rng: random.Random, index: int, kind: str, guard: str | None, inverse: bool) -> tuple[dict, list]:
    weights = rng.choice(WEIGHTS)
    names = ["control", "B", "C", "D"][: len(weights)]
    units = _units(rng, weights, mismatch=guard == "srm")
    base = {
        "p": rng.choice((0.02, 0.1, 0.3, 0.55)),
        "mean": rng.choice((1.0, 4.2, 37.5, 250.0)),
        "sd": 0.0,
        "rho": rng.uniform(0.2, 0.9),
        "d_mean": rng.choice((1.5, 3.0, 8.0)),
        "d_sd": 0.0,
    }
    base["sd"] = base["mean"] * rng.uniform(0.5, 3.0)
    base["d_sd"] = base["d_mean"] * rng.uniform(0.3, 1.0)
    effects = [0.0] + [rng.choice((0.0, 0.01, 0.03, -0.02, 0.08, -0.1)) for _ in weights[1:]]
    notes: list[str] = []
    variations = [
        _variation(rng, kind, name, w, n, e, base) for name, w, n, e in zip(names, weights, units, effects, strict=True)
    ]
    statistic = {"cuped_proportion": "proportion", "cuped_mean": "mean"}.get(kind, kind)
    control, treatment = variations[0], variations[1]
    if guard == "zero_control":
        if statistic == "proportion":
            control.update(sum=0, sum_squares=0)
            if kind == "cuped_proportion":
                control["main_covariate_sum_product"] = 0
        elif statistic == "mean":
            control.update(sum=0.0, sum_squares=float(rng.randint(1, 50)))
            if kind == "cuped_mean":
                control["main_covariate_sum_product"] = 0.0
        else:
            control.update(m_sum=0.0, m_sum_squares=0.0, m_d_sum_of_products=0.0)
        notes.append("zero control mean")
    elif guard == "zero_variance":
        if statistic == "proportion":
            treatment.update(sum=treatment["n"], sum_squares=treatment["n"])  # every unit converted: p(1-p) = 0
            if kind == "cuped_proportion":
                treatment["main_covariate_sum_product"] = treatment["covariate_sum"]
        elif statistic == "mean":
            value = float(rng.randint(1, 9))
            treatment.update(sum=value * treatment["n"], sum_squares=value * value * treatment["n"])
            if kind == "cuped_mean":
                treatment["main_covariate_sum_product"] = value * treatment["covariate_sum"]
        else:
            d = float(rng.randint(1, 4))
            m = d * base["mean"]
            n = treatment["n"]
            treatment.update(
                m_sum=m * n,
                m_sum_squares=m * m * n,
                d_sum=d * n,
                d_sum_squares=d * d * n,
                m_d_sum_of_products=m * d * n,
            )
        notes.append("a treatment of constant values (zero variance)")
    elif guard in ("empty_treatment", "empty_control"):
        arm = treatment if guard == "empty_treatment" else control
        for key in list(arm):
            if key not in ("name", "weight"):
                arm[key] = 0
        notes.append(f"an empty arm ({arm['name']})")
    elif guard == "one_unit":
        arm = treatment
        value = 1 if statistic == "proportion" else 3.5
        for key in list(arm):
            if key not in ("name", "weight"):
                arm[key] = 0
        arm["n"] = 1
        if statistic == "ratio":
            arm.update(
                m_sum=value, m_sum_squares=value * value, d_sum=2.0, d_sum_squares=4.0, m_d_sum_of_products=2 * value
            )
        else:
            arm.update(sum=value, sum_squares=value * value)
        notes.append("an arm of one unit (no variance)")
    elif guard == "negative_control":
        # profit per user, say: the control loses money on average (a mean, its variance untouched)
        for row in variations:
            shift = 1.3 * base["mean"] * (1.0 if row is control else rng.choice((1.0, 0.7, 1.6)))
            n, total, squares = row["n"], row["sum"], row["sum_squares"]
            variance = (squares - total * total / n) / (n - 1)
            total -= shift * n
            row.update(sum=total, sum_squares=(n - 1) * variance + total * total / n)
        notes.append("a negative control mean")
    elif guard == "srm":
        notes.append("a sample ratio mismatch (the last arm has more units than its weight gives)")
    name = f"m{index:03d}_{kind}" + (f"_{guard}" if guard else "") + ("_inverse" if inverse else "")
    metric: dict[str, Any] = {
        "name": name,
        "statistic": statistic,
        "cuped": kind.startswith("cuped"),
        "variations": variations,
    }
    if inverse:
        metric["inverse"] = True
    return metric, notes


def _settings(rng: random.Random) -> list[dict[str, Any]]:
    """The documents' settings: every engine on both scales with varied alpha, tuning and priors."""
    out: list[dict[str, Any]] = []
    for difference in ("relative", "absolute"):
        for alpha in (0.05, 0.1, 0.01):
            out.append({"alpha": alpha, "engine": "frequentist", "difference": difference})
        for alpha, tuning in ((0.05, None), (0.05, 1000.0), (0.1, 20000.0), (0.01, 5000.0)):
            doc: dict[str, Any] = {"alpha": alpha, "engine": "sequential", "difference": difference}
            if tuning is not None:
                doc["sequential_tuning"] = tuning
            out.append(doc)
        for alpha, prior in (
            (0.05, None),
            (0.05, {"mean": 0.0, "stddev": 0.3}),
            (0.1, {"mean": 0.05, "stddev": 0.1}),
            (0.05, {"mean": -0.02, "stddev": 0.05}),
        ):
            doc = {"alpha": alpha, "engine": "bayesian", "difference": difference}
            if prior is not None:
                doc["prior"] = prior
            out.append(doc)
    return out


def generate(seed: int, per_document: int = 16) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    documents = []
    index = 0
    for settings in _settings(rng):
        metrics, notes = [], {}
        plan = [(kind, None) for kind in KINDS] + [(rng.choice(KINDS), guard) for guard in GUARDS]
        while len(plan) < per_document:
            plan.append((rng.choice(KINDS), None))
        for kind, guard in plan:
            if guard == "negative_control" and kind != "mean":
                kind = "mean"
            index += 1
            metric, why = _metric(rng, index, kind, guard, inverse=rng.random() < 0.25)
            metrics.append(metric)
            if why:
                notes[metric["name"]] = why
        documents.append({"input": {**settings, "metrics": metrics}, "notes": notes})
    return documents


# ----------------------------------------------------------------------------------- the gbstats side (--runner)


def _gb_statistics(metric: dict[str, Any], row: dict[str, Any]) -> Any:
    from gbstats.models.statistics import (
        ProportionStatistic,
        RatioStatistic,
        RegressionAdjustedStatistic,
        SampleMeanStatistic,
    )

    n = row["n"]
    if metric["statistic"] == "ratio":
        return RatioStatistic(
            n=n,
            m_statistic=SampleMeanStatistic(n=n, sum=row["m_sum"], sum_squares=row["m_sum_squares"]),
            d_statistic=SampleMeanStatistic(n=n, sum=row["d_sum"], sum_squares=row["d_sum_squares"]),
            m_d_sum_of_products=row["m_d_sum_of_products"],
        )
    if metric["statistic"] == "proportion":
        main: Any = ProportionStatistic(n=n, sum=row["sum"])
        pre: Any = ProportionStatistic(n=n, sum=row.get("covariate_sum", 0))
    else:
        main = SampleMeanStatistic(n=n, sum=row["sum"], sum_squares=row["sum_squares"])
        pre = SampleMeanStatistic(
            n=n, sum=row.get("covariate_sum", 0.0), sum_squares=row.get("covariate_sum_squares", 0.0)
        )
    if not metric.get("cuped"):
        return main
    return RegressionAdjustedStatistic(
        n=n, post_statistic=main, pre_statistic=pre, post_pre_sum_of_products=row["main_covariate_sum_product"], theta=0
    )


def _gb_test(doc: dict[str, Any], metric: dict[str, Any], index: int) -> Any:
    """One comparison, built as gbstats.gbstats.get_configured_test builds it (fresh statistics each time: the
    tests set CUPED's theta on them)."""
    from gbstats.bayesian.tests import EffectBayesianABTest, EffectBayesianConfig, GaussianPrior
    from gbstats.frequentist.tests import FrequentistConfig, SequentialConfig, SequentialTwoSidedTTest, TwoSidedTTest

    rows = metric["variations"]
    stat_a, stat_b = _gb_statistics(metric, rows[0]), _gb_statistics(metric, rows[index])
    base = {"traffic_proportion_b": rows[index]["weight"], "phase_length_days": 1, "difference_type": doc["difference"]}
    if doc["engine"] == "frequentist":
        return TwoSidedTTest(stat_a, stat_b, FrequentistConfig(**base, alpha=doc["alpha"]))
    if doc["engine"] == "sequential":
        return SequentialTwoSidedTTest(
            stat_a,
            stat_b,
            SequentialConfig(
                **base, alpha=doc["alpha"], sequential_tuning_parameter=doc.get("sequential_tuning", 5000.0)
            ),
        )
    prior = doc.get("prior")
    gaussian = (
        GaussianPrior(mean=prior["mean"], variance=prior["stddev"] ** 2, proper=True)
        if prior
        else GaussianPrior(mean=0, variance=1, proper=False)
    )
    return EffectBayesianABTest(
        stat_a,
        stat_b,
        EffectBayesianConfig(
            **base,
            alpha=doc["alpha"],
            inverse=bool(metric.get("inverse")),
            prior_effect=gaussian,
            prior_type="relative",
        ),
    )


def _finite(value: float) -> float:
    value = float(value)
    if not math.isfinite(value):
        raise ArithmeticError(f"gbstats returned {value}")
    return value


def _gb_document(doc: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for metric in doc["metrics"]:
        try:
            out[metric["name"]] = _gb_metric(doc, metric)
        except ArithmeticError as exc:
            failed[metric["name"]] = str(exc)
    return {"metrics": out, "failed": failed}


def _gb_metric(doc: dict[str, Any], metric: dict[str, Any]) -> dict[str, Any]:
    from gbstats.utils import check_srm

    rows = metric["variations"]
    variations: dict[str, Any] = {}
    for index in range(1, len(rows)):
        test = _gb_test(doc, metric, index)
        result = test.compute_result()
        error = result.error_message
        entry: dict[str, Any] = {
            "lift": None,
            "ci": None,
            "p_value": None,
            "chance_to_win": None,
            "risk": None,
            "error": error,
        }
        if error is None:
            entry["lift"] = _finite(result.expected)
            entry["ci"] = [_finite(result.ci[0]), _finite(result.ci[1])]
            if doc["engine"] == "bayesian":
                entry["chance_to_win"] = _finite(result.chance_to_win)
                entry["risk"] = [_finite(result.risk[0]), _finite(result.risk[1])]
            else:
                entry["p_value"] = _finite(result.p_value)
        entry["gbstats_control_mean"] = float(test.stat_a.unadjusted_mean)
        variations[rows[index]["name"]] = entry
    return {"srm_p": _finite(check_srm([r["n"] for r in rows], [r["weight"] for r in rows])), "variations": variations}


def _runner(time_repeats: int | None) -> None:
    import warnings

    warnings.simplefilter("ignore")
    documents = json.load(sys.stdin)
    if time_repeats is None:
        json.dump([_gb_document(doc) for doc in documents], sys.stdout)
        return
    # --time: the documents' comparisons, repeated; only gbstats' own work is timed (the inputs are parsed first)
    import time

    from gbstats.utils import check_srm

    comparisons = [
        (doc, metric, i) for doc in documents for metric in doc["metrics"] for i in range(1, len(metric["variations"]))
    ]
    metrics = [metric for doc in documents for metric in doc["metrics"]]
    best = math.inf
    for _ in range(time_repeats):
        started = time.perf_counter()
        for doc, metric, index in comparisons:
            _gb_test(doc, metric, index).compute_result()
        for metric in metrics:
            check_srm([r["n"] for r in metric["variations"]], [r["weight"] for r in metric["variations"]])
        best = min(best, time.perf_counter() - started)
    json.dump({"seconds": best, "comparisons": len(comparisons), "metrics": len(metrics)}, sys.stdout)


# ------------------------------------------------------------------------------------------------------ main


def _expected(doc: dict[str, Any], gb: dict[str, Any], notes: dict[str, list[str]]) -> dict[str, Any]:
    """gbstats' results in our contract's form (the module docstring names each mapping)."""
    expected: dict[str, Any] = {}
    for metric in doc["metrics"]:
        got = gb["metrics"][metric["name"]]
        for name, entry in got["variations"].items():
            control_mean = entry.pop("gbstats_control_mean")
            if entry["error"] is not None:
                notes.setdefault(metric["name"], []).append(
                    f"{name}: gbstats' errored result (expected 0, ci [0, 0]) read as no estimate"
                )
            elif doc["difference"] == "relative" and control_mean < 0:
                notes.setdefault(metric["name"], []).append(
                    f"{name}: gbstats computes a result on a negative control (its formatter reports expected 0): "
                    "no estimate, ZERO_NEGATIVE_BASELINE_VARIATION"
                )
                entry.update(
                    lift=None,
                    ci=None,
                    p_value=None,
                    chance_to_win=None,
                    risk=None,
                    error="ZERO_NEGATIVE_BASELINE_VARIATION",
                )
        expected[metric["name"]] = got
    return expected


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="gbstats' venv (created when missing)")
    parser.add_argument("--wheel", help="install gbstats from this wheel instead of PyPI")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--per-document", type=int, default=16, help="metrics per STATS.json document")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--runner", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--time", type=int, default=None, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.runner:
        _runner(options.time)
        return 0
    python = ensure_venv(options.venv, wheel=options.wheel)
    documents = generate(options.seed, options.per_document)
    results = run_gbstats(python, [d["input"] for d in documents])
    cases, left_out = [], {}
    for document, result in zip(documents, results, strict=True):
        # a metric gbstats fails on (a division by zero, a non-finite number) has no expectation: left out, named
        left_out.update(result["failed"])
        document["input"]["metrics"] = [m for m in document["input"]["metrics"] if m["name"] not in result["failed"]]
        notes = {name: why for name, why in document["notes"].items() if name not in result["failed"]}
        cases.append(
            {"input": document["input"], "expected": _expected(document["input"], result, notes), "notes": notes}
        )
    version = subprocess.run(
        [str(python), "-c", "import importlib.metadata as m; print(m.version('gbstats'))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    payload = {
        "about": "Inputs of our own (bench/gbstats_cases.py, seeded) with the results gbstats computed on them; "
        "regenerate with `.venv/bin/python bench/gbstats_cases.py`.",
        "gbstats": version,
        "seed": options.seed,
        "left_out": left_out,
        "documents": cases,
    }
    options.out.parent.mkdir(parents=True, exist_ok=True)
    options.out.write_text(json.dumps(payload, indent=1) + "\n")
    metrics = sum(len(c["input"]["metrics"]) for c in cases)
    comparisons = sum(len(m["variations"]) - 1 for c in cases for m in c["input"]["metrics"])
    errors = sum(1 for c in cases for m in c["expected"].values() for v in m["variations"].values() if v["error"])
    print(
        json.dumps(
            {
                "out": str(options.out.relative_to(ROOT) if options.out.is_relative_to(ROOT) else options.out),
                "documents": len(cases),
                "left_out": left_out,
                "metrics": metrics,
                "comparisons": comparisons,
                "errored_comparisons": errors,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
