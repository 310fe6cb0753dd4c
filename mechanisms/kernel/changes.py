"""Partial updates as values: a frozen `...Changes` dataclass per record, each field defaulting to `UNSET`, so
"not given" differs from "set to empty or None" (a PATCH may clear a leader). No Django imports: contracts use it."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from enum import Enum
from typing import Any, Final, TypeVar


class Unset(Enum):
    """The type of `UNSET`: one member, so a type checker can narrow `str | Unset` with `is UNSET`."""

    UNSET = "UNSET"

    def __repr__(self) -> str:
        return "UNSET"


UNSET: Final = Unset.UNSET

C = TypeVar("C")


def given(changes: Any) -> dict[str, Any]:
    """The fields of a changes dataclass that were given, by name, in declaration order."""
    return {
        f.name: getattr(changes, f.name) for f in dataclasses.fields(changes) if getattr(changes, f.name) is not UNSET
    }


def field_names(changes_type: type) -> tuple[str, ...]:
    """Every field a changes dataclass declares: the editable fields of its record, declared once."""
    return tuple(f.name for f in dataclasses.fields(changes_type))


def changes_from(changes_type: type[C], values: Mapping[str, Any]) -> C:
    """A changes value from a mapping of only the fields a client sent (a PATCH body read with
    `exclude_unset`). A name the contract does not declare is a TypeError: the entry point's schema refuses
    unknown fields first (422), so reaching here with one is a bug, not a client error."""
    return changes_type(**values)
