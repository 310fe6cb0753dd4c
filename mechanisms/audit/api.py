"""API of the audit app: the history of any record."""

from __future__ import annotations

from ninja import Field, Query, Router, Schema

from mechanisms.kernel.api import LIMIT_DOC, PageOut, QueryText, page_out, responses

from . import services
from .schemas import ChangeOut

router = Router(tags=["history"])


# The kinds of record that have a history, as written by the apps' services. Membership changes are recorded on
# the team (verbs add_member, remove_member); API tokens on the account (issue_token, revoke_token).
SUBJECT_TYPES = ("person", "org_unit", "team", "account", "service", "interface", "datastore", "dependency")


class HistoryFilter(Schema):
    subject_type: QueryText | None = Field(
        None,
        description="kind of record: " + ", ".join(SUBJECT_TYPES) + " (memberships are recorded on their team, "
        "API tokens on their account)",
        examples=["service"],
    )
    subject_id: QueryText | None = Field(None, description="the record's id, with subject_type", examples=["42"])
    correlation_id: QueryText | None = Field(None, description="every change written by one request or command")
    limit: int = Field(50, description=LIMIT_DOC)
    offset: int = 0


@router.get("/history", response=responses(PageOut[ChangeOut], 401, 403, 422))
def list_history(request, filters: Query[HistoryFilter]):
    """Change records, newest first: one record's history (subject_type + subject_id), one request's changes
    (correlation_id), or the whole log (admins)."""
    page = services.list_changes(actor=request.auth, **filters.dict())
    return page_out(page)
