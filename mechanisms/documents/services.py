"""Public services of the documents app (DESIGN.md §2-§4). Every read and write asks the owning app what the actor
may do (owners.py); a document the actor may not read is NotFound through every door.

Owning apps create their documents (`create_document`, inside their own write, after their own checks); everyone
else reads, revises, comments and attaches through these functions, which the documents API and pages also use."""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock, files
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.pagination import Page, clamp_limit, clamp_offset
from mechanisms.notifications import services as notifications_services
from mechanisms.org import services as org_services

from . import owners, rules
from . import policy as _policy
from .contracts import (
    Access,
    Anchor,
    AnchorStatus,
    AttachmentFile,
    AttachmentId,
    AttachmentPurpose,
    AttachmentRecord,
    CommentEntry,
    CommentId,
    CommentRecord,
    DocumentId,
    DocumentOwner,
    DocumentRecord,
    DocumentView,
    Part,
    PartDiff,
    PartView,
    PassageComments,
    ReaderRecord,
    ReadingSessionRecord,
    RevisionRecord,
    SessionId,
    SessionState,
)
from .models import Attachment, Comment, Document, Reader, ReadingSession, Revision

SUBJECT = "document"  # the audit subject type (history.py)
SESSION_COMMENT_SUBJECT = "document_session_comment"  # a comment made in a reading session (history.py)
MAX_TITLE = 300
MAX_PART_CHARS = 200_000
MAX_NOTE = 500


# --- the owners' registry -------------------------------------------------------------------------------------


def register_owner(
    kind: str,
    *,
    label: str,
    parts: tuple[Part, ...],
    access: Callable[[Actor, frozenset[str]], Mapping[str, frozenset[Access]]],
    url: Callable[[str], str],
    frozen: Callable[[str], str] | None = None,
    session_refused: Callable[[str], str] | None = None,
    check: Callable[[str, Mapping[str, str]], None] | None = None,
) -> None:
    """Declare a kind of record that owns documents (called from the owning app's AppConfig.ready()).

    The owner decides who may do what (`access`), lays out the body (`parts`) and may freeze the body (`frozen`
    says why, e.g. a PR/FAQ that was shelved) or refuse a reading session (`session_refused` says why, e.g. a
    narrative over six pages) and judge a new revision's text by its own rules (`check(owner_id, parts)` raises
    RuleViolation naming the part). DESIGN.md §3: visibility is always asked of the owning app."""
    owners.register(
        DocumentOwner(
            kind=kind,
            label=label,
            parts=parts,
            access=access,
            url=url,
            frozen=frozen,
            session_refused=session_refused,
            check=check,
        )
    )


def owner_parts(*, owner_kind: str) -> tuple[Part, ...]:
    """The parts a kind of document has, in order (RuleViolation for a kind nobody registered)."""
    return owners.get(owner_kind).parts


def owner_url(*, owner_kind: str, owner_id: str) -> str:
    return owners.get(owner_kind).url(owner_id)


# --- writes ---------------------------------------------------------------------------------------------------


def create_document(
    *,
    actor: Actor,
    owner_kind: str,
    owner_id: str | int,
    title: str,
    parts: Mapping[str, str] | None = None,
    note: str = "",
) -> DocumentRecord:
    """Create the document of one owning record with its first revision. Called by the owning app inside its own
    write, after its own checks (so it is not an API door). RuleViolation for an unknown kind, a part the owner
    does not declare or text over the limits; Conflict-free: one document per owner (a second is refused)."""
    owner = owners.get(owner_kind)
    owner_id = str(owner_id)
    clean_title = _clean_title(title)
    clean_parts = _clean_parts(owner, parts or {})
    now = clock.now()
    with transaction.atomic():
        if Document.objects.filter(owner_kind=owner_kind, owner_id=owner_id).exists():
            raise RuleViolation(f"this {owner.label} already has a document", field="owner_id")
        row = Document.objects.create(
            owner_kind=owner_kind, owner_id=owner_id, title=clean_title, current=1, created_by_id=actor.person_id
        )
        Revision.objects.create(
            document=row, number=1, parts=clean_parts, note=_clean_note(note), author_id=actor.person_id, created_at=now
        )
        audit_services.record_change(
            actor=actor,
            verb="create",
            subject_type=SUBJECT,
            subject_id=row.id,
            subject_label=clean_title,
            after={"title": clean_title, "revision": 1, "parts": sorted(k for k, v in clean_parts.items() if v)},
        )
    return _to_document(row, frozenset(Access))


def revise_document(
    *,
    actor: Actor,
    document_id: int,
    parts: Mapping[str, str],
    version: int,
    note: str = "",
    title: str | None = None,
) -> DocumentRecord:
    """Keep a new revision of the body (every revision is kept, MECHANISMS.md §6: "the author revises, every
    version kept"). Parts left out keep their text. Needs the owner's REVISE access and an unfrozen body.
    Raises NotFound, PermissionDenied, RuleViolation (naming the part), Conflict (a stale `version`)."""
    row = _row(document_id)
    owner = owners.get(row.owner_kind)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.REVISE, document_id=row.id)
    reason = owner.frozen(row.owner_id) if owner.frozen else ""
    if reason:
        raise RuleViolation(reason, field="parts")
    current = Revision.objects.get(document=row, number=row.current)
    merged = {**current.parts, **_clean_parts(owner, parts)}
    if owner.check:
        owner.check(row.owner_id, merged)
    new_title = _clean_title(title) if title is not None else row.title
    if merged == current.parts and new_title == row.title:
        raise RuleViolation("nothing changed: a revision needs a change to the text or the title", field="parts")
    number = row.current + 1
    old_title = row.title
    with transaction.atomic():
        row = update_versioned(row, expected_version=version, changes={"current": number, "title": new_title})
        Revision.objects.create(
            document=row,
            number=number,
            parts=merged,
            note=_clean_note(note),
            author_id=actor.person_id,
            created_at=clock.now(),
        )
        changed = sorted(k for k in set(merged) | set(current.parts) if merged.get(k, "") != current.parts.get(k, ""))
        audit_services.record_change(
            actor=actor,
            verb="revise",
            subject_type=SUBJECT,
            subject_id=row.id,
            subject_label=new_title,
            before={"revision": number - 1, "title": old_title},
            after={"revision": number, "parts": changed, "title": new_title},
            reason=_clean_note(note),
        )
    granted = _policy.access(actor, row.owner_kind, frozenset({row.owner_id})).get(row.owner_id, frozenset())
    return _to_document(row, granted)


# --- reads ----------------------------------------------------------------------------------------------------


def get_document(*, actor: Actor, document_id: int) -> DocumentRecord:
    """A document with what the actor may do with it. NotFound when the owner does not let them read it."""
    row = _row(document_id)
    granted = _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    return _to_document(row, granted)


