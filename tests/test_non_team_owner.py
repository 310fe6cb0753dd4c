"""A service owned by something that is not a team (imported from Backstage: `owner: user:default/guest`, documented
as allowed and flagged by the mandate checks) is listed and shown by the API and the CLI like any other."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

pytestmark = pytest.mark.django_db

JSON = "application/json"
DESCRIPTOR = """\
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: searcher
spec:
  type: service
  lifecycle: production
  owner: user:default/guest
"""


@pytest.fixture
def searcher(small_org, as_):
    response = as_("admin").post(
        "/api/v1/imports/backstage", {"files": {"catalog-info.yaml": DESCRIPTOR}}, content_type=JSON
    )
    assert response.status_code == 200, response.content
    listed = as_("admin").get("/api/v1/services?text=searcher")
    assert listed.status_code == 200, listed.content
    (service,) = listed.json()["items"]
    return service


def test_the_services_api_lists_and_shows_a_service_with_a_non_team_owner(searcher, as_):
    assert searcher["owner_team_id"] is None
    assert searcher["owner_ref"] == "user:default/guest"
    for handle in ("admin", "bob"):
        assert as_(handle).get("/api/v1/services").status_code == 200
        one = as_(handle).get(f"/api/v1/services/{searcher['id']}")
        assert (one.status_code, one.json()["owner_team_id"]) == (200, None)
        detail = as_(handle).get(f"/api/v1/services/{searcher['id']}/detail")
        assert (detail.status_code, detail.json()["service"]["name"]) == (200, "searcher")


def test_mech_services_show_prints_a_service_with_a_non_team_owner(searcher):
    from mechanisms.config.cli import app

    result = CliRunner().invoke(app, ["services", "show", "searcher", "--format", "json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["detail"]["service"]["name"], shown["owner_team"], shown["owner_ref"]) == (
        "searcher",
        None,
        "user:default/guest",
    )
    text = CliRunner().invoke(app, ["services", "show", "searcher"])
    assert text.exit_code == 0, text.output
    assert "user:default/guest" in text.output
