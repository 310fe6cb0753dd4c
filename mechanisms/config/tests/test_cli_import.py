"""`mech import json`: a bad file is a located error (file, line, column), and a broken document reports every
problem of every phase (shape, org, catalog) in one run, changing nothing (issue 8, item 7)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from mechanisms.catalog import services as catalog_services
from mechanisms.config.cli import app
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.importing import ImportFailed
from mechanisms.workflows.catalog_io import import_everything

runner = CliRunner()


def test_a_file_with_invalid_utf8_is_a_located_error_not_a_traceback(tmp_path):
    bad = tmp_path / "export.json"
    bad.write_bytes(b'{"format": "mechanisms/v1",\n "people": [{"name": "caf\xe9"}]}\n')
    result = runner.invoke(app, ["import", "json", str(bad)])
    assert result.exit_code == 2
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert f"{bad}:2:26:" in result.output and "not UTF-8" in result.output and "byte offset 53" in result.output


BROKEN = {
    "format": "mechanisms/v1",
    # shape phase: a person that is not an object
    "people": ["not a person", {"handle": "ann", "name": "Ann Lee", "email": "ann@acme.test"}],
    # org phase: a unit whose parent does not exist
    "org_units": [{"slug": "retail", "name": "Retail", "kind": "org", "parent": "nowhere"}],
    "teams": [{"slug": "checkout", "name": "Checkout", "org_unit": "retail", "charter": "Checkout for shoppers."}],
    # catalog phase: an interface of an unknown service; the service owned by a team of this same document
    "services": [{"name": "checkout-api", "owner_team": "checkout"}],
    "interfaces": [{"name": "cart-http", "service": "no-such-service"}],
}


@pytest.mark.django_db
def test_a_broken_document_reports_the_problems_of_every_phase_in_one_run():
    with pytest.raises(ImportFailed) as failed:
        import_everything(actor=Actor.system("test"), document=BROKEN)
    sources = [p.source for p in failed.value.problems]
    assert any(s.startswith("people[0]") for s in sources), sources  # shape
    assert any(s.startswith("org_units[0]") for s in sources), sources  # org
    assert any(s.startswith("interfaces[0]") for s in sources), sources  # catalog
    # The team of this document is known to the catalog phase although the org phase wrote nothing.
    assert not any(s.startswith("services[0]") for s in sources), failed.value.problems
    assert catalog_services.catalog_counts(actor=Actor.system("test")).services == 0


@pytest.mark.django_db
def test_mech_import_json_prints_every_problem_and_exits_1(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(BROKEN))
    result = runner.invoke(app, ["import", "json", str(path)])
    assert result.exit_code == 1, result.output
    for where in ("people[0]", "org_units[0]", "interfaces[0]"):
        assert where in result.output, result.output