def find_document(*, actor: Actor, owner_kind: str, owner_id: str | int) -> DocumentRecord | None:
    """The document of one owning record, or None when it has none or the actor may not read it."""
    row = Document.objects.filter(owner_kind=owner_kind, owner_id=str(owner_id)).first()
    if row is None:
        return None
    granted = _policy.access(actor, row.owner_kind, frozenset({row.owner_id})).get(row.owner_id)
    return None if granted is None else _to_document(row, granted)


def get_revision(*, actor: Actor, document_id: int, number: int | None = None) -> RevisionRecord:
    """One revision (the current one by default). NotFound for an unreadable document or a revision it lacks."""
    row = _row(document_id)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    rev = Revision.objects.filter(document=row, number=row.current if number is None else number).first()
    if rev is None:
        raise NotFound(f"document {document_id} has no revision {number}", field="revision")
    return _to_revision(rev, owners.get(row.owner_kind).parts)


def list_revisions(
    *, actor: Actor, document_id: int, limit: int | None = None, offset: int | None = None
) -> Page[RevisionRecord]:
    """Every revision of a document, newest first (paginated)."""
    row = _row(document_id)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    limit, offset = clamp_limit(limit), clamp_offset(offset)
    qs = Revision.objects.filter(document=row).order_by("-number")
    parts = owners.get(row.owner_kind).parts
    items = [_to_revision(r, parts) for r in qs[offset : offset + limit]]
    return Page(items=items, total=qs.count(), limit=limit, offset=offset)


def diff_revisions(*, actor: Actor, document_id: int, base: int, head: int | None = None) -> tuple[PartDiff, ...]:
    """How the body changed from revision `base` to `head` (the current one by default), part by part, as
    unified-diff lines. NotFound for an unreadable document or a revision it does not have."""
    old = get_revision(actor=actor, document_id=document_id, number=base)
    new = get_revision(actor=actor, document_id=document_id, number=head)
    row = _row(document_id)
    out: list[PartDiff] = []
    for part in owners.get(row.owner_kind).parts:
        lines = tuple(
            difflib.unified_diff(
                old.text(part.key).splitlines(),
                new.text(part.key).splitlines(),
                fromfile=f"revision {old.number}",
                tofile=f"revision {new.number}",
                lineterm="",
                n=2,
            )
        )
        out.append(PartDiff(key=part.key, label=part.label, lines=lines))
    return tuple(out)


def current_revisions(*, owner_kind: str, owner_ids: Iterable[str | int]) -> dict[str, RevisionRecord]:
    """The current revision of each of these owners' documents, keyed by owner id (an owner without a document is
    left out), in one query. No actor: it is for the owning app reading its own records' documents after its own
    visibility check (a list of openings shows each one's job description), never a door for anyone else."""
    wanted = sorted({str(i) for i in owner_ids})
    if not wanted:
        return {}
    parts = owners.get(owner_kind).parts
    rows = (
        Revision.objects.filter(
            document__owner_kind=owner_kind, document__owner_id__in=wanted, number=F("document__current")
        )
        .select_related("document")
        .order_by()
    )
    return {r.document.owner_id: _to_revision(r, parts) for r in rows}


def readable_document_ids(*, actor: Actor, document_ids: frozenset[int]) -> frozenset[int]:
    """Which of these documents the actor may read (the audit history's resolver; one owner call per kind)."""
    qs = _policy.visible_to(actor, Document.objects.filter(id__in=document_ids))
    return frozenset(qs.values_list("id", flat=True))


# --- reading sessions (MECHANISMS.md §6: meetings start with silent reading) ----------------------------------
#
# A session reads one frozen revision within a time-box; its readers' comments stay hidden from each other until
# the viewer has marked "done reading", and from the presenter until every reader is (rules.comment_visible).
# Comments are the `docs` part of this module (add_comment, list_comments): every door that lists or counts
# comments asks `_visible_comment_rows`, which applies the rule with each session's facts.

SESSION_MIN_MINUTES = 1
SESSION_MAX_MINUTES = 240
SESSION_MAX_READERS = 50
SESSION_NOTICE_KINDS = ("reading_session.started", "reading_session.all_done")

notifications_services.declare_kinds(kinds=SESSION_NOTICE_KINDS)


def session_url(*, document_id: int, session_id: int) -> str:
    """The reading room's page."""
    return f"/documents/{int(document_id)}/sessions/{int(session_id)}"


def start_session(
    *,
    actor: Actor,
    document_id: int,
    reader_ids: Sequence[int],
    minutes: int = 20,
    revision: int | None = None,
) -> ReadingSessionRecord:
    """Start a silent reading of one revision of a document (MECHANISMS.md §6).

    Rules: the actor has the owner's PRESENT access (and is the presenter, never a reader); the owner may refuse a
    session (`session_refused`: a narrative over six pages); the revision (the current one by default) is frozen:
    the session reads it whatever is revised later; at least one reader, each an active person the owner lets read
    the document, at most 50; `minutes` 1..240; one open session per document. The readers are notified (the
    title and a link). Raises NotFound (an unreadable document or revision), PermissionDenied (no PRESENT),
    RuleViolation naming `reader_ids`, `minutes`, `revision` or `document_id`."""
    row = _row(document_id)
    owner = owners.get(row.owner_kind)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.PRESENT, document_id=row.id)
    reason = owner.session_refused(row.owner_id) if owner.session_refused else ""
    if reason:
        raise RuleViolation(reason, field="document_id")
    clean_minutes = _clean_minutes(minutes)
    number = _clean_session_revision(row, revision)
    readers = _clean_readers(actor, row, reader_ids)
    now = clock.now()
    with transaction.atomic():
        # Serialize starts on one document (PostgreSQL; SQLite's IMMEDIATE transactions already do), so two
        # presenters starting at once cannot open two sessions.
        Document.objects.select_for_update().filter(pk=row.pk).first()
        if ReadingSession.objects.filter(document=row, state=SessionState.READING.value).exists():
            raise RuleViolation(
                "this document already has a reading session open: close it before starting another",
                field="document_id",
            )
        session = ReadingSession.objects.create(
            document=row,
            revision=number,
            presenter_id=actor.person_id,
            minutes=clean_minutes,
            state=SessionState.READING.value,
            started_at=now,
            ends_at=now + dt.timedelta(minutes=clean_minutes),
        )
        Reader.objects.bulk_create([Reader(session=session, person_id=pid) for pid in readers])
        audit_services.record_change(
            actor=actor,
            verb="start_session",
            subject_type=SUBJECT,
            subject_id=row.id,
            subject_label=row.title,
            after={"session": session.id, "revision": number, "minutes": clean_minutes, "readers": len(readers)},
        )
        notifications_services.notify(
            actor=actor,
            recipients=readers,
            kind="reading_session.started",
            title=f"Silent reading: {row.title}"[:200],
            url=session_url(document_id=row.id, session_id=session.id),
            subject_type=SUBJECT,
            subject_id=row.id,
        )
    return _to_session(_session_row(session.id))


