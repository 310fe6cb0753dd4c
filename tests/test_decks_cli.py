"""`mech decks ...`: list, show, build (text and --out files), comment, snapshot, snapshots, compare."""

from __future__ import annotations

import datetime as dt
import json

from typer.testing import CliRunner

from mechanisms.config.cli import app
from mechanisms.metrics.tests.test_decks_build import WEEK, deck  # noqa: F401 - the fixture

runner = CliRunner()


def mech(*args: str):
    return runner.invoke(app, list(args))


def test_a_deck_walked_through_the_cli(small_org, deck, tmp_path):  # noqa: F811
    assert "checkout" in mech("decks", "list", "--as", "gus").output
    assert "1. orders" in mech("decks", "show", "checkout", "--as", "gus").output
    built = mech("decks", "build", "checkout", "--week-ending", str(WEEK), "--as", "gus")
    assert built.exit_code == 0, built.output
    assert "Site visits: last week N/A" in built.output
    out = tmp_path / "deck.json"
    assert (
        mech("decks", "build", "checkout", "--week-ending", str(WEEK), "--out", str(out), "--as", "gus").exit_code == 0
    )
    assert json.loads(out.read_text())["metrics"]["visits"]["box"]["last_week"] is None
    pdf = tmp_path / "deck.pdf"
    assert (
        mech("decks", "build", "checkout", "--week-ending", str(WEEK), "--out", str(pdf), "--as", "gus").exit_code == 0
    )
    assert pdf.read_bytes().startswith(b"%PDF")
    assert mech("decks", "build", "checkout", "--out", "deck.xls", "--as", "gus").exit_code == 2
    assert mech("decks", "build", "checkout", "--week-ending", "nope", "--as", "gus").exit_code == 2
    wrong = mech("decks", "build", "checkout", "--week-ending", str(WEEK - dt.timedelta(days=1)), "--as", "gus")
    assert wrong.exit_code == 1 and "week_ending" in wrong.output

    said = mech("decks", "comment", "checkout", "orders", "Easter week", "--week-ending", str(WEEK), "--as", "bob")
    assert said.exit_code == 0, said.output
    refused = mech("decks", "comment", "checkout", "orders", "mine", "--week-ending", str(WEEK), "--as", "eve")
    assert refused.exit_code == 1
    earlier = str(WEEK - dt.timedelta(days=7))
    assert mech("decks", "snapshot", "checkout", "--week-ending", earlier, "--as", "bob").exit_code == 0
    assert mech("decks", "snapshot", "checkout", "--week-ending", str(WEEK), "--as", "bob").exit_code == 0
    assert str(WEEK) in mech("decks", "snapshots", "checkout", "--as", "gus").output
    cmp = mech("decks", "compare", "checkout", earlier, str(WEEK), "--as", "gus")
    assert cmp.exit_code == 0 and "Orders: changed" in cmp.output and "commentary" in cmp.output
