"""Shared shapes of all-or-nothing imports: every problem located, a report of what changed."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from .errors import RuleViolation


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One problem in an import: where (file:line or section[index]), which entity, which field, what."""

    source: str
    field: str | None
    message: str
    entity: str | None = None

    def __str__(self) -> str:
        parts = [self.source]
        if self.entity:
            parts.append(self.entity)
        if self.field:
            parts.append(self.field)
        return ": ".join(parts) + f": {self.message}"


class ImportFailed(RuleViolation):
    """An import that changed nothing because of these problems (all of them, not only the first)."""

    code = "import_failed"

    def __init__(self, problems: list[ImportProblem]) -> None:
        first = problems[0] if problems else None
        super().__init__(
            f"{len(problems)} problem(s); nothing was imported. First: {first}",
            field=first.field if first else None,
            details={
                "field": first.field if first else None,
                "problems": [
                    {"source": p.source, "entity": p.entity, "field": p.field, "message": p.message} for p in problems
                ],
            },
        )
        self.problems = problems


@dataclass
class ImportReport:
    """Counts per kind of what an import created, updated and left alone; what the source no longer has."""

    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    missing: dict[str, list[str]] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def count(self, kind: str, *, created: int, updated: int, unchanged: int) -> None:
        self.created[kind] = self.created.get(kind, 0) + created
        self.updated[kind] = self.updated.get(kind, 0) + updated
        self.unchanged[kind] = self.unchanged.get(kind, 0) + unchanged

    @property
    def changed_anything(self) -> bool:
        return any(n for counts in (self.created, self.updated, self.removed) for n in counts.values())

    def merge(self, other: ImportReport) -> ImportReport:
        for mine, theirs in (
            (self.created, other.created),
            (self.updated, other.updated),
            (self.unchanged, other.unchanged),
            (self.removed, other.removed),
        ):
            for k, v in theirs.items():
                mine[k] = mine.get(k, 0) + v
        for k, v in other.missing.items():
            self.missing.setdefault(k, []).extend(v)
        return self

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "missing": self.missing,
            "removed": self.removed,
        }


class Problems:
    """Collects problems; `raise_if_any()` at the end of validation so every problem is reported at once."""

    def __init__(self) -> None:
        self.items: list[ImportProblem] = []

    def add(self, source: str, field: str | None, message: str, entity: str | None = None) -> None:
        self.items.append(ImportProblem(source=source, field=field, message=message, entity=entity))

    def raise_if_any(self) -> None:
        if self.items:
            raise ImportFailed(self.items)


def chunks(items: list, size: int):
    """Slices of at most `size`, so `__in` lists stay under every database's parameter limit."""
    for i in range(0, len(items), size):
        yield items[i : i + size]


def import_change(verb: str, subject_type: str, subject_id, label: str, before, after) -> dict:
    """One change record of an import, in the shape `audit_services.record_changes` takes."""
    return {
        "verb": verb,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "subject_label": label or "",
        "before": before,
        "after": after,
        "reason": "import",
    }


def open_csv(content: bytes, problem: Callable[[int, str, str], None]) -> tuple[list[str], Iterator[list[str]]] | None:
    """A CSV upload's header and a reader of its rows (`reader.line_num` is the line just read), or None after
    telling `problem(line, field, message)` why the file cannot be read: not UTF-8 text (a byte-order mark is
    allowed), NUL characters, or a header that does not parse. An empty file gives an empty header."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        problem(1, "file", f"the file is not UTF-8 text (byte {exc.start})")
        return None
    if "\x00" in text:
        problem(1, "file", "the file contains NUL characters; it is not a CSV")
        return None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
    except csv.Error as exc:
        problem(1, "header", f"the header does not parse: {exc}")
        return None
    return list(header or ()), reader