def mark_done_reading(*, actor: Actor, session_id: int) -> ReadingSessionRecord:
    """A reader says they have finished reading: from now on they see the other readers' comments, and once every
    reader is done the presenter sees them all (MECHANISMS.md §6). Only a reader, once, while the session is open;
    when the last reader is done the presenter is told. Raises NotFound (a session of a document the actor may not
    read), PermissionDenied (not a reader), RuleViolation naming `session_id` (closed, or already done)."""
    session = _session_row(session_id)
    row = session.document
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    reader = next((r for r in session.readers.all() if r.person_id == actor.person_id), None)
    if reader is None:
        raise PermissionDenied("only a reader of this session marks it done reading")
    if session.state != SessionState.READING.value:
        raise RuleViolation("this reading session is closed", field="session_id")
    if reader.done_at is not None:
        raise RuleViolation("you have already marked this session done reading", field="session_id")
    now = clock.now()
    with transaction.atomic():
        # Compare-and-set on the reader's row: of two clicks at once, one marks it and the other is refused.
        if not Reader.objects.filter(pk=reader.pk, done_at__isnull=True).update(done_at=now):
            raise RuleViolation("you have already marked this session done reading", field="session_id")
        audit_services.record_change(
            actor=actor,
            verb="done_reading",
            subject_type=SUBJECT,
            subject_id=row.id,
            subject_label=row.title,
            after={"session": session.id},
        )
        if not Reader.objects.filter(session=session, done_at__isnull=True).exists():
            notifications_services.notify(
                actor=actor,
                recipients=[session.presenter_id] if session.presenter_id else [],
                kind="reading_session.all_done",
                title=f"Everyone has finished reading: {row.title}"[:200],
                url=session_url(document_id=row.id, session_id=session.id),
                subject_type=SUBJECT,
                subject_id=row.id,
            )
    return _to_session(_session_row(session.id))


def close_session(*, actor: Actor, session_id: int, version: int) -> ReadingSessionRecord:
    """The presenter ends a reading session (the worker also closes sessions whose time-box is over:
    `close_expired_sessions`); every comment of it is then revealed to everyone who may read the document.
    Raises NotFound, PermissionDenied (not the presenter), RuleViolation naming `session_id` (already closed),
    Conflict (a stale `version`)."""
    session = _session_row(session_id)
    row = session.document
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    if actor.person_id is None or actor.person_id != session.presenter_id:
        raise PermissionDenied("only the presenter closes a reading session")
    if session.state != SessionState.READING.value:
        raise RuleViolation("this reading session is already closed", field="session_id")
    with transaction.atomic():
        _close(actor, session, row, version=version, reason="")
    return _to_session(_session_row(session.id))


def close_expired_sessions(*, actor: Actor, now: dt.datetime | None = None) -> int:
    """Close every open session whose time-box is over (the worker's `documents.close_sessions`, every minute);
    returns how many it closed. Each is its own write, audited with the reason; a session the presenter closed
    meanwhile is skipped. Only the system (the worker) or an admin runs it."""
    if not actor.is_admin:
        raise PermissionDenied("only the worker closes reading sessions whose time is up")
    moment = now or clock.now()
    closed = 0
    due = ReadingSession.objects.filter(state=SessionState.READING.value, ends_at__lte=moment)
    due = due.select_related("document")
    for session in due:
        try:
            with transaction.atomic():
                _close(actor, session, session.document, version=session.version, reason="its time-box ended")
        except Conflict:
            continue
        closed += 1
    return closed


def get_session(*, actor: Actor, session_id: int) -> ReadingSessionRecord:
    """One reading session with its readers (who is done). NotFound unless the owner lets the actor read its
    document."""
    session = _session_row(session_id)
    row = session.document
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    return _to_session(session)


