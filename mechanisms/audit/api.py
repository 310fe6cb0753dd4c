"""API of the audit app: the history of any record."""

from __future__ import annotations

from ninja import Query, Router, Schema

from mechanisms.kernel.api import PageOut, page_out, responses

from . import services
from .schemas import ChangeOut

router = Router(tags=["history"])


class HistoryFilter(Schema):
    subject_type: str | None = None
    subject_id: str | None = None
    correlation_id: str | None = None
    limit: int = 50
    offset: int = 0


@router.get("/history", response=responses(PageOut[ChangeOut], 401, 403, 422))
def list_history(request, filters: Query[HistoryFilter]):
    """Change records, newest first: one record's history (subject_type + subject_id), one request's changes
    (correlation_id), or the whole log (admins)."""
    page = services.list_changes(actor=request.auth, **filters.dict())
    return page_out(page)
