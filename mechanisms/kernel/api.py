"""Helpers for API entry points (django-ninja): the error body, declared error responses, page schema.

Only entry points (`<app>/api.py`) import this module; domain code never imports ninja.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, TypeVar

import orjson
from ninja import Schema
from ninja.renderers import BaseRenderer
from pydantic import BaseModel, ConfigDict, Field

from .pagination import MAX_LIMIT, Page

T = TypeVar("T")

# A record id: inside the database's 64-bit key, so an absurd number is a 422 naming the field, not a database error.
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
# Free text in a query string (search words, filters): PostgreSQL cannot hold a NUL character, so it is refused here.
QueryText = Annotated[str, Field(max_length=500, pattern=r"^[^\x00]*$")]


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
        return orjson.dumps(data, default=str)


class InSchema(Schema):
    """A request body: an unknown field is a 422 naming it, never silently dropped (an `owner_team_id` sent to
    PATCH would otherwise look accepted while the owner stays)."""

    model_config = ConfigDict(extra="forbid")


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
