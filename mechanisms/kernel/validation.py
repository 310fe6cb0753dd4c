"""Input checks every app's services share (no tables, no rules of any mechanism)."""

from __future__ import annotations

from typing import Any

from .errors import RuleViolation


def clean_text(value: Any, field: str, max_length: int, *, required: bool = True) -> str:
    """`value` stripped, or RuleViolation naming `field`: not text, a NUL character (PostgreSQL cannot store one:
    refused here, never a 500), empty when required, or longer than `max_length`. None counts as empty."""
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None or "\x00" in text:
        raise RuleViolation(f"{field} must be text without NUL characters", field=field)
    if required and not text:
        raise RuleViolation(f"{field} is required", field=field)
    if len(text) > max_length:
        raise RuleViolation(f"{field} is longer than {max_length} characters", field=field)
    return text
