"""Public services of the audit app: the only way to write or read change records."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder

from mechanisms.kernel import clock, correlation
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate

from .contracts import ChangeRecord
from .models import Change


def record_change(
    *,
    actor: Actor,
    verb: str,
    subject_type: str,
    subject_id: int | str,
    subject_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> ChangeRecord:
    """Append one change record. Called inside the writing service's transaction, so both land or neither.
    A reason with a NUL character (PostgreSQL cannot store one) is refused, so the whole write is."""
    if "\x00" in (reason or ""):
        raise RuleViolation("reason must be text without NUL characters", field="reason")
    row = Change.objects.create(
        at=clock.now(),
        actor_user_id=actor.user_id,
        actor_person_id=actor.person_id,
        actor_label=actor.label[:200],
        correlation_id=correlation.current(),
        verb=verb,
        subject_type=subject_type,
        subject_id=str(subject_id),
        subject_label=subject_label[:300],
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason,
    )
    return _to_change_record(row)


def record_changes(*, actor: Actor, changes: list[dict[str, Any]]) -> int:
    """Append many change records in one statement (imports, demo generation); same fields as record_change."""
    at = clock.now()
    cid = correlation.current()
    rows = [
        Change(
            at=at,
            actor_user_id=actor.user_id,
            actor_person_id=actor.person_id,
            actor_label=actor.label[:200],
            correlation_id=cid,
            verb=c["verb"],
            subject_type=c["subject_type"],
            subject_id=str(c["subject_id"]),
            subject_label=c.get("subject_label", "")[:300],
            before=_jsonable(c.get("before")),
            after=_jsonable(c.get("after")),
            reason=c.get("reason", ""),
        )
        for c in changes
    ]
    Change.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def list_changes(
    *,
    actor: Actor,
    subject_type: str | None = None,
    subject_id: int | str | None = None,
    correlation_id: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[ChangeRecord]:
    """The history of one record (or of everything, for admins), newest first.

    Catalog and org records are readable by every signed-in person, so is their history; the whole log
    across subjects is for admins.
    """
    if not actor.is_authenticated:
        raise PermissionDenied("sign in to read history")
    qs = Change.objects.all().order_by("-id")
    if subject_type is None and correlation_id is None and not actor.is_admin:
        raise PermissionDenied("only an admin may read the whole change log", field="subject_type")
    if subject_type is not None:
        qs = qs.filter(subject_type=subject_type)
    if subject_id is not None:
        qs = qs.filter(subject_id=str(subject_id))
    if correlation_id is not None:
        qs = qs.filter(correlation_id=correlation_id)
    return paginate(qs, limit=limit, offset=offset, convert=_to_change_record)


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _to_change_record(row: Change) -> ChangeRecord:
    at = row.at if isinstance(row.at, dt.datetime) else dt.datetime.fromisoformat(str(row.at))
    return ChangeRecord(
        id=row.id,
        at=at,
        actor_label=row.actor_label,
        actor_person_id=row.actor_person_id,
        correlation_id=row.correlation_id,
        verb=row.verb,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        subject_label=row.subject_label,
        before=row.before,
        after=row.after,
        reason=row.reason,
    )
