"""`mech bar-raisers list|show|add|update|assignments|check` (MECHANISMS.md §4): shapes, exit codes, errors naming
the option or field."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechanisms.bar_raisers import services as br
from mechanisms.bar_raisers.cli import bar_raisers
from mechanisms.bar_raisers.contracts import Subject, SubjectKind
from mechanisms.kernel.actor import Actor

runner = CliRunner()
pytestmark = pytest.mark.django_db
SYSTEM = Actor.system("test")


def mech(*args: str):
    return runner.invoke(bar_raisers, list(args))


def test_add_show_update_and_list_the_pool(small_org):
    added = mech("add", "eve", "--trained-on", "2024-05-01", "--trainer", "hal", "--capacity", "4", "--format", "json")
    assert added.exit_code == 0, added.output
    assert (json.loads(added.output)["trainer_handle"], json.loads(added.output)["capacity"]) == ("hal", 4)
    shown = mech("show", "eve", "--format", "json")
    assert json.loads(shown.output)["member"]["version"] == 1
    updated = mech("update", "eve", "--version", "1", "--inactive", "--no-trainer")
    assert updated.exit_code == 0 and "version 2" in updated.output
    listed = json.loads(mech("list", "--inactive", "--format", "json").output)
    assert [(m["handle"], m["trainer_id"]) for m in listed["items"]] == [("eve", None)]
    text = mech("list")
    assert text.exit_code == 0 and "hal" in text.output and "0/3" in text.output


def test_a_refused_change_exits_1_naming_the_rule_and_changes_nothing(small_org):
    refused = mech("add", "eve", "--trained-on", "2024-05-01", "--as", "hal")
    assert refused.exit_code == 1 and "company-wide leadership" in refused.output
    bad = mech("add", "eve", "--trained-on", "2024-05-01", "--capacity", "50")
    assert bad.exit_code == 1 and "(capacity)" in bad.output
    stale = mech("update", "hal", "--version", "7", "--capacity", "1")
    assert stale.exit_code == 1 and "(version)" in stale.output
    assert br.pool_ids(actor=SYSTEM, active_only=False) == {small_org.people["hal"].id}


def test_a_bad_date_is_a_usage_error(small_org):
    result = mech("add", "eve", "--trained-on", "last spring")
    assert result.exit_code == 2 and "--trained-on" in result.output


def test_assignments_are_shown_to_the_bar_raiser_only(small_org):
    br.assign(actor=SYSTEM, subject=Subject(kind=SubjectKind.DESIGN, id=3, title="x", owner_id=None))
    mine = mech("assignments", "hal", "--as", "hal", "--format", "json")
    assert mine.exit_code == 0 and json.loads(mine.output)["items"][0]["subject_id"] == 3
    assert mech("assignments", "hal", "--as", "eve").exit_code == 1


def test_check_exits_1_when_not_independent(small_org):
    ok = mech("check", "hal", "--owner", "bob", "--team", "checkout", "--kind", "hiring_loop")
    assert ok.exit_code == 0 and "hal is independent" in ok.output
    dependent = mech("check", "vp-retail", "--owner", "bob", "--kind", "hiring_loop", "--format", "json")
    assert dependent.exit_code == 1
    assert json.loads(dependent.output)["problem"] == "vp-retail is above the hiring manager in the management chain"
    assert mech("check", "eve", "--team", "payments").output.strip() == "not independent: eve is on team payments"
    assert mech("check", "hal", "--kind", "astrology").exit_code == 2
