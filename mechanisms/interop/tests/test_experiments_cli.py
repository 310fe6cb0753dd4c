"""`mech experiments analyze`: the table and the JSON, bad input refused naming the file, line and field (exit 2,
nothing on stdout), the command on the experiments group, and no Django or Typer on its path (one subprocess)."""

from __future__ import annotations

import copy
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mechanisms.interop.experiments_cli import run_analyze
from mechanisms.interop.experiments_json import line_of, positions

STATS = {
    "alpha": 0.05,
    "engine": "frequentist",
    "difference": "relative",
    "metrics": [
        {
            "name": "conversion",
            "statistic": "proportion",
            "cuped": False,
            "variations": [
                {"name": "control", "weight": 0.5, "n": 10000, "sum": 1000, "sum_squares": 1000},
                {"name": "B", "weight": 0.5, "n": 10050, "sum": 1100, "sum_squares": 1100},
            ],
        },
        {
            "name": "latency",
            "statistic": "mean",
            "cuped": False,
            "inverse": True,
            "variations": [
                {"name": "control", "weight": 0.5, "n": 1000, "sum": 250000.0, "sum_squares": 72500000.0},
                {"name": "B", "weight": 0.5, "n": 1000, "sum": 250000.0, "sum_squares": 62500000.0},
            ],
        },
    ],
}


def analyze(tmp_path, document, *options: str, raw: str | None = None) -> tuple[int, str, str]:
    path = tmp_path / "stats.json"
    path.write_text(raw if raw is not None else json.dumps(document, indent=2))
    out, err = io.StringIO(), io.StringIO()
    code = run_analyze(str(path), stdout=out, stderr=err, **dict(zip(options[::2], options[1::2], strict=True)))
    return code, out.getvalue(), err.getvalue()


def test_text_is_a_table_per_metric_with_its_srm_line_and_sentences(tmp_path):
    code, out, err = analyze(tmp_path, STATS)
    assert code == 0, err
    assert "SRM: p = 0.7240: units 10,000 / 10,050 match the weights 0.5 / 0.5" in out
    row = next(line for line in out.splitlines() if line.startswith("B ") and "10,050" in line)
    assert row.split()[3:] == ["+9.45%", "*", "[+0.58%,", "+18.32%]", "0.0367"]
    assert "latency (mean, lower is better)" in out
    # the treatment's values are all 250 (zero variance): no estimate, named
    assert "no estimate: ZERO_NEGATIVE_VARIANCE" in out
    assert "B raised conversion by 9.5% (95% CI 0.58% to 18.3%)" in out


def test_json_has_the_issues_keys_with_the_srm_flag(tmp_path):
    document = copy.deepcopy(STATS)
    document["metrics"][0]["variations"][1]["n"] = 11000  # 10,000 against 11,000 for a 50/50 split
    code, out, _ = analyze(tmp_path, document, "output_format", "json")
    assert code == 0
    payload = json.loads(out)
    conversion = payload["metrics"]["conversion"]
    assert conversion["srm_p"] < 0.001 and conversion["srm"] is True
    b = conversion["variations"]["B"]
    assert {"lift", "ci", "p_value", "chance_to_win", "risk", "error"} <= set(b)
    assert b["chance_to_win"] is None and b["risk"] is None and b["error"] is None
    latency = payload["metrics"]["latency"]["variations"]["B"]
    assert latency["error"] == "ZERO_NEGATIVE_VARIANCE" and latency["lift"] is None and latency["ci"] is None
    assert payload["engine_version"]
    code, out, _ = analyze(tmp_path, document)
    assert "do not trust these results" in out


def test_bayesian_with_a_prior_and_holm_on_frequentist(tmp_path):
    document = copy.deepcopy(STATS)
    document.update(engine="bayesian", prior={"mean": 0, "stddev": 0.3}, sequential_tuning=1000)
    code, out, err = analyze(tmp_path, document, "output_format", "json")
    assert code == 0
    b = json.loads(out)["metrics"]["conversion"]["variations"]["B"]
    assert b["p_value"] is None and 0.5 < b["chance_to_win"] < 1 and len(b["risk"]) == 2
    assert "sequential_tuning: only the sequential engine uses it" in err
    document = copy.deepcopy(STATS)
    document["correction"] = "holm"
    code, out, _ = analyze(tmp_path, document)
    assert code == 0 and "adjusted" in out


