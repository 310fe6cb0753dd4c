"""API of the audit app: the history of any record."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema
from pydantic import field_validator

from mechanisms.kernel.api import LIMIT_DOC, PageOut, QueryText, page_out, responses

from . import services
from .schemas import ChangeOut

router = Router(tags=["history"])


def _subject_types_doc() -> str:
    # The apps register their subject types in ready(), before the URL configuration imports this module.
    return (
        "kind of record: "
        + ", ".join(sorted(services.subject_types()))
        + " (memberships are recorded on their team, API tokens on their account)"
    )


class HistoryFilter(Schema):
    subject_type: QueryText | None = Field(None, description=_subject_types_doc(), examples=["service"])
    subject_id: QueryText | None = Field(None, description="the record's id, with subject_type", examples=["42"])
    correlation_id: QueryText | None = Field(
        None, description="every change written by one request or command (the X-Request-ID the server answered)"
    )
    limit: int = Field(50, description=LIMIT_DOC)
    offset: int = 0

    @field_validator("subject_type")
    @classmethod
    def _registered(cls, value: str | None) -> str | None:
        if value is not None and value not in services.subject_types():
            raise ValueError("subject_type must be one of " + ", ".join(sorted(services.subject_types())))
        return value


@router.get("/history", response=responses(PageOut[ChangeOut], 401, 403, 404, 422))
def list_history(request, filters: Query[HistoryFilter]):
    """Change records, newest first: one record's history (subject_type + subject_id), one request's changes
    (correlation_id), or the whole log (admins). A record you may not see is a 404."""
    page = services.list_changes(actor=request.auth, **filters.dict())
    return page_out(page)