def list_sessions(
    *,
    actor: Actor,
    document_id: int,
    open_only: bool = False,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[ReadingSessionRecord]:
    """A document's reading sessions, newest first (paginated). NotFound for an unreadable document."""
    row = _row(document_id)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    limit, offset = clamp_limit(limit), clamp_offset(offset)
    qs = ReadingSession.objects.filter(document=row)
    if open_only:
        qs = qs.filter(state=SessionState.READING.value)
    items = [_to_session(s) for s in qs.prefetch_related("readers")[offset : offset + limit]]
    return Page(items=items, total=qs.count(), limit=limit, offset=offset)


def session_comments(*, actor: Actor, session_id: int) -> tuple[PassageComments, ...]:
    """The comments of a session the actor may see now (rules.comment_visible: their own, the other readers' once
    they are done, all of them once every reader is done or the session is closed), grouped by passage (part and
    quote) in the order of the frozen revision: comments on the whole document first, then part by part, each
    passage where it starts. NotFound unless the actor may read the document."""
    session = _session_row(session_id)
    row = session.document
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    parts = owners.get(row.owner_kind).parts
    labels = {p.key: p.label for p in parts}
    order = {p.key: i for i, p in enumerate(parts)}
    frozen = Revision.objects.filter(document=row, number=session.revision).first()
    text = (frozen.parts or {}) if frozen else {}
    rows = [c for c in _visible_comment_rows(actor, row) if c.session_id == session.id]
    groups: dict[tuple[str, str, int | None], list[CommentRecord]] = {}
    for c in _located(rows, text):
        key = (c.anchor.part, c.anchor.quote, c.start) if c.anchor else ("", "", None)
        groups.setdefault(key, []).append(c)

    def position(key: tuple[str, str, int | None]) -> tuple[int, int, int]:
        part, quote, start = key
        if not quote:
            return (-1, 0, 0)
        return (order.get(part, len(order)), start if start is not None else 2**62, 0)

    return tuple(
        PassageComments(part=k[0], part_label=labels.get(k[0], ""), quote=k[1], start=k[2], comments=tuple(v))
        for k, v in sorted(groups.items(), key=lambda item: (position(item[0]), item[1][0].id))
    )


def current_parts(*, document_id: int) -> dict[str, str]:
    """The current revision's parts of a document (no actor: for an owning app's own rules about its record, e.g.
    whether a narrative is short enough to be read in a session). Empty for an unknown document."""
    row = Document.objects.filter(pk=document_id).first()
    rev = Revision.objects.filter(document=row, number=row.current).first() if row else None
    return dict(rev.parts or {}) if rev else {}


def owners_read_in_sessions(*, owner_kind: str, person_id: int | None) -> frozenset[str]:
    """The owner ids of the documents of this kind that `person_id` was invited to read in a session (no actor:
    for an owning app's access rule, e.g. a confidential narrative is read by the readers of its sessions)."""
    if person_id is None:
        return frozenset()
    return frozenset(
        Reader.objects.filter(session__document__owner_kind=owner_kind, person_id=person_id)
        .values_list("session__document__owner_id", flat=True)
        .distinct()
    )


def _session_row(session_id: int) -> ReadingSession:
    try:
        wanted = int(session_id)
    except (TypeError, ValueError):
        wanted = 0
    row = None
    if 0 < wanted < 2**63:
        row = ReadingSession.objects.filter(pk=wanted).select_related("document").prefetch_related("readers").first()
    if row is None:
        raise NotFound(f"reading session {session_id} not found")
    return row


def _close(actor: Actor, session: ReadingSession, row: Document, *, version: int, reason: str) -> None:
    update_versioned(
        session, expected_version=version, changes={"state": SessionState.CLOSED.value, "closed_at": clock.now()}
    )
    audit_services.record_change(
        actor=actor,
        verb="close_session",
        subject_type=SUBJECT,
        subject_id=row.id,
        subject_label=row.title,
        before={"session": session.id, "state": SessionState.READING.value},
        after={"session": session.id, "state": SessionState.CLOSED.value},
        reason=reason,
    )
    _notify_session_comments(actor, session, row)


def _clean_minutes(minutes: object) -> int:
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise RuleViolation("the time-box is a whole number of minutes", field="minutes")
    if not SESSION_MIN_MINUTES <= minutes <= SESSION_MAX_MINUTES:
        raise RuleViolation(
            f"the time-box is {SESSION_MIN_MINUTES} to {SESSION_MAX_MINUTES} minutes, not {minutes}", field="minutes"
        )
    return minutes


def _clean_session_revision(row: Document, revision: object) -> int:
    if revision is None:
        return row.current
    if isinstance(revision, bool) or not isinstance(revision, int) or not 1 <= revision <= row.current:
        raise RuleViolation(f"the document has revisions 1 to {row.current}, not {revision!r}", field="revision")
    return revision


def _clean_readers(actor: Actor, row: Document, reader_ids: Sequence[int]) -> list[int]:
    if isinstance(reader_ids, str | bytes) or not isinstance(reader_ids, Sequence | set | frozenset):
        raise RuleViolation("name the readers by their person ids", field="reader_ids")
    wanted: list[int] = []
    for value in reader_ids:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value < 2**63:
            raise RuleViolation(f"{value!r} is not a person id", field="reader_ids")
        if value not in wanted:
            wanted.append(value)
    if not wanted:
        raise RuleViolation("a reading session needs at least one reader", field="reader_ids")
    if len(wanted) > SESSION_MAX_READERS:
        raise RuleViolation(f"a reading session has at most {SESSION_MAX_READERS} readers", field="reader_ids")
    if actor.person_id in wanted:
        raise RuleViolation("the presenter is not one of the readers", field="reader_ids")
    people = org_services.get_people(actor=actor, ids=wanted)
    missing = [str(i) for i in wanted if i not in people]
    if missing:
        raise RuleViolation(f"no person has the id {', '.join(missing)}", field="reader_ids")
    cannot: list[str] = []
    for pid in wanted:
        person = people[pid]
        if not person.active:
            cannot.append(f"{person.handle} (no longer active)")
            continue
        try:
            reader = org_services.actor_for_handle(handle=person.handle)
        except NotFound:
            cannot.append(f"{person.handle} (no account)")
            continue
        if row.owner_id not in _policy.access(reader, row.owner_kind, frozenset({row.owner_id})):
            cannot.append(f"{person.handle} (may not read it)")
    if cannot:
        raise RuleViolation("these people cannot read this document: " + ", ".join(cannot), field="reader_ids")
    return wanted


def _to_session(row: ReadingSession) -> ReadingSessionRecord:
    return ReadingSessionRecord(
        id=SessionId(row.id),
        document_id=DocumentId(row.document_id),
        revision=row.revision,
        presenter_id=row.presenter_id,
        minutes=row.minutes,
        state=SessionState(row.state),
        started_at=row.started_at,
        ends_at=row.ends_at,
        closed_at=row.closed_at,
        readers=tuple(ReaderRecord(person_id=r.person_id, done_at=r.done_at) for r in row.readers.all()),
        version=row.version,
    )


# --- comments (helper `docs`) -----------------------------------------------------------------------------------

MAX_COMMENT = 20_000
MAX_QUOTE = 2_000
MAX_CONTEXT = 200  # the prefix and suffix kept around a quote, to find it again (rules.locate)
DERIVED_CONTEXT = 40  # context taken from the text when the caller gave none
COMMENT_KIND = "document.comment"

notifications_services.declare_kinds(kinds=[COMMENT_KIND])


def add_comment(
    *,
    actor: Actor,
    document_id: int,
    body: str,
    revision: int | None = None,
    anchor: Anchor | None = None,
    session_id: int | None = None,
) -> CommentRecord:
    """Comment on a document (MECHANISMS.md §6: "readers comment"), on a revision (the current one by default),
    about a passage (`anchor`: its part and a quote that occurs in that revision's part) or the whole document.

    Rules: the owner's COMMENT access; a body of 1..20000 characters (Markdown); the quote must occur in the
    revision's part (RuleViolation naming `anchor.quote`); prefix and suffix are clipped to 200 characters and taken
    from the text when not given. In a reading session (named, or the open one the actor is reading in) the author
    must be one of its readers while it is reading, and the comment is on its frozen revision: it stays hidden from
    the others until they are done (rules.comment_visible), and its notice waits. Otherwise the document's creator
    is told, by title and link only. Raises NotFound, PermissionDenied, RuleViolation."""
    row = _row(document_id)
    owner = owners.get(row.owner_kind)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.COMMENT, document_id=row.id)
    text = _clean_comment_body(body)
    session = _comment_session(actor, row, session_id)
    number = _comment_revision(row, revision, session)
    rev = Revision.objects.get(document=row, number=number)
    clean = _clean_anchor(owner, anchor, rev.parts or {})
    with transaction.atomic():
        comment = Comment.objects.create(
            document=row,
            revision=number,
            part=clean.part if clean else "",
            quote=clean.quote if clean else "",
            prefix=clean.prefix if clean else "",
            suffix=clean.suffix if clean else "",
            body=text,
            author_id=actor.person_id,
            session=session,
        )
        # A comment of silent reading is its own subject in the log, read under the hidden-comments rule (so the
        # document's history does not tell the presenter who has commented before every reader is done).
        audit_services.record_change(
            actor=actor,
            verb="comment",
            subject_type=SESSION_COMMENT_SUBJECT if session else SUBJECT,
            subject_id=comment.id if session else row.id,
            subject_label=row.title,
            after={
                "comment": comment.id,
                "revision": number,
                "part": comment.part,
                "session": session.id if session else None,
            },
        )
        if session is None and row.created_by_id:
            notifications_services.notify(
                actor=actor,
                recipients=[row.created_by_id],
                kind=COMMENT_KIND,
                title=f"New comment on {row.title}"[:200],
                url=owner.url(row.owner_id),
                subject_type=SUBJECT,
                subject_id=row.id,
            )
    rows = _located([comment], rev.parts or {})
    return rows[0]


