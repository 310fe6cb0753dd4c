"""Input checks every app's services share (no tables, no rules of any mechanism)."""

from __future__ import annotations

from typing import Any

from .errors import RuleViolation


def check_text(value: str) -> str:
    """`value` unchanged, or ValueError: a NUL character (PostgreSQL cannot store one) or a lone UTF-16 surrogate
    such as "\\ud800" (no database stores one, and the JSON encoders refuse it). Either would be a 500 later."""
    if "\x00" in value:
        raise ValueError("must not contain a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (a lone surrogate such as \\ud800 is not)") from None
    return value


def clean_text(value: Any, field: str, max_length: int, *, required: bool = True) -> str:
    """`value` stripped, or RuleViolation naming `field`: not text, a NUL character or a lone surrogate (refused
    here, never a 500; see check_text), empty when required, or longer than `max_length`. None counts as empty."""
    text = (value or "").strip() if isinstance(value, str) or value is None else None
    if text is None:
        raise RuleViolation(f"{field} must be text without NUL characters", field=field)
    try:
        check_text(text)
    except ValueError as exc:
        raise RuleViolation(f"{field} {exc}", field=field) from None
    if required and not text:
        raise RuleViolation(f"{field} is required", field=field)
    if len(text) > max_length:
        raise RuleViolation(f"{field} is longer than {max_length} characters", field=field)
    return text
