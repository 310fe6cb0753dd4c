"""Private: the checks of one person, org unit or team's own fields (MECHANISMS.md §1), shared by the services
(one record at a time) and the bulk import (a whole file at a time), so each rule has one definition and neither
module imports the other. Checks that need other records (uniqueness, loops) stay with their callers."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from mechanisms.kernel.errors import RuleViolation
from mechanisms.kernel.validation import clean_text

from .contracts import Discipline, TeamStatus

HANDLE_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
SLUG_RE = re.compile(r"^(?=.{1,63}$)[a-z0-9]+(?:[-_.][a-z0-9]+)*$")  # Backstage names, lowercased
ORG_UNIT_KINDS = ("company", "division", "org", "group")


def clean_choice(value: str, choices: Sequence[str], field: str) -> str:
    if value not in choices:
        raise RuleViolation(f"{field} must be one of {', '.join(choices)}", field=field)
    return value


def clean_person(
    *,
    handle: str,
    name: str,
    email: str,
    title: str,
    discipline: str,
) -> dict[str, Any]:
    handle = clean_text(handle, "handle", max_length=64).lower()
    if not HANDLE_RE.match(handle):
        raise RuleViolation("handle must be lowercase letters, digits, '.', '_' or '-'", field="handle")
    email = clean_text(email, "email", max_length=254).lower()
    try:
        validate_email(email)
    except DjangoValidationError as exc:
        raise RuleViolation(f"{email!r} is not an email address", field="email") from exc
    return {
        "handle": handle,
        "name": clean_text(name, "name", max_length=200),
        "email": email,
        "title": clean_text(title, "title", max_length=200, required=False),
        "discipline": clean_choice(discipline or "engineering", [d.value for d in Discipline], "discipline"),
    }


def clean_slug(value: Any) -> str:
    """Slugs follow Backstage's name rules, lowercased, so catalogs import as they are."""
    slug = clean_text(value, "slug", max_length=64).lower()
    if not SLUG_RE.match(slug):
        raise RuleViolation(
            "slug must be 1-63 lowercase letters or digits, separated by single '-', '_' or '.'", field="slug"
        )
    return slug


def clean_org_unit(*, slug: str, name: str, kind: str) -> dict[str, Any]:
    return {
        "slug": clean_slug(slug),
        "name": clean_text(name, "name", max_length=200),
        "kind": clean_choice(kind or "org", ORG_UNIT_KINDS, "kind"),
    }


def clean_team(*, slug: str, name: str, charter: str, status: str) -> dict[str, Any]:
    return {
        "slug": clean_slug(slug),
        "name": clean_text(name, "name", max_length=200),
        "charter": clean_text(charter, "charter", max_length=20000, required=False),
        "status": clean_choice(status or "active", [s.value for s in TeamStatus], "status"),
    }
