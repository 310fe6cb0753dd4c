"""The hiring CLI: openings and their transitions, candidates for insiders only, résumés, erasure, health."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechanisms.hiring.cli import hiring

from .conftest import JD

pytestmark = pytest.mark.django_db
runner = CliRunner()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_principles_are_listed(hiring_org):
    result = runner.invoke(hiring, ["principles", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert len(json.loads(result.output)) == 16


def test_an_opening_is_created_and_opened_from_the_command_line(hiring_org, tmp_path):
    jd = tmp_path / "jd.md"
    jd.write_text(JD)
    created = runner.invoke(
        hiring,
        [
            "opening",
            "create",
            "--title",
            "SDE",
            "--team",
            "checkout",
            "--hiring-manager",
            "ann",
            "--level",
            "L5",
            "--jd-file",
            str(jd),
            "--principles",
            "ownership,dive-deep",
            "--as",
            "ann",
            "--format",
            "json",
        ],
    )
    assert created.exit_code == 0, created.output
    opening = json.loads(created.output)
    refused = runner.invoke(hiring, ["opening", "open", str(opening["id"]), "--version", "1", "--as", "bob"])
    assert refused.exit_code == 1 and "only" in refused.output
    opened = runner.invoke(hiring, ["opening", "open", str(opening["id"]), "--version", "1", "--as", "ann"])
    assert opened.exit_code == 0 and "[open]" in opened.output
    listed = runner.invoke(hiring, ["openings", "--state", "open"])
    assert "SDE" in listed.output


def test_candidates_are_shown_to_insiders_only(hiring_org, make_candidate):
    candidate = make_candidate()
    shown = runner.invoke(hiring, ["candidate", "show", str(candidate.id), "--as", "ann"])
    assert shown.exit_code == 0 and "Jo Quinn" in shown.output
    for acting in (["--as", "bob"], []):  # a non-insider, and the product itself
        hidden = runner.invoke(hiring, ["candidate", "show", str(candidate.id), *acting])
        assert hidden.exit_code == 1 and "does not exist" in hidden.output
        listed = runner.invoke(hiring, ["candidates", "--format", "json", *acting])
        assert json.loads(listed.output)["total"] == 0


def test_a_resume_is_uploaded_and_downloaded_by_insiders(hiring_org, make_candidate, tmp_path):
    candidate = make_candidate()
    cv = tmp_path / "cv.txt"
    cv.write_text("Jo Quinn, engineer")
    up = runner.invoke(hiring, ["resume", "upload", str(candidate.id), str(cv), "--version", "1", "--as", "rex"])
    assert up.exit_code == 0, up.output
    out = tmp_path / "out.txt"
    down = runner.invoke(hiring, ["resume", "download", str(candidate.id), "--out", str(out), "--as", "ann"])
    assert down.exit_code == 0 and out.read_text() == "Jo Quinn, engineer"
    hidden = runner.invoke(hiring, ["resume", "download", str(candidate.id), "--out", str(out), "--as", "fay"])
    assert hidden.exit_code == 1


def test_erase_from_the_command_line(hiring_org, make_candidate):
    candidate = make_candidate()
    erased = runner.invoke(hiring, ["erase", str(candidate.id), "--reason", "asked", "--as", "rex"])
    assert erased.exit_code == 0 and f"Erased candidate #{candidate.id}" in erased.output


def test_health_from_the_command_line(hiring_org):
    assert runner.invoke(hiring, ["health"]).exit_code == 0  # the product itself, an operator
    refused = runner.invoke(hiring, ["health", "--as", "bob"])
    assert refused.exit_code == 1 and "only" in refused.output
    assert runner.invoke(hiring, ["health", "--since", "yesterday"]).exit_code == 2
