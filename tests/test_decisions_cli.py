"""`mech decisions ...`: a decision walked through the CLI (new, stance, decide, outcome, track record), MADR import
and export of a folder, and the offline `check` (no Django set up; exit 1 naming the line and field)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mechanisms.config.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]

RECORD = '# Use tabs\n\n## Considered Options\n\n* Tabs\n* Spaces\n\n## Decision Outcome\n\nChosen option: "Tabs".\n'


def mech(*args: str):
    return runner.invoke(app, list(args))


@pytest.mark.django_db
def test_a_decision_walked_through_the_cli(small_org):
    made = mech(
        "decisions", "new", "--question", "Tabs or spaces?", "--option", "Tabs", "--option", "Spaces",
        "--participant", "bob", "--as", "ann", "--format", "json",
    )  # fmt: skip
    assert made.exit_code == 0, made.output
    d = json.loads(made.output)
    refused = mech("decisions", "stance", str(d["number"]), "--stance", "disagree_and_commit", "--as", "bob")
    assert refused.exit_code == 1 and "new information" in refused.output
    signed = mech(
        "decisions", "stance", str(d["number"]), "--stance", "disagree_and_commit",
        "--new-information", "Spaces render the same everywhere", "--as", "bob",
    )  # fmt: skip
    assert signed.exit_code == 0, signed.output
    decided = mech(
        "decisions", "decide", str(d["id"]), "--version", str(d["version"]), "--chosen-option", "1",
        "--decision", "Tabs.", "--as", "ann", "--format", "json",
    )  # fmt: skip
    assert decided.exit_code == 0, decided.output
    version = json.loads(decided.output)["version"]
    reviewed = mech(
        "decisions", "outcome", str(d["number"]), "--outcome", "right", "--version", str(version), "--as", "ann"
    )
    assert reviewed.exit_code == 0, reviewed.output
    record = json.loads(mech("decisions", "track-record", "--format", "json").output)
    assert record[0]["right"] == 1 and record[0]["right_share"] == 1.0


@pytest.mark.django_db
def test_a_folder_of_madr_files_imports_and_exports(small_org, tmp_path):
    source, target = tmp_path / "in", tmp_path / "out"
    source.mkdir()
    (source / "0007-use-tabs.md").write_text(RECORD, encoding="utf-8")
    imported = mech("decisions", "import", str(source), "--owner", "ann")
    assert imported.exit_code == 0, imported.output
    exported = mech("decisions", "export", str(target))
    assert exported.exit_code == 0, exported.output
    (written,) = target.glob("*.md")
    assert written.read_text(encoding="utf-8") == RECORD
    (source / "0008-bad.md").write_text("no title\n", encoding="utf-8")
    bad = mech("decisions", "import", str(source), "--owner", "ann")
    assert bad.exit_code == 1 and "0008-bad.md, line 1: title" in bad.output


def _check(path: Path) -> subprocess.CompletedProcess[str]:
    # Asserts in the same process that nothing set Django up: the offline check starts fast.
    code = (
        "import sys; from mechanisms.config.cli import app\n"
        "try:\n    app(['decisions', 'check', sys.argv[1], '--format', 'json'])\n"
        "finally:\n    assert 'django.db.models' not in sys.modules, 'check set Django up'\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_check_reads_a_file_offline(tmp_path):
    good = tmp_path / "0007-use-tabs.md"
    good.write_text(RECORD, encoding="utf-8")
    done = _check(good)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert (report["title"], report["chosen_option"], report["options"]) == ("Use tabs", "Tabs", ["Tabs", "Spaces"])
    bad = tmp_path / "bad.md"
    bad.write_text(RECORD.replace('"Tabs"', '"Emacs"'), encoding="utf-8")
    refused = _check(bad)
    assert refused.returncode == 1
    assert f"{bad}:10: chosen_option:" in refused.stderr
