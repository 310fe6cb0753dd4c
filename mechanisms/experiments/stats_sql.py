"""Pure: the one SQL query per metric that computes the per-variation sufficient statistics where the data lives,
written once, portable to DuckDB, PostgreSQL and warehouse dialects (SQL part)."""

from __future__ import annotations
