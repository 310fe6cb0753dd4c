"""Fixtures of the hiring tests. `world`: every role a loop knows and a loop in every phase (tests/world.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def world(small_org, settings, tmp_path):
    """The seal world (hiring/tests/world.py), with résumés stored under this test's own media folder."""
    from .world import build_world

    settings.MEDIA_ROOT = str(tmp_path / "media")
    return build_world(small_org)
