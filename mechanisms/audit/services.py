"""Public services of the audit app: the only way to write or read change records (docs/audit.md).

Every kind of record with a history is a registered SubjectType (a closed vocabulary of types and verbs); the
owning app decides who may read that history and how much of each change is kept."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q

from mechanisms.kernel import clock, correlation
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, paginate

from . import policy as _policy
from .contracts import ChangeRecord, HistoryLine, Sensitivity, SubjectType
from .models import Change, SubjectKey

ERASE = "erase"
# What a confidential change keeps of a non-empty reason: that there was one, not its words.
WITHHELD = "[withheld]"

_registry: dict[str, SubjectType] = {}


# ---------------------------------------------------------------------------------------------- vocabulary


def register_subject_type(*, subject_type: SubjectType) -> None:
    """Register a kind of record that has a history (called from the owning app's AppConfig.ready()).

    Registering the same name again from the same owner replaces it (a reloaded app); from another owner it is a
    programming error. An erasable type may always record the verb `erase` (erase_subject writes it)."""
    name = subject_type.name
    if not name or len(name) > 64 or not subject_type.verbs:
        raise ValueError(f"subject type {name!r} needs a name of at most 64 characters and at least one verb")
    if any(not verb or len(verb) > 64 for verb in subject_type.verbs):
        raise ValueError(f"subject type {name!r} has a verb that is empty or longer than 64 characters")
    existing = _registry.get(name)
    if existing is not None and existing.owner != subject_type.owner:
        raise ValueError(f"subject type {name!r} is already registered by {existing.owner!r}")
    if subject_type.sensitivity == Sensitivity.ERASABLE:
        subject_type = dataclasses.replace(subject_type, verbs=subject_type.verbs | {ERASE})
    _registry[name] = subject_type


def subject_types() -> Mapping[str, SubjectType]:
    """Every registered subject type by name (read-only)."""
    return MappingProxyType(_registry)


def visible_to_signed_in(actor: Actor, ids: frozenset[str]) -> frozenset[str]:
    """A `visible` resolver for records open to every signed-in person (the directory, the catalog)."""
    return ids if actor.is_authenticated else frozenset()


def _registered(subject_type: str, verb: str) -> SubjectType:
    registered = _registry.get(subject_type)
    if registered is None:
        raise ValueError(f"subject type {subject_type!r} is not registered (audit_services.register_subject_type)")
    if verb not in registered.verbs:
        raise ValueError(f"verb {verb!r} is not registered for subject type {subject_type!r}")
    return registered


# ---------------------------------------------------------------------------------------------- writing


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

    The subject type and verb must be registered (a ValueError otherwise: a programming error). What is kept
    follows the type's sensitivity (docs/audit.md). A reason with a NUL character (PostgreSQL cannot store one) is
    refused, so the whole write is."""
    if "\x00" in (reason or ""):
        raise RuleViolation("reason must be text without NUL characters", field="reason")
    registered = _registered(subject_type, verb)
    keys: dict[tuple[str, str], Fernet] = {}
    row = _new_row(
        registered,
        actor=actor,
        at=clock.now(),
        correlation_id=correlation.current(),
        verb=verb,
        subject_id=str(subject_id),
        subject_label=subject_label,
        before=before,
        after=after,
        reason=reason,
        keys=keys,
    )
    row.save(force_insert=True)
    return _to_change_record(row, keys)


def record_changes(*, actor: Actor, changes: list[dict[str, Any]]) -> int:
    """Append many change records in one statement (imports, demo generation); same fields as record_change."""
    at = clock.now()
    cid = correlation.current()
    keys: dict[tuple[str, str], Fernet] = {}
    rows = [
        _new_row(
            _registered(c["subject_type"], c["verb"]),
            actor=actor,
            at=at,
            correlation_id=cid,
            verb=c["verb"],
            subject_id=str(c["subject_id"]),
            subject_label=c.get("subject_label", ""),
            before=c.get("before"),
            after=c.get("after"),
            reason=c.get("reason", ""),
            keys=keys,
        )
        for c in changes
    ]
    Change.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def _new_row(
    registered: SubjectType,
    *,
    actor: Actor,
    at: dt.datetime,
    correlation_id: str,
    verb: str,
    subject_id: str,
    subject_label: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str,
    keys: dict[tuple[str, str], Fernet],
) -> Change:
    """The row as stored, by the type's sensitivity: open keeps everything; confidential keeps the names of the
    changed fields; erasable seals values, label and reason under the subject's key."""
    before, after = _jsonable(before), _jsonable(after)
    sealed = ""
    if registered.sensitivity != Sensitivity.OPEN:
        if registered.sensitivity == Sensitivity.ERASABLE:
            key = keys.get((registered.name, subject_id)) or _key_for(registered.name, subject_id)
            keys[(registered.name, subject_id)] = key
            payload = {"before": before, "after": after, "subject_label": subject_label, "reason": reason}
            sealed = key.encrypt(json.dumps(payload).encode()).decode()
            before = after = None
            reason = ""
        else:
            names = _changed_fields(before, after)
            before = None if before is None else {"fields": names}
            after = None if after is None else {"fields": names}
            reason = WITHHELD if reason else ""
        subject_label = _neutral_label(registered, subject_id)
    return Change(
        at=at,
        actor_user_id=actor.user_id,
        actor_person_id=actor.person_id,
        actor_label=actor.label[:200],
        correlation_id=correlation_id,
        client_request_id=correlation.client_request_id() or "",
        verb=verb,
        subject_type=registered.name,
        subject_id=subject_id,
        subject_label=subject_label[:300],
        before=before,
        after=after,
        reason=reason,
        sealed=sealed,
    )


def _changed_fields(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[str]:
    if before is None or after is None:
        return sorted((before or after or {}).keys())
    return sorted(k for k in before.keys() | after.keys() if before.get(k, None) != after.get(k, None))


def _neutral_label(registered: SubjectType, subject_id: str) -> str:
    return f"{registered.words} {subject_id}"


def _key_for(subject_type: str, subject_id: str) -> Fernet:
    """The subject's key, made on its first sealed change (a new one after an erasure: new content, new key)."""
    row, _ = SubjectKey.objects.get_or_create(
        subject_type=subject_type,
        subject_id=subject_id,
        defaults={"key": Fernet.generate_key().decode(), "created_at": clock.now()},
    )
    return Fernet(row.key.encode())


# ---------------------------------------------------------------------------------------------- erasure


def erase_subject(*, actor: Actor, subject_type: str, subject_id: int | str, reason: str) -> ChangeRecord:
    """Erase one erasable record's personal content (docs/audit.md): the owner erases its live content, then the
    record's key is destroyed, so every sealed value of its history becomes unreadable. The change records stay
    (who, when, verb), and the erasure itself is recorded with verb `erase` and the reason, kept in plain text.
    Administrators only."""
    if not actor.is_admin:
        raise PermissionDenied("only an admin may erase a record's personal content", field="subject_type")
    registered = _registry.get(subject_type)
    if registered is None:
        raise RuleViolation(f"subject type {subject_type!r} has no history", field="subject_type")
    if registered.sensitivity != Sensitivity.ERASABLE:
        raise RuleViolation(f"{registered.words} records are not erasable", field="subject_type")
    reason = (reason or "").strip()
    if not reason or "\x00" in reason:
        raise RuleViolation("an erasure needs a reason (text without NUL characters)", field="reason")
    sid = str(subject_id)
    with transaction.atomic():
        if registered.erase is not None:
            registered.erase(sid)
        # After the owner's erase, so anything it recorded while erasing is sealed under the key destroyed here.
        SubjectKey.objects.filter(subject_type=subject_type, subject_id=sid).delete()
        row = Change(
            at=clock.now(),
            actor_user_id=actor.user_id,
            actor_person_id=actor.person_id,
            actor_label=actor.label[:200],
            correlation_id=correlation.current(),
            client_request_id=correlation.client_request_id() or "",
            verb=ERASE,
            subject_type=subject_type,
            subject_id=sid,
            subject_label=_neutral_label(registered, sid),
            reason=reason,
        )
        row.save(force_insert=True)
    return _to_change_record(row, {})


# ---------------------------------------------------------------------------------------------- reading


def list_changes(
    *,
    actor: Actor,
    subject_type: str | None = None,
    subject_id: int | str | None = None,
    correlation_id: str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[ChangeRecord]:
    """Change records, newest first: one record's history, one request's changes, or the whole log.

    The whole log (or every record of a type) is for admins. Anyone else names a record (subject_type and
    subject_id) and reads its history only if its owning app lets them see the record, else NotFound, which says
    nothing about whether it exists; or names a correlation id and gets only the changes of records the owners let
    them see (MECHANISMS.md cross-cutting "Audit", issue 8)."""
    _policy.require_signed_in(actor)
    if subject_id is not None and subject_type is None:
        raise RuleViolation("subject_id needs its subject_type", field="subject_type")
    registered = None
    if subject_type is not None:
        registered = _registry.get(subject_type)
        if registered is None:
            raise RuleViolation(f"subject_type must be one of {', '.join(sorted(_registry))}", field="subject_type")
    _policy.require_reading(actor, registered=registered, subject_id=subject_id, correlation_id=correlation_id)
    qs = Change.objects.all().order_by("-id")
    if registered is not None:
        qs = qs.filter(subject_type=registered.name)
    if subject_id is not None:
        sid = str(subject_id)
        if sid not in _policy.visible_ids(registered, actor, frozenset({sid})):
            raise NotFound(f"no {registered.words} {sid} to show the history of", field="subject_id")
        qs = qs.filter(subject_id=sid)
    if correlation_id is not None:
        qs = qs.filter(correlation_id=correlation_id)
        if not actor.is_admin and subject_id is None:
            # Without the ordering, so DISTINCT is over the subjects and not over (subject, id).
            subjects = qs.order_by().values_list("subject_type", "subject_id").distinct()
            qs = qs.filter(_policy.visible_filter(actor, subjects, _registry))
    page = paginate(qs, limit=limit, offset=offset, convert=lambda row: row)
    sealed = {(r.subject_type, r.subject_id) for r in page.items if r.sealed}
    openable = _policy.openable(actor, sealed, _registry) if sealed else set()
    keys = _keys_for(openable)
    return page.map(
        lambda row: _to_change_record(row, keys, withheld=(row.subject_type, row.subject_id) not in openable)
    )


def _keys_for(sealed: set[tuple[str, str]]) -> dict[tuple[str, str], Fernet]:
    if not sealed:
        return {}
    query = Q(pk__in=[])
    for subject_type, subject_id in sealed:
        query |= Q(subject_type=subject_type, subject_id=subject_id)
    return {(k.subject_type, k.subject_id): Fernet(k.key.encode()) for k in SubjectKey.objects.filter(query)}


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def _to_change_record(
    row: Change, keys: Mapping[tuple[str, str], Fernet | None], *, withheld: bool = False
) -> ChangeRecord:
    """`withheld`: the reader may see that the record changed but not its sealed values (they stay closed, and the
    record is not reported as erased)."""
    at = row.at if isinstance(row.at, dt.datetime) else dt.datetime.fromisoformat(str(row.at))
    before, after, label, reason, erased = row.before, row.after, row.subject_label, row.reason, False
    if row.sealed and not withheld:
        opened = _open(row.sealed, keys.get((row.subject_type, row.subject_id)))
        if opened is None:
            erased = True
        else:
            before, after = opened["before"], opened["after"]
            label, reason = opened["subject_label"] or label, opened["reason"]
    return ChangeRecord(
        id=row.id,
        at=at,
        actor_label=row.actor_label,
        actor_person_id=row.actor_person_id,
        correlation_id=row.correlation_id,
        verb=row.verb,
        subject_type=row.subject_type,
        subject_id=row.subject_id,
        subject_label=label,
        before=before,
        after=after,
        reason=reason,
        client_request_id=row.client_request_id or None,
        erased=erased,
    )


def _open(token: str, key: Fernet | None) -> dict[str, Any] | None:
    if key is None:
        return None
    try:
        return json.loads(key.decrypt(token.encode()))
    except InvalidToken:
        return None


# ---------------------------------------------------------------------------------------------- history in words

# The words of the verbs every kind of record has; an owner names its own verbs in its SubjectType's verb_words.
_VERB_WORDS = {"create": "created", "update": "changed", "delete": "removed"}
# Bookkeeping, never worth a line.
_QUIET_FIELDS = frozenset({"id", "version", "updated_at", "created_at"})
_SHORT = 80


def _long(value: Any) -> bool:
    return isinstance(value, str) and (len(value) > _SHORT or "\n" in value)


def _reference(registered: SubjectType, record: ChangeRecord, key: str, value: Any) -> str | None:
    """The subject type this field's value is an id of, unless it is empty or the record itself."""
    target = registered.references.get(key)
    if target is None or value is None or (target == record.subject_type and str(value) == record.subject_id):
        return None
    return target


def history_lines(*, records: Iterable[ChangeRecord]) -> list[HistoryLine]:
    """Change records in plain words, by what their owners registered (verb words, field labels, references):
    who, when, what, and the fields that changed, with the names of the records they reference (one batch read
    per referenced subject type) and long text said to be rewritten rather than printed."""
    records = list(records)
    fallback = SubjectType(name="", owner="", verbs=frozenset())
    wanted: dict[str, set[str]] = defaultdict(set)
    for record in records:
        registered = _registry.get(record.subject_type, fallback)
        for state in (record.before or {}, record.after or {}):
            for key, value in state.items():
                target = _reference(registered, record, key, value)
                if target:
                    wanted[target].add(str(value))
    names: dict[str, Mapping[str, str]] = {}
    for target, ids in wanted.items():
        named = _registry.get(target)
        names[target] = named.names(frozenset(ids)) if named is not None and named.names is not None else {}

    def show(registered: SubjectType, key: str, value: Any) -> str:
        if value is None or value == "":
            return "none"
        target = registered.references.get(key)
        if target:
            return names.get(target, {}).get(str(value), str(value))
        text = str(value)
        return text if len(text) <= _SHORT else text[: _SHORT - 3] + "..."

    lines = []
    for record in records:
        registered = _registry.get(record.subject_type, fallback)
        before, after = record.before or {}, record.after or {}
        details: list[str] = []
        if before and after:
            for key in after:
                if key in _QUIET_FIELDS or before.get(key) == after.get(key):
                    continue
                if registered.field_labels and key not in registered.field_labels:
                    continue  # the owner lists the fields worth showing; the rest is bookkeeping
                label = registered.field_labels.get(key) or key.removesuffix("_id").replace("_", " ")
                if _long(before.get(key)) or _long(after.get(key)):
                    details.append(f"{label} rewritten")
                else:
                    was, now = show(registered, key, before.get(key)), show(registered, key, after.get(key))
                    details.append(f"{label}: {was} → {now}")
        elif record.verb not in _VERB_WORDS:
            # A part added or removed (a member of a team): the records it references, by name.
            for key, value in (after or before).items():
                if _reference(registered, record, key, value):
                    details.append(show(registered, key, value))
        what = registered.verb_words.get(record.verb) or _VERB_WORDS.get(record.verb) or record.verb.replace("_", " ")
        lines.append(HistoryLine(record.at, record.actor_label, what, tuple(details), record.reason))
    return lines
