"""Where a planted value could still be: every column of every table, every stored file, any text. The seal tests
plant unique markers (world.marker) and look for them everywhere, so a leak is found wherever it hides."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from django.db import connection


def database_hits(tokens: Iterable[str], *, skip_tables: Iterable[str] = ()) -> list[str]:
    """`table: token` for every table whose rows contain one of the tokens anywhere (case-insensitive), reading
    raw rows so nothing a service might filter is missed."""
    wanted = [t.lower() for t in tokens if t]
    skipped = set(skip_tables)
    hits: list[str] = []
    with connection.cursor() as cursor:
        for table in sorted(connection.introspection.table_names(cursor)):
            if table in skipped:
                continue
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - names from introspection
            text = "\n".join(" ".join(str(v) for v in row) for row in cursor.fetchall()).lower()
            hits.extend(f"{table}: {token}" for token in wanted if token in text)
    return hits


def file_hits(root: str | os.PathLike, tokens: Iterable[str]) -> list[str]:
    """`path: token` for every file under `root` whose name or bytes contain one of the tokens."""
    wanted = [t for t in tokens if t]
    hits: list[str] = []
    base = Path(root)
    if not base.exists():
        return hits
    for path in sorted(p for p in base.rglob("*") if p.is_file()):
        data = path.read_bytes()
        for token in wanted:
            if token.encode() in data or token in str(path):
                hits.append(f"{path.relative_to(base)}: {token}")
    return hits


def text_hits(text: str, tokens: Iterable[str]) -> list[str]:
    lowered = text.lower()
    return [token for token in tokens if token and token.lower() in lowered]
