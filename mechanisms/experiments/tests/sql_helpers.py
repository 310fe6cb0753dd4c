"""Helpers of the SQL and events tests."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Iterator

HOLD = "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('held', flush=True); sys.stdin.read()"


@contextlib.contextmanager
def held_by_another_process(path) -> Iterator[None]:
    """Another process holds the DuckDB file read-write (as a second server or a person's shell would) until the
    block ends."""
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
