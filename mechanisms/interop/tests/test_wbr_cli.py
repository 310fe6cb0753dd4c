"""`mech wbr build`: outputs by suffix, the box table, exit 2 naming file, line and field with no output written,
and no Django on its path (one subprocess)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from mechanisms.interop import wbr_cli
from mechanisms.interop.wbr_cli import run_build

from .test_wbr import CONFIG_1, CONFIG_2, DATA_1, DATA_2

pytestmark = pytest.mark.skipif(not CONFIG_1.exists(), reason="wbr-app's sample files are not here")


def build(*args, **options) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_build(*args, stdout=out, stderr=err, **options)
    return code, out.getvalue(), err.getvalue()


def test_html_is_one_self_contained_file_with_the_decks_blocks(tmp_path):
    target = tmp_path / "deck.html"
    code, out, err = build(str(CONFIG_1), str(DATA_1), out=str(target))
    assert code == 0, err
    html = target.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert "<script" not in html and "http://" not in html.replace("http://www.w3.org", "")
    assert "Ad Impressions (Millions)" in html  # a one-metric chart's title labels its row
    assert "PercentageCustomerGroupRed" not in html  # in no block: computed for the JSON, not drawn
    assert html.index("Ad Impressions") < html.index("Click Through Rate")
    assert "week ending 2021-09-25" in out
    assert "namespaced columns" in err


def test_pdf(tmp_path):
    target = tmp_path / "deck.pdf"
    code, _, err = build(str(CONFIG_2), str(DATA_2), out=str(target))
    assert code == 0, err
    assert target.read_bytes().startswith(b"%PDF")


def test_text_box_without_out_and_json_with_format():
    code, out, err = build(str(CONFIG_2), str(DATA_2))
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("ApplicantsEngineering"))
    assert line.split()[1:4] == ["41", "-14.58%", "+95.24%"]
    assert "week_number: 38 is not the week the dates give (8" in err  # the config says 38 for 26-Feb-2022
    code, out, _ = build(str(CONFIG_2), str(DATA_2), output_format="json")
    data = json.loads(out)
    assert data["metrics"]["ApplicantsEngineering"]["box"]["last_week"] == 41
    assert data["week_number"] == 8


def test_week_ending_option():
    code, out, _ = build(str(CONFIG_1), str(DATA_1), week_ending="2021-09-18", output_format="json")
    assert code == 0 and json.loads(out)["week_ending"] == "2021-09-18"
    code, _, err = build(str(CONFIG_1), str(DATA_1), week_ending="18/09/2021")
    assert code == 2 and "--week-ending" in err


def test_unreadable_input_is_exit_2_with_file_line_field_and_writes_nothing(tmp_path):
    config = tmp_path / "deck.yaml"
    config.write_text(CONFIG_2.read_text().replace("aggf: sum", "aggf: total", 1))
    for suffix in ("json", "html", "pdf"):
        target = tmp_path / f"deck.{suffix}"
        code, out, err = build(str(config), str(DATA_2), out=str(target))
        assert code == 2
        assert err.startswith(f"{config}:23: metrics.ApplicantsEngineering.aggf: 'total' is not sum")
        assert not target.exists() and list(tmp_path.iterdir()) == [config]
    data = tmp_path / "data.csv"
    data.write_text(DATA_2.read_text(encoding="utf-8-sig").replace("1/3/2020,3,", "1/3/2020,three,", 1))
    code, _, err = build(str(CONFIG_2), str(data), out=str(tmp_path / "deck.json"))
    assert code == 2 and err.startswith(f"{data}:8: Applicants: 'three' is not a number")
    assert not (tmp_path / "deck.json").exists()
    code, _, err = build(str(tmp_path / "nope.yaml"), str(DATA_2))
    assert code == 2 and "nope.yaml:0: file:" in err
    code, _, err = build(str(CONFIG_2), str(DATA_2), out=str(tmp_path / "deck.svg"))
    assert code == 2 and "--out" in err


def test_the_typer_group_mounted_by_mech():
    runner = CliRunner()
    result = runner.invoke(wbr_cli.wbr, ["build", str(CONFIG_2), str(DATA_2), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert '"ApplicantsEngineering"' in result.output


def test_mech_wbr_build_runs_offline_without_django(tmp_path):
    target = tmp_path / "deck.json"
    probe = (
        "import sys\n"
        "sys.argv = ['mech', 'wbr', 'build', sys.argv[1], sys.argv[2], '--out', sys.argv[3]]\n"
        "import atexit, os\n"
        "from mechanisms.config import launcher\n"
        "_exit = os._exit\n"
        "def check(code):\n"
        "    sys.stderr.write('DJANGO=%s TYPER=%s\\n' % ('django' in sys.modules, 'typer' in sys.modules))\n"
        "    sys.stderr.flush()\n"
        "    _exit(code)\n"
        "os._exit = check\n"
        "launcher.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(CONFIG_1), str(DATA_1), str(target)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "DJANGO=False TYPER=False" in done.stderr
    assert json.loads(target.read_text())["metrics"]["Impressions"]["box"]["last_week"] == 4460710