def _notify_session_comments(actor: Actor, session: ReadingSession, row: Document) -> None:
    """The notice a comment made during silent reading waited for: once the session closes, the document's creator
    hears how many comments it brought (title, count and link only), inside the closing transaction."""
    count = Comment.objects.filter(session=session).exclude(author_id=row.created_by_id).count()
    if not count or not row.created_by_id:
        return
    notifications_services.notify(
        actor=actor,
        recipients=[row.created_by_id],
        kind=COMMENT_KIND,
        title=f"{count} comment{'s' if count != 1 else ''} from silent reading on {row.title}"[:200],
        url=owners.get(row.owner_kind).url(row.owner_id),
        subject_type=SUBJECT,
        subject_id=row.id,
    )


def list_comments(
    *,
    actor: Actor,
    document_id: int,
    revision: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[CommentRecord]:
    """The comments the actor may see, oldest first, each judged against `revision` (the current one by default):
    FOUND with where its passage starts, CHANGED when its passage was edited or removed since the comment's own
    revision, DOCUMENT for a comment on the whole document.

    MECHANISMS.md §6: during a reading session a reader's comments are hidden from every other reader until that
    viewer is done reading, and from the presenter until every reader is done (rules.comment_visible); the total
    counts only what the actor may see. Raises NotFound (unreadable document or revision)."""
    row = _row(document_id)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    rev = _revision_row(row, revision)
    visible = _visible_comment_rows(actor, row)
    limit, offset = clamp_limit(limit), clamp_offset(offset)
    items = _located(visible[offset : offset + limit], rev.parts or {})
    return Page(items=items, total=len(visible), limit=limit, offset=offset)


def count_comments(*, actor: Actor, document_id: int, unresolved: bool = False) -> int:
    """How many comments the actor may see on the document (the hidden-comments rule holds for counts too)."""
    row = _row(document_id)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    return sum(1 for c in _visible_comment_rows(actor, row) if not (unresolved and c.resolved))


def resolve_comment(*, actor: Actor, comment_id: int, version: int) -> CommentRecord:
    """Mark a comment resolved: by the document's revisers (the owner's REVISE access) or the comment's author.
    A comment the actor may not see is NotFound, as is its document. Raises NotFound, PermissionDenied,
    RuleViolation (already resolved), Conflict (a stale `version`)."""
    comment = _comment_row(actor, comment_id)
    row = comment.document
    granted = _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    if Access.REVISE not in granted and comment.author_id != actor.person_id:
        raise PermissionDenied("only the document's revisers or the comment's author may resolve a comment")
    if comment.resolved:
        raise RuleViolation("this comment is already resolved", field="resolved")
    with transaction.atomic():
        comment = update_versioned(comment, expected_version=version, changes={"resolved": True})
        audit_services.record_change(
            actor=actor,
            verb="resolve_comment",
            subject_type=SUBJECT,
            subject_id=row.id,
            subject_label=row.title,
            before={"comment": comment.id, "resolved": False},
            after={"comment": comment.id, "resolved": True},
        )
    current = Revision.objects.get(document=row, number=row.current)
    return _located([comment], current.parts or {})[0]


def document_view(
    *,
    actor: Actor,
    document_id: int,
    revision: int | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> DocumentView:
    """What the documents' page partials show (docs/documents.md "Embedding"): one revision (the current one by
    default) part by part, with the comments the actor may see judged against it (the hidden-comments rule holds
    here as in list_comments) and marked where their passage is, and the live attachments. Raises NotFound."""
    row = _row(document_id)
    granted = _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    owner = owners.get(row.owner_kind)
    rev = _revision_row(row, revision)
    parts = rev.parts or {}
    located = _located(_visible_comment_rows(actor, row), parts)
    attachments = tuple(_to_attachment(a) for a in Attachment.objects.filter(document=row, removed_at__isnull=True))
    wanted = {c.author_id for c in located} | {rev.author_id}
    people = org_services.get_people(actor=actor, ids={p for p in wanted if p is not None})
    labels = {p.key: p.label for p in owner.parts}

    def entry(c: CommentRecord) -> CommentEntry:
        author = people.get(c.author_id) if c.author_id is not None else None
        part = labels.get(c.anchor.part, c.anchor.part) if c.anchor else ""
        return CommentEntry(comment=c, author=author.name if author else "someone", part_label=part)

    entries = [entry(c) for c in located]
    sections = tuple(
        PartView(
            key=p.key,
            label=p.label,
            text=parts.get(p.key, ""),
            markers=tuple(
                sorted(
                    (e for e in entries if e.comment.status == AnchorStatus.FOUND and e.comment.anchor.part == p.key),
                    key=lambda e: e.comment.start or 0,
                )
            ),
        )
        for p in owner.parts
    )
    limit, offset = clamp_limit(limit), clamp_offset(offset)
    author = people.get(rev.author_id) if rev.author_id is not None else None
    return DocumentView(
        document=_to_document(row, granted),
        revision=_to_revision(rev, owner.parts),
        revision_author=author.name if author else "",
        sections=sections,
        comments=Page(items=entries[offset : offset + limit], total=len(entries), limit=limit, offset=offset),
        changed=tuple(e for e in entries if e.comment.status == AnchorStatus.CHANGED),
        attachments=attachments,
        owner_label=owner.label,
        owner_url=owner.url(row.owner_id),
    )


# --- attachments (helper `docs`) --------------------------------------------------------------------------------

ATTACHMENT_TYPES = frozenset({files.PNG, files.JPEG, files.GIF, files.WEBP, files.PDF})
ATTACHMENT_KEY_PREFIX = "documents/"
MAX_FILE_NAME = 200


def attachment_max_bytes() -> int:
    """The largest attachment accepted, in bytes (`MECH_ATTACHMENT_MAX_BYTES`, 10 MiB by default)."""
    return int(settings.MECHANISMS.get("ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024))


def attach_file(
    *, actor: Actor, document_id: int, name: str, content: bytes, purpose: AttachmentPurpose | str
) -> AttachmentRecord:
    """Attach a file (a mockup, an image, a PDF) to a document (issue 11 item 1; MECHANISMS.md §6: a PR/FAQ is
    approved for staffing only with mockups attached).

    Rules: the owner's ATTACH access; at most `MECH_ATTACHMENT_MAX_BYTES`; the type is recognised from the content
    (kernel.files): PNG, JPEG, GIF, WebP or PDF; SVG and HTML are refused (they can carry script), as is anything
    else, naming `file`. Stored under a random key in the default storage (disk, or S3-compatible storage when
    configured), read only through `read_attachment`. Raises NotFound, PermissionDenied, RuleViolation."""
    row = _row(document_id)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.ATTACH, document_id=row.id)
    clean_purpose = _clean_purpose(purpose)
    clean_name = _clean_file_name(name)
    if not isinstance(content, bytes | bytearray):
        raise RuleViolation("the file must be bytes", field="file")
    content = bytes(content)
    limit = attachment_max_bytes()
    if not content:
        raise RuleViolation("the file is empty", field="file")
    if len(content) > limit:
        raise RuleViolation(f"the file is larger than {limit} bytes", field="file")
    content_type = files.sniff(content, clean_name, ATTACHMENT_TYPES, field="file", noun="the file")
    key = default_storage.save(f"{ATTACHMENT_KEY_PREFIX}{secrets.token_hex(16)}", ContentFile(content))
    try:
        with transaction.atomic():
            attachment = Attachment.objects.create(
                document=row,
                name=clean_name,
                content_type=content_type,
                size=len(content),
                sha256=hashlib.sha256(content).hexdigest(),
                storage_key=key,
                purpose=clean_purpose.value,
                uploaded_by_id=actor.person_id,
                created_at=clock.now(),
            )
            audit_services.record_change(
                actor=actor,
                verb="attach",
                subject_type=SUBJECT,
                subject_id=row.id,
                subject_label=row.title,
                after={"attachment": attachment.id, "purpose": clean_purpose.value, "content_type": content_type},
            )
    except BaseException:
        default_storage.delete(key)  # nothing was written: the file must not stay behind
        raise
    return _to_attachment(attachment)


def list_attachments(
    *,
    actor: Actor,
    document_id: int,
    purpose: AttachmentPurpose | str | None = None,
    limit: int | None = None,
    offset: int | None = None,
) -> Page[AttachmentRecord]:
    """The document's live attachments, oldest first (of one purpose when given). Raises NotFound."""
    row = _row(document_id)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    qs = Attachment.objects.filter(document=row, removed_at__isnull=True)
    if purpose is not None:
        qs = qs.filter(purpose=_clean_purpose(purpose).value)
    limit, offset = clamp_limit(limit), clamp_offset(offset)
    items = [_to_attachment(a) for a in qs[offset : offset + limit]]
    return Page(items=items, total=qs.count(), limit=limit, offset=offset)


def get_attachment(*, actor: Actor, attachment_id: int) -> AttachmentRecord:
    """One live attachment's description, for readers of its document (NotFound for everyone else)."""
    return _to_attachment(_attachment_row(actor, attachment_id, Access.READ))


def read_attachment(*, actor: Actor, attachment_id: int) -> AttachmentFile:
    """A live attachment's bytes, for readers of its document as the owner decides (NotFound for everyone else,
    and for a removed attachment): the one door through which attached files are served."""
    attachment = _attachment_row(actor, attachment_id, Access.READ)
    with default_storage.open(attachment.storage_key, "rb") as handle:
        content = handle.read()
    return AttachmentFile(name=attachment.name, content_type=attachment.content_type, content=content)


def remove_attachment(*, actor: Actor, attachment_id: int) -> AttachmentRecord:
    """Remove an attachment from its document (the owner's ATTACH access): the row stays for the history, the file
    is deleted once the removal commits. Raises NotFound (also when already removed), PermissionDenied."""
    attachment = _attachment_row(actor, attachment_id, Access.ATTACH)
    row = attachment.document
    now = clock.now()
    with transaction.atomic():
        # A compare-and-set on removed_at: of two removals exactly one happens (the other is a 404).
        if not Attachment.objects.filter(pk=attachment.pk, removed_at__isnull=True).update(removed_at=now):
            raise NotFound(f"attachment {attachment_id} not found")
        audit_services.record_change(
            actor=actor,
            verb="remove_attachment",
            subject_type=SUBJECT,
            subject_id=row.id,
            subject_label=row.title,
            before={"attachment": attachment.id, "purpose": attachment.purpose},
        )
        key = attachment.storage_key
        transaction.on_commit(lambda: default_storage.delete(key))
    attachment.removed_at = now
    return _to_attachment(attachment)


def count_attachments(*, document_id: int, purpose: AttachmentPurpose | str) -> int:
    """How many live attachments of this purpose a document has, for an owner's guard ("approved for staffing only
    with mockups attached", MECHANISMS.md §6). No actor: it returns a number, never a record; the owner has
    already decided who is asking."""
    clean = _clean_purpose(purpose)
    if not 0 < int(document_id) < 2**63:
        return 0
    return Attachment.objects.filter(document_id=int(document_id), purpose=clean.value, removed_at__isnull=True).count()


# --- private --------------------------------------------------------------------------------------------------


def _row(document_id: int) -> Document:
    row = Document.objects.filter(pk=document_id).first() if 0 < int(document_id) < 2**63 else None
    if row is None:
        raise NotFound(f"document {document_id} not found")
    return row


def _clean_title(title: str) -> str:
    text = (title or "").strip()
    if not text:
        raise RuleViolation("a document needs a title", field="title")
    if len(text) > MAX_TITLE:
        raise RuleViolation(f"the title is longer than {MAX_TITLE} characters", field="title")
    if "\x00" in text:
        raise RuleViolation("the title must be text without NUL characters", field="title")
    return text


def _clean_note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE or "\x00" in text:
        raise RuleViolation(f"the revision note must be text of at most {MAX_NOTE} characters", field="note")
    return text


def _clean_parts(owner: DocumentOwner, parts: Mapping[str, str]) -> dict[str, str]:
    known = {p.key for p in owner.parts}
    out: dict[str, str] = {}
    for key, value in parts.items():
        if key not in known:
            raise RuleViolation(f"a {owner.label} has no part {key!r}", field=f"parts.{key}")
        if value is None:
            value = ""
        if not isinstance(value, str):
            raise RuleViolation("a part's text must be a string", field=f"parts.{key}")
        if "\x00" in value:
            raise RuleViolation("text must not contain NUL characters", field=f"parts.{key}")
        if len(value) > MAX_PART_CHARS:
            raise RuleViolation(f"a part is limited to {MAX_PART_CHARS} characters", field=f"parts.{key}")
        out[key] = value.replace("\r\n", "\n")
    return out


def _to_document(row: Document, access: frozenset[Access]) -> DocumentRecord:
    return DocumentRecord(
        id=DocumentId(row.id),
        owner_kind=row.owner_kind,
        owner_id=row.owner_id,
        title=row.title,
        revision=row.current,
        version=row.version,
        created_by_id=row.created_by_id,
        created_at=row.created_at,
        updated_at=row.updated_at,
        access=access,
    )


def _to_revision(row: Revision, parts: tuple[Part, ...]) -> RevisionRecord:
    stored = row.parts or {}
    ordered = {p.key: stored.get(p.key, "") for p in parts}
    return RevisionRecord(
        document_id=DocumentId(row.document_id),
        number=row.number,
        parts=ordered,
        note=row.note,
        author_id=row.author_id,
        created_at=row.created_at,
    )


# --- private: comments and attachments (helper `docs`) ---------------------------------------------------------


def _revision_row(row: Document, number: int | None) -> Revision:
    rev = Revision.objects.filter(document=row, number=row.current if number is None else number).first()
    if rev is None:
        raise NotFound(f"document {row.id} has no revision {number}", field="revision")
    return rev


def _clean_comment_body(body: str) -> str:
    if not isinstance(body, str):
        raise RuleViolation("a comment is text", field="body")
    text = body.replace("\r\n", "\n").strip()
    if not text:
        raise RuleViolation("a comment needs some text", field="body")
    if len(text) > MAX_COMMENT:
        raise RuleViolation(f"a comment is limited to {MAX_COMMENT} characters", field="body")
    if "\x00" in text:
        raise RuleViolation("text must not contain NUL characters", field="body")
    return text


def _comment_session(actor: Actor, row: Document, session_id: int | None) -> ReadingSession | None:
    """The reading session a comment belongs to: the one named, or the open one the actor reads in (a reader's
    comment during silent reading is always hidden, whichever door it came through)."""
    if session_id is None:
        reader = (
            Reader.objects.filter(
                session__document=row, session__state=SessionState.READING.value, person_id=actor.person_id
            )
            .select_related("session")
            .order_by("-session__started_at", "-session_id")
            .first()
            if actor.person_id is not None
            else None
        )
        return reader.session if reader else None
    session = ReadingSession.objects.filter(pk=session_id, document=row).first() if 0 < session_id < 2**63 else None
    if session is None:
        raise NotFound(f"document {row.id} has no reading session {session_id}", field="session_id")
    if session.state != SessionState.READING.value:
        raise RuleViolation("this reading session is closed: comment outside it", field="session_id")
    if actor.person_id is None or not session.readers.filter(person_id=actor.person_id).exists():
        raise PermissionDenied("only the session's readers comment in a reading session")
    return session


def _comment_revision(row: Document, revision: int | None, session: ReadingSession | None) -> int:
    if session is not None:
        if revision is not None and revision != session.revision:
            raise RuleViolation(
                f"a comment in this reading session is on its frozen revision {session.revision}", field="revision"
            )
        return session.revision
    if revision is None:
        return row.current
    if not isinstance(revision, int) or not Revision.objects.filter(document=row, number=revision).exists():
        raise RuleViolation(f"document {row.id} has no revision {revision}", field="revision")
    return revision


def _clean_anchor(owner: DocumentOwner, anchor: Anchor | None, parts: Mapping[str, str]) -> Anchor | None:
    if anchor is None:
        return None
    if anchor.part not in {p.key for p in owner.parts}:
        raise RuleViolation(f"a {owner.label} has no part {anchor.part!r}", field="anchor.part")
    for name in ("quote", "prefix", "suffix"):
        value = getattr(anchor, name)
        if not isinstance(value, str) or "\x00" in value:
            raise RuleViolation("the passage must be text without NUL characters", field=f"anchor.{name}")
    quote = anchor.quote.replace("\r\n", "\n")
    if not quote.strip():
        raise RuleViolation("quote the passage the comment is about", field="anchor.quote")
    if len(quote) > MAX_QUOTE:
        raise RuleViolation(f"a quoted passage is limited to {MAX_QUOTE} characters", field="anchor.quote")
    text = parts.get(anchor.part, "")
    # Words selected on the rendered page stand for the Markdown source they came from (rules.source_passage).
    quote = rules.source_passage(text, quote) or quote
    prefix = anchor.prefix.replace("\r\n", "\n")[-MAX_CONTEXT:]
    suffix = anchor.suffix.replace("\r\n", "\n")[:MAX_CONTEXT]
    status, start = rules.locate(Anchor(part=anchor.part, quote=quote, prefix=prefix, suffix=suffix), parts)
    if status != AnchorStatus.FOUND or start is None:
        raise RuleViolation("the quoted passage is not in this revision's part", field="anchor.quote")
    # Context not given is taken from the text, so the passage can be told apart from its twins later.
    if not anchor.prefix:
        prefix = text[max(0, start - DERIVED_CONTEXT) : start]
    if not anchor.suffix:
        suffix = text[start + len(quote) : start + len(quote) + DERIVED_CONTEXT]
    return Anchor(part=anchor.part, quote=quote, prefix=prefix, suffix=suffix)


def _session_facts(session_ids: set[int]) -> dict[int, rules.SessionFacts]:
    """The hidden-comments rule's facts of these sessions, in two queries."""
    if not session_ids:
        return {}
    readers: dict[int, dict[int, bool]] = {}
    for session_id, person_id, done_at in Reader.objects.filter(session_id__in=session_ids).values_list(
        "session_id", "person_id", "done_at"
    ):
        readers.setdefault(session_id, {})[person_id] = done_at is not None
    return {
        s.id: rules.SessionFacts(
            presenter_id=s.presenter_id,
            readers=readers.get(s.id, {}),
            closed=s.state == SessionState.CLOSED.value,
        )
        for s in ReadingSession.objects.filter(pk__in=session_ids)
    }


def _visible_comment_rows(actor: Actor, row: Document) -> list[Comment]:
    """Every comment of the document the actor may see now (rules.comment_visible, asked of every comment)."""
    comments = list(Comment.objects.filter(document=row).order_by("id"))
    facts = _session_facts({c.session_id for c in comments if c.session_id is not None})
    return [
        c
        for c in comments
        if rules.comment_visible(
            viewer_id=actor.person_id,
            author_id=c.author_id,
            session=facts.get(c.session_id) if c.session_id is not None else None,
        )
    ]


def visible_comment_ids(*, actor: Actor, comment_ids: frozenset[int]) -> frozenset[int]:
    """Which of these comments the actor may see now: their document is readable (asked of its owner) and the
    hidden-comments rule of silent reading lets them (rules.comment_visible). The audit history's resolver for
    comments made in a reading session."""
    comments = list(Comment.objects.filter(pk__in=comment_ids).select_related("document"))
    readable = readable_document_ids(actor=actor, document_ids=frozenset(c.document_id for c in comments))
    facts = _session_facts({c.session_id for c in comments if c.session_id is not None})
    return frozenset(
        c.id
        for c in comments
        if c.document_id in readable
        and rules.comment_visible(
            viewer_id=actor.person_id,
            author_id=c.author_id,
            session=facts.get(c.session_id) if c.session_id is not None else None,
        )
    )


def _comment_row(actor: Actor, comment_id: int) -> Comment:
    """A comment the actor may see, or NotFound (its document unreadable, or the comment hidden from them)."""
    comment = (
        Comment.objects.filter(pk=comment_id).select_related("document").first() if 0 < comment_id < 2**63 else None
    )
    if comment is None:
        raise NotFound(f"comment {comment_id} not found")
    row = comment.document
    if _policy.access(actor, row.owner_kind, frozenset({row.owner_id})).get(row.owner_id) is None:
        raise NotFound(f"comment {comment_id} not found")
    facts = _session_facts({comment.session_id}) if comment.session_id else {}
    session = facts.get(comment.session_id) if comment.session_id else None
    if not rules.comment_visible(viewer_id=actor.person_id, author_id=comment.author_id, session=session):
        raise NotFound(f"comment {comment_id} not found")
    return comment


def _located(comments: list[Comment], parts: Mapping[str, str]) -> list[CommentRecord]:
    out = []
    for c in comments:
        anchor = Anchor(part=c.part, quote=c.quote, prefix=c.prefix, suffix=c.suffix) if c.quote else None
        status, start = rules.locate(anchor, parts)
        out.append(_to_comment(c, anchor, status, start))
    return out


def _to_comment(row: Comment, anchor: Anchor | None, status: AnchorStatus, start: int | None) -> CommentRecord:
    return CommentRecord(
        id=CommentId(row.id),
        document_id=DocumentId(row.document_id),
        revision=row.revision,
        anchor=anchor,
        body=row.body,
        author_id=row.author_id,
        created_at=row.created_at,
        session_id=SessionId(row.session_id) if row.session_id else None,
        resolved=row.resolved,
        version=row.version,
        status=status,
        start=start,
    )


def _clean_purpose(purpose: AttachmentPurpose | str) -> AttachmentPurpose:
    try:
        return AttachmentPurpose(purpose)
    except ValueError:
        allowed = ", ".join(p.value for p in AttachmentPurpose)
        raise RuleViolation(f"the purpose must be one of: {allowed}", field="purpose") from None


def _clean_file_name(name: str) -> str:
    if not isinstance(name, str):
        raise RuleViolation("the file needs a name", field="name")
    # Only the last path segment: a name is shown and sent back in a header, never used as a path.
    text = name.replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not text or text in {".", ".."}:
        raise RuleViolation("the file needs a name", field="name")
    if len(text) > MAX_FILE_NAME:
        raise RuleViolation(f"a file name is limited to {MAX_FILE_NAME} characters", field="name")
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        raise RuleViolation("a file name must not contain control characters", field="name")
    return text


def _attachment_row(actor: Actor, attachment_id: int, what: Access) -> Attachment:
    attachment = (
        Attachment.objects.filter(pk=attachment_id, removed_at__isnull=True).select_related("document").first()
        if 0 < attachment_id < 2**63
        else None
    )
    if attachment is None:
        raise NotFound(f"attachment {attachment_id} not found")
    row = attachment.document
    if _policy.access(actor, row.owner_kind, frozenset({row.owner_id})).get(row.owner_id) is None:
        raise NotFound(f"attachment {attachment_id} not found")  # its document is unreadable: nothing is said
    _policy.require(actor, row.owner_kind, row.owner_id, what, document_id=row.id)
    return attachment


def _to_attachment(row: Attachment) -> AttachmentRecord:
    return AttachmentRecord(
        id=AttachmentId(row.id),
        document_id=DocumentId(row.document_id),
        name=row.name,
        content_type=row.content_type,
        size=row.size,
        sha256=row.sha256,
        purpose=row.purpose,
        uploaded_by_id=row.uploaded_by_id,
        created_at=row.created_at,
    )


# --- PDF export (helper `pdfseal`) ------------------------------------------------------------------------------
#
# One revision of a document as a PDF (issue 11 item 6: a PR/FAQ, a narrative, a decision). The PDF is drawn by
# kernel.pdf, which fetches nothing but the resources handed to it: here, the document's own image attachments,
# read through the same owner check as every other read. Comments are not printed: a PDF is passed around, and
# who may see a comment depends on who is reading (a reading session hides them), which paper cannot know.

PDF_IMAGE_PURPOSES = frozenset({AttachmentPurpose.MOCKUP.value, AttachmentPurpose.IMAGE.value})
PDF_IMAGE_TYPES = frozenset({files.PNG, files.JPEG, files.GIF, files.WEBP})
PDF_TEMPLATE = "documents/pdf.html"


def attachment_paths(*, document_id: int, attachment_id: int) -> tuple[str, ...]:
    """The URLs by which a document's Markdown may embed one of its attachments (the page's and the API's
    download), which the PDF export resolves to the attachment itself."""
    return (
        f"/documents/{document_id}/attachments/{attachment_id}",
        f"/api/v1/documents/attachments/{attachment_id}",
    )


def export_pdf(*, actor: Actor, document_id: int, revision: int | None = None) -> tuple[str, bytes]:
    """The PDF of one revision of a document (the current one by default): its title, owner and revision, every
    part under its label rendered by the one Markdown renderer, then its image and mockup attachments, embedded.
    Returns (file name, bytes).

    Issue 11 item 6; MECHANISMS.md §6: visibility is the owner's (Access.READ), so a PR/FAQ outside the reader's
    circle is NotFound here as through every other door. Nothing outside the document is fetched (kernel.pdf).
    Raises NotFound (an unreadable document, a revision it does not have)."""
    from django.template.loader import render_to_string

    from mechanisms.kernel.pdf import html_to_pdf

    row = _row(document_id)
    _policy.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    owner = owners.get(row.owner_kind)
    rev = _revision_row(row, revision)
    stored = rev.parts or {}
    attachments = list(Attachment.objects.filter(document=row, removed_at__isnull=True).order_by("id"))
    resources: dict[str, tuple[bytes, str]] = {}
    figures, others = [], []
    for attachment in attachments:
        if attachment.content_type in PDF_IMAGE_TYPES:  # the body may show any of its own images
            with default_storage.open(attachment.storage_key, "rb") as handle:
                content = handle.read()
            for path in attachment_paths(document_id=row.id, attachment_id=attachment.id):
                resources[path] = (content, attachment.content_type)
        if attachment.purpose in PDF_IMAGE_PURPOSES and attachment.content_type in PDF_IMAGE_TYPES:
            src = attachment_paths(document_id=row.id, attachment_id=attachment.id)[0]
            figures.append({"src": src, "name": attachment.name})
        else:
            others.append({"name": attachment.name, "purpose": attachment.purpose, "size": attachment.size})
    author = org_services.get_people(actor=actor, ids={rev.author_id} if rev.author_id else set())
    html = render_to_string(
        PDF_TEMPLATE,
        {
            "title": row.title,
            "owner_label": owner.label,
            "revision": rev.number,
            "revisions": row.current,
            "written_at": rev.created_at,
            "author": next((p.name for p in author.values()), ""),
            "parts": [{"label": p.label, "text": stored.get(p.key, "")} for p in owner.parts],
            "figures": figures,
            "others": others,
        },
    )
    return _pdf_file_name(row.title, rev.number), html_to_pdf(html, resources=resources)


def _pdf_file_name(title: str, number: int) -> str:
    """A file name safe in a Content-Disposition header and on every file system: ASCII letters, digits, dashes."""
    slug = "".join(c.lower() if c.isascii() and c.isalnum() else "-" for c in title)
    slug = "-".join(part for part in slug.split("-") if part)[:80] or "document"
    return f"{slug}-r{number}.pdf"