BAD = [
    # (change, field, line of the field in the indent=2 dump, words)
    (
        lambda d: d["metrics"][1]["variations"][1].update(sum_squares=1.0),
        "metrics[1].variations[1].sum_squares",
        45,
        "cannot be below sum^2/n",
    ),
    (lambda d: d["metrics"][1]["variations"][0].update(n=-1), "metrics[1].variations[0].n", 36, "negative"),
    (lambda d: d["metrics"][1]["variations"][0].update(n=10.5), "metrics[1].variations[0].n", 36, "whole number"),
    (lambda d: d["metrics"][0]["variations"][0].update(weight=0.6), "metrics[0].variations", 10, "sum to 1.1"),
    (lambda d: d["metrics"][0].update(colour="red"), "metrics[0].colour", 26, "unknown key 'colour'"),
    (lambda d: d.update(engine="frequentism"), "engine", 3, "must be one of"),
    (lambda d: d["metrics"][0]["variations"][1].pop("sum"), "metrics[0].variations[1].sum", 18, "required"),
    (
        lambda d: d["metrics"][0]["variations"][1].update(sum=20000, sum_squares=20000),
        "metrics[0].variations[1].sum",
        22,
        "from 0 to n",
    ),
    (lambda d: d["metrics"][1].update(statistic="ratio"), "metrics[1].variations[0].m_sum", 33, "required"),
]


@pytest.mark.parametrize(("change", "field", "line", "words"), BAD, ids=[f"{b[1]}-{b[3]}" for b in BAD])
def test_bad_statistics_are_refused_naming_file_line_and_field(tmp_path, change, field, line, words):
    document = copy.deepcopy(STATS)
    change(document)
    code, out, err = analyze(tmp_path, document)
    assert code == 2 and out == ""
    assert err.startswith(f"{tmp_path / 'stats.json'}:{line}: {field}: "), err
    assert words in err


def test_unreadable_files_exit_2_naming_the_file(tmp_path):
    code, out, err = analyze(tmp_path, None, raw='{"alpha": 0.05,\n "metrics": [}\n')
    assert code == 2 and out == "" and f"{tmp_path / 'stats.json'}:2: not JSON" in err
    code, _, err = analyze(tmp_path, None, raw='{"alpha": NaN, "metrics": []}')
    assert code == 2 and "stats.json:1: alpha: alpha must be a finite number" in err
    err_stream = io.StringIO()
    assert run_analyze(str(tmp_path / "missing.json"), stderr=err_stream) == 2
    assert "missing.json: cannot read: No such file or directory" in err_stream.getvalue()
    code, _, err = analyze(tmp_path, STATS, "output_format", "yaml")
    assert code == 2 and "--format must be text or json" in err


def test_the_locator_finds_nested_fields_and_falls_back_to_the_enclosing_object():
    text = '{\n "a": [\n  {"b": 1,\n   "c": {"d": [true, null]}},\n  2\n ],\n "e": "x\\"y"\n}'
    found = positions(text)
    assert text[found["a[0].c.d[1]"] :].startswith("null")
    assert line_of(text, "a[0].c.d[1]") == 4
    assert line_of(text, "a[1]") == 5
    assert line_of(text, "e") == 7
    assert line_of(text, "a[0].missing") == 3  # a missing key: the object it is missing from
    assert line_of(text, "") == 1
    assert line_of("not json", "a") == 0


def test_typer_runs_the_command_and_mech_experiments_lists_it(tmp_path):
    import typer

    from mechanisms.interop import experiments_cli

    group = typer.Typer()
    group.callback()(lambda: None)
    group.command("analyze")(experiments_cli.analyze)
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(STATS))
    result = CliRunner().invoke(group, ["analyze", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert "conversion" in json.loads(result.output)["metrics"]
    assert CliRunner().invoke(group, ["analyze", str(tmp_path / "missing.json")]).exit_code == 2
    # config mounts it on the experiments group (interop may not import config: the real `mech`, in a process)
    command = [sys.executable, "-m", "mechanisms.config.launcher", "experiments", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "analyze" in done.stdout


def test_mech_experiments_analyze_runs_offline_without_django_or_typer(tmp_path):
    path = tmp_path / "stats.json"
    path.write_text(json.dumps(STATS))
    probe = (
        "import sys, os\n"
        "sys.argv = ['mech', 'experiments', 'analyze', sys.argv[1], '--format', 'json']\n"
        "from mechanisms.config import launcher\n"
        "_exit = os._exit\n"
        "def check(code):\n"
        "    sys.stderr.write('DJANGO=%s TYPER=%s\\n' % ('django' in sys.modules, 'typer' in sys.modules))\n"
        "    sys.stderr.flush()\n"
        "    _exit(code)\n"
        "os._exit = check\n"
        "launcher.main()\n"
    )
    done = subprocess.run([sys.executable, "-c", probe, str(path)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "DJANGO=False TYPER=False" in done.stderr
    assert json.loads(done.stdout)["metrics"]["conversion"]["variations"]["B"]["p_value"] > 0
