"""Helpers for API entry points (django-ninja): the error body, declared error responses, page schema.

Only entry points (`<app>/api.py`) import this module; domain code never imports ninja.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from typing import Annotated, Any, Generic, TypeVar

import orjson
from ninja import Schema
from ninja.renderers import BaseRenderer
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, ValidationInfo, field_validator

from .pagination import MAX_LIMIT, Page
from .validation import check_text

T = TypeVar("T")
E = TypeVar("E", bound=enum.Enum)

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1


def _check_values(value: Any) -> Any:
    """Every text and integer inside a body value, nested lists and objects too (an import document), checked."""
    if isinstance(value, str):
        check_text(value)
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError("must fit in a 64-bit integer")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_values(key)
            _check_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            _check_values(item)
    return value


def _iso_date(value: Any) -> Any:
    """A date is an ISO string (`2026-03-31`): a number such as 0 is not read as 1970-01-01."""
    if value is None or isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise ValueError("must be a date as an ISO string, e.g. 2026-03-31")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date as an ISO string, e.g. 2026-03-31") from None


# Text of any field: NUL and lone surrogates are a 422 naming the field (InSchema applies the same check to every
# field of every body; Text is for query strings and other schemas).
Text = Annotated[str, AfterValidator(check_text)]
# A record id: inside the database's 64-bit key, so an absurd number is a 422 naming the field, not a database error.
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
# Any other integer of a body or query: a 64-bit integer (beyond it the databases and orjson fail).
Int = Annotated[int, Field(ge=INT64_MIN, le=INT64_MAX)]
# The version a writer read; a stale one is a 409.
Version = Annotated[int, Field(ge=1, le=INT64_MAX, description="the version you read; a stale one gets 409")]
# Free text in a query string (search words, filters).
QueryText = Annotated[Text, Field(max_length=500)]
# A date in a body: an ISO string only (bodies are strict; see InSchema).
Date = Annotated[dt.date, BeforeValidator(_iso_date)]


def choice(enum_type: type[E]) -> Any:
    """An enum field of a strict body: its value as text (strict validation would want an enum instance)."""

    def parse(value: Any) -> Any:
        if isinstance(value, enum_type) or not isinstance(value, str):
            return value
        try:
            return enum_type(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum_type)
            raise ValueError(f"must be one of: {allowed}") from None

    return Annotated[enum_type, BeforeValidator(parse)]


class ErrorBody(Schema):
    code: str
    message: str
    details: Any = None


class ErrorOut(Schema):
    """Every error response: `{"error": {"code", "message", "details"}}`; details name the field."""

    error: ErrorBody


class ORJSONRenderer(BaseRenderer):
    """Responses encoded with orjson: several times faster than the standard encoder on list pages."""

    media_type = "application/json"

    def render(self, request, data, *, response_status):
        try:
            return orjson.dumps(data, default=str)
        except orjson.JSONEncodeError:
            # orjson refuses integers beyond 64 bits; bodies are bounded, but a response must never become a 500.
            return json.dumps(data, default=str).encode()


class InSchema(Schema):
    """A request body: an unknown field is a 422 naming it, never silently dropped (an `owner_team_id` sent to
    PATCH would otherwise look accepted while the owner stays).

    Strict: JSON types are not coerced (`0` is not false, `"1"` is not a version, `0` is not a date; dates are
    ISO strings through `Date`, enums their values through `choice`). Every text anywhere in a body is checked
    (no NUL, no lone surrogate) and every integer fits in 64 bits: a 422 naming the field, never a 500."""

    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*", mode="after")
    @classmethod
    def _checked_values(cls, value: Any, info: ValidationInfo) -> Any:
        return _check_values(value)


class OutSchema(BaseModel):
    """Base of response schemas: plain pydantic reading attributes in its compiled core, several times faster
    than ninja's Schema, whose Python getter wraps every value (measured on the service list: the bulk of the
    request's time)."""

    model_config = ConfigDict(from_attributes=True)


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int
    next_offset: int | None = None


def page_out(page: Page, convert=None) -> dict[str, Any]:
    items = [convert(i) for i in page.items] if convert else list(page.items)
    return {
        "items": items,
        "total": page.total,
        "limit": page.limit,
        "offset": page.offset,
        "next_offset": page.next_offset,
    }


READ_ERRORS = (401, 404, 422)
WRITE_ERRORS = (400, 401, 403, 404, 409, 422)


def responses(ok: Any, *errors: int, status: int = 200) -> dict[int, Any]:
    """The response map of one operation: its success schema and every error it can return, declared."""
    codes = errors or WRITE_ERRORS
    return {status: ok, **{code: ErrorOut for code in codes}}


LIMIT_DOC = f"page size; values above {MAX_LIMIT} are clamped to {MAX_LIMIT}"
