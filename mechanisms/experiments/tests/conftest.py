"""The experiments tests' own set-up: each test starts with an empty assignment cache (SQLite reuses the ids a
rolled-back test used, so a cached experiment of the last test could otherwise answer for this one's)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_assignment_cache():
    from mechanisms.experiments import services

    services.forget_assignment_cache()
    yield
