"""Helpers for CLI entry points: Django set-up on demand, output as text or JSON, errors to exit codes.

Offline commands (`mech check`) never call `setup_django()`, so they start fast.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

EXIT_OK, EXIT_FAILURE, EXIT_USAGE = 0, 1, 2


class Format(enum.StrEnum):
    text = "text"
    json = "json"


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mechanisms.config.settings")
    import django

    django.setup()


def migrate(verbosity: int = 0) -> None:
    """Bring the database schema up to date (idempotent; fast when nothing is pending)."""
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=verbosity)


def to_jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), indent=2, ensure_ascii=False) + "\n")


EMPTY_CELL = "-"  # what the pages show as a dash: a value that is not there (never "None", never a blank)


def emit_table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], footer: str = "") -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*[EMPTY_CELL if v is None else str(v) for v in row])
    console = Console()
    console.print(table)
    if footer:
        console.print(footer, style="dim")


def fail(message: str, code: int = EXIT_FAILURE) -> None:
    """Print an error to stderr and exit with `code` (1 failure, 2 usage or unreadable input)."""
    sys.stderr.write(f"error: {message}\n")
    raise SystemExit(code)


def run(fn: Callable[[], Any]) -> Any:
    """Call a service; a domain error becomes a message naming the field and exit code 1."""
    from mechanisms.kernel.errors import DomainError

    try:
        return fn()
    except DomainError as exc:
        where = f" ({exc.field})" if exc.field else ""
        lines = [f"{exc.message}{where}"]
        problems = exc.details.get("problems") if isinstance(exc.details, dict) else None
        for p in problems or []:
            parts = [p.get("source") or "", p.get("entity") or "", p.get("field") or ""]
            lines.append("  " + ": ".join(x for x in parts if x) + f": {p.get('message')}")
        fail("\n".join(lines))


def page_footer(page) -> str:
    shown = f"{page.offset + 1}-{page.offset + len(page.items)}" if page.items else "0"
    more = f"; next: --offset {page.next_offset}" if page.next_offset is not None else ""
    return f"{shown} of {page.total}{more}"
