"""Turning loose JSON objects into import records, every problem located (`people[3].email: ...`)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import types
import typing
from typing import Any

from mechanisms.kernel.importing import Problems


def to_record(cls: type, data: Any, source: str, problems: Problems, *, nested: dict[str, type] | None = None):
    """Build `cls` from a dict; unknown keys, missing required keys and wrong types are problems at `source`."""
    if not isinstance(data, dict):
        problems.add(source, None, f"expected an object, got {type(data).__name__}")
        return None
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.name != "source"}
    values: dict[str, Any] = {}
    ok = True
    for key in data:
        if key not in fields:
            problems.add(source, key, "unknown field")
            ok = False
    for name, f in fields.items():
        required = f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        if name not in data:
            if required:
                problems.add(source, name, "is required")
                ok = False
            continue
        value = data[name]
        if nested and name in nested:
            if not isinstance(value, list):
                problems.add(source, name, "expected a list")
                ok = False
                continue
            items = [to_record(nested[name], item, f"{source}.{name}[{i}]", problems) for i, item in enumerate(value)]
            if any(i is None for i in items):
                ok = False
            values[name] = tuple(items)
            continue
        converted, error = _convert(value, hints[name])
        if error:
            problems.add(source, name, error)
            ok = False
        else:
            values[name] = converted
    if not ok:
        return None
    has_source = any(f.name == "source" for f in dataclasses.fields(cls))
    return cls(**values, source=source) if has_source else cls(**values)


def _convert(value: Any, hint: Any) -> tuple[Any, str | None]:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None, None
        hint = next(a for a in args if a is not type(None))
    if hint is str:
        return (value, None) if isinstance(value, str) else (None, "expected text")
    if hint is bool:
        return (value, None) if isinstance(value, bool) else (None, "expected true or false")
    if hint is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, None) if ok else (None, "expected a whole number")
    if hint is dt.date:
        try:
            return dt.date.fromisoformat(value), None
        except (TypeError, ValueError):
            return None, "expected a date YYYY-MM-DD"
    if hint is dt.datetime:
        try:
            return dt.datetime.fromisoformat(value), None
        except (TypeError, ValueError):
            return None, "expected a date-time in ISO 8601"
    return value, None
