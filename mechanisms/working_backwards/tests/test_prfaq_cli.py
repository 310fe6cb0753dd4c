"""`mech prfaqs`: the offline check of a Markdown file, and the server commands through the services."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechanisms.working_backwards.cli import prfaqs
from mechanisms.working_backwards.contracts import PRFAQ_PARTS

from .conftest import GOOD_PRFAQ

runner = CliRunner()


def _markdown(parts: dict[str, str]) -> str:
    labels = {p.key: p.label for p in PRFAQ_PARTS}
    return "# A PR/FAQ\n\n" + "\n\n".join(f"## {labels[k]}\n\n{v}" for k, v in parts.items())


def test_check_reads_a_markdown_file_offline_and_exits_one_on_a_missing_core_paragraph(tmp_path):
    good = tmp_path / "good.md"
    good.write_text(_markdown(GOOD_PRFAQ))
    result = runner.invoke(prfaqs, ["check", str(good), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["ok"] is True
    bad = tmp_path / "bad.md"
    bad.write_text(_markdown({k: v for k, v in GOOD_PRFAQ.items() if k != "problem"}))
    result = runner.invoke(prfaqs, ["check", str(bad), "--format", "json"])
    assert result.exit_code == 1
    assert [f["part"] for f in json.loads(result.output)["findings"] if f["severity"] == "error"] == ["problem"]


def test_check_names_a_heading_that_is_no_part(tmp_path):
    odd = tmp_path / "odd.md"
    odd.write_text("## Headline\nx\n\n## Pricing\ny\n")
    result = runner.invoke(prfaqs, ["check", str(odd)])
    assert result.exit_code == 2
    assert "Pricing" in result.output


@pytest.mark.django_db
def test_new_members_submit_and_list_through_the_cli(small_org, tmp_path):
    source = tmp_path / "prfaq.md"
    source.write_text(_markdown(GOOD_PRFAQ))
    made = runner.invoke(
        prfaqs,
        ["new", "--title", "Pay Later", "--team", "checkout", "--file", str(source), "--as", "bob", "--format", "json"],
    )
    assert made.exit_code == 0, made.output
    prfaq = json.loads(made.output)
    named = runner.invoke(
        prfaqs,
        [
            "members",
            str(prfaq["id"]),
            "--circle",
            "2",
            "--reviewers",
            "cat",
            "--readers",
            "eve",
            "--version",
            "1",
            "--as",
            "bob",
        ],
    )
    assert named.exit_code == 0, named.output
    refused = runner.invoke(prfaqs, ["submit", str(prfaq["id"]), "--version", "2", "--as", "cat"])
    assert refused.exit_code == 1  # cat cannot even see the draft: not found
    submitted = runner.invoke(prfaqs, ["submit", str(prfaq["id"]), "--version", "2", "--as", "bob"])
    assert submitted.exit_code == 0, submitted.output
    listed = runner.invoke(prfaqs, ["list", "--as", "eve", "--format", "json"])
    assert [p["id"] for p in json.loads(listed.output)["items"]] == [prfaq["id"]]
    shown = runner.invoke(prfaqs, ["show", str(prfaq["id"]), "--as", "eve"])
    assert shown.exit_code == 0 and "## The customer" in shown.output and "Maria runs a bicycle" in shown.output
    outsider = runner.invoke(prfaqs, ["show", str(prfaq["id"]), "--as", "ann"])
    assert outsider.exit_code == 1 and "does not exist" in outsider.output
