"""Private: the checks of one service, interface or datastore's own fields (MECHANISMS.md §2), shared by the
services (one record at a time) and the bulk import (a whole catalog at a time), so each rule has one definition and
neither module imports the other. Checks that need other records (unique names, owners) stay with their callers."""

from __future__ import annotations

import re
from typing import Any

from mechanisms.kernel.errors import RuleViolation
from mechanisms.kernel.validation import clean_text as _text

from .contracts import DatastoreType, Lifecycle, Visibility

NAME_RE = re.compile(r"^[a-z0-9]+(?:[-_.][a-z0-9]+)*$")
URL_RE = re.compile(r"^(https?|ssh|git)://\S+$|^git@\S+$")


def clean_choice(value: Any, enum: Any, field: str) -> str:
    choices = [e.value for e in enum]
    if value not in choices:
        raise RuleViolation(f"{field} must be one of {', '.join(choices)}", field=field)
    return value


def clean_name(value: Any, field: str = "name") -> str:
    name = _text(value, field, 63).lower()
    if not NAME_RE.match(name):
        raise RuleViolation(
            f"{field} must be 1-63 lowercase letters or digits, separated by single '-', '_' or '.'", field=field
        )
    return name


def clean_url(value: Any, field: str) -> str:
    url = _text(value, field, 500, required=False)
    if url and not URL_RE.match(url):
        raise RuleViolation(f"{field} must be an http(s), ssh or git URL", field=field)
    return url


def clean_service(
    *, name: Any, title: Any, description: Any, lifecycle: Any, kind: Any, tier: Any, repository: Any, on_call: Any
) -> dict[str, Any]:
    if not isinstance(tier, int) or isinstance(tier, bool) or not 1 <= tier <= 4:
        raise RuleViolation("tier must be 1 (most critical) to 4", field="tier")
    return {
        "name": clean_name(name),
        "title": _text(title, "title", 200, required=False),
        "description": _text(description, "description", 20000, required=False),
        "lifecycle": clean_choice(lifecycle, Lifecycle, "lifecycle"),
        "kind": _text(kind or "service", "kind", 32),
        "tier": tier,
        "repository": clean_url(repository, "repository"),
        "on_call": _text(on_call, "on_call", 200, required=False),
    }


def clean_interface(
    *,
    name: Any,
    type: Any,
    api_version: Any,
    description: Any,
    definition: Any,
    docs_url: Any,
    auth_scheme: Any,
    visibility: Any,
    lifecycle: Any,
) -> dict[str, Any]:
    return {
        "name": clean_name(name),
        "type": _text(type, "type", 32).lower(),
        "api_version": _text(api_version, "api_version", 64, required=False),
        "description": _text(description, "description", 20000, required=False),
        "definition": _text(definition, "definition", 2_000_000, required=False),
        "docs_url": clean_url(docs_url, "docs_url"),
        "auth_scheme": _text(auth_scheme, "auth_scheme", 200, required=False),
        "visibility": clean_choice(visibility, Visibility, "visibility"),
        "lifecycle": clean_choice(lifecycle, Lifecycle, "lifecycle"),
    }


def clean_datastore(*, name: Any, type: Any, description: Any) -> dict[str, Any]:
    return {
        "name": clean_name(name),
        "type": clean_choice(type, DatastoreType, "type"),
        "description": _text(description, "description", 20000, required=False),
    }
