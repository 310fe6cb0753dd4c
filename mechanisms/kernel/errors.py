"""Domain errors raised by services; entry points map them to HTTP codes and CLI exit codes."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error a service raises on purpose; carries a stable code and the offending field."""

    code = "error"
    http_status = 400

    def __init__(self, message: str, *, field: str | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details

    def as_dict(self) -> dict[str, Any]:
        details = self.details
        if details is None and self.field:
            details = {"field": self.field}
        elif isinstance(details, dict) and self.field and "field" not in details:
            details = {"field": self.field, **details}
        return {"code": self.code, "message": self.message, "details": details}


class NotFound(DomainError):
    """The record does not exist, or the actor may not know that it does."""

    code = "not_found"
    http_status = 404


class PermissionDenied(DomainError):
    """The actor may not do this."""

    code = "permission_denied"
    http_status = 403


class RuleViolation(DomainError):
    """The input breaks a rule of the product (MECHANISMS.md) or is invalid; names the field."""

    code = "rule_violation"
    http_status = 400


class Conflict(DomainError):
    """Someone else wrote first (stale version), or the value duplicates an existing one."""

    code = "conflict"
    http_status = 409
