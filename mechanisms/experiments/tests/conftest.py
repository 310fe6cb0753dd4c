"""The experiments tests' own set-up: each test starts with an empty assignment cache (SQLite reuses the ids a
rolled-back test used, so a cached experiment of the last test could otherwise answer for this one's), and each
test has its own data connection."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _fresh_assignment_cache():
    from mechanisms.experiments import services

    services.forget_assignment_cache()
    yield


@pytest.fixture(autouse=True)
def duckdb_warehouse(tmp_path, settings):
    """Every experiments test gets its own data connection: "default" is an embedded DuckDB file in the test's
    tmp_path (created, with the experiments' tables, on first use), so tests running in parallel never share the
    product's var/metrics.duckdb. Returns the file's path; a test that needs the tables before any write calls
    `warehouse.create_tables("default")`."""
    path = tmp_path / "warehouse.duckdb"
    settings.MECH_METRICS_CONNECTIONS = {"default": {"engine": "duckdb", "path": str(path)}}
    return path
