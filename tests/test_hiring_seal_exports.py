"""Hiring content never leaves through config's doors (issue 10, deliverable 7; sealing.md §2): the JSON export
(API and `mech export json`), the Backstage export, and the Django admin, which is not mounted at all. The world
is the seal tests' own (mechanisms/hiring/tests/world.py): a loop in every phase, every personal value a unique
marker."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mechanisms.config.cli import app as mech
from mechanisms.hiring.tests.scan import text_hits
from mechanisms.hiring.tests.world import build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(small_org, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world(small_org)


def _hiring_text(world) -> list[str]:
    """Every marker planted about a candidate or written in their loop, and the openings' titles."""
    tokens = [token for entry in world.loops.values() for token in entry.tokens.values()]
    return [*tokens, world.opening.title, world.other_opening.title]


def test_the_json_export_carries_no_hiring_content(world, as_):
    response = as_("admin").get("/api/v1/exports/json")
    assert response.status_code == 200
    assert text_hits(response.content.decode(), _hiring_text(world)) == []
    result = CliRunner().invoke(mech, ["export", "json"])
    assert result.exit_code == 0, result.output
    assert text_hits(result.output, _hiring_text(world)) == []


def test_the_backstage_export_carries_no_hiring_content(world, tmp_path):
    folder = tmp_path / "backstage"
    result = CliRunner().invoke(mech, ["export", "backstage", str(folder)])
    assert result.exit_code == 0, result.output
    written = [p for p in folder.rglob("*") if p.is_file()]
    assert written, "the export wrote the catalog"
    assert text_hits("\n".join(p.read_text() for p in written), _hiring_text(world)) == []


def test_the_django_admin_is_not_mounted(world, client):
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="admin"))
    for path in ("/admin/", "/admin/hiring/feedback/", "/admin/hiring/candidate/", "/admin/login/"):
        assert client.get(path).status_code == 404, path
