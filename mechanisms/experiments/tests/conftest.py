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


@pytest.fixture
def duckdb_warehouse(_own_data_connection):
    """The test's own "default" data connection (the root conftest gives every test one: an embedded DuckDB file in
    its tmp_path, created with the experiments' tables on first use). Returns the file's path; a test that needs the
    tables before any write calls `warehouse.create_tables("default")`."""
    return _own_data_connection
