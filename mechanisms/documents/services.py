"""Public services of the documents app (DESIGN.md §2-§4). Every read and write asks the owning app what the actor
may do (owners.py); a document the actor may not read is NotFound through every door.

Owning apps create their documents (`create_document`, inside their own write, after their own checks); everyone
else reads, revises, comments and attaches through these functions, which the documents API and pages also use."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Mapping

from django.db import transaction
from django.db.models import F

from mechanisms.audit import services as audit_services
from mechanisms.kernel import clock
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.concurrency import update_versioned
from mechanisms.kernel.errors import NotFound, RuleViolation
from mechanisms.kernel.pagination import Page, clamp_limit, clamp_offset

from . import owners
from .contracts import (
    Access,
    DocumentId,
    DocumentOwner,
    DocumentRecord,
    Part,
    PartDiff,
    RevisionRecord,
)
from .models import Document, Revision

SUBJECT = "document"  # the audit subject type (history.py)
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
) -> None:
    """Declare a kind of record that owns documents (called from the owning app's AppConfig.ready()).

    The owner decides who may do what (`access`), lays out the body (`parts`) and may freeze the body (`frozen`
    says why, e.g. a PR/FAQ that was shelved). DESIGN.md §3: visibility is always asked of the owning app."""
    owners.register(DocumentOwner(kind=kind, label=label, parts=parts, access=access, url=url, frozen=frozen))


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
    owners.require(actor, row.owner_kind, row.owner_id, Access.REVISE, document_id=row.id)
    reason = owner.frozen(row.owner_id) if owner.frozen else ""
    if reason:
        raise RuleViolation(reason, field="parts")
    current = Revision.objects.get(document=row, number=row.current)
    merged = {**current.parts, **_clean_parts(owner, parts)}
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
    granted = owners.access(actor, row.owner_kind, frozenset({row.owner_id})).get(row.owner_id, frozenset())
    return _to_document(row, granted)


# --- reads ----------------------------------------------------------------------------------------------------


def get_document(*, actor: Actor, document_id: int) -> DocumentRecord:
    """A document with what the actor may do with it. NotFound when the owner does not let them read it."""
    row = _row(document_id)
    granted = owners.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    return _to_document(row, granted)


def find_document(*, actor: Actor, owner_kind: str, owner_id: str | int) -> DocumentRecord | None:
    """The document of one owning record, or None when it has none or the actor may not read it."""
    row = Document.objects.filter(owner_kind=owner_kind, owner_id=str(owner_id)).first()
    if row is None:
        return None
    granted = owners.access(actor, row.owner_kind, frozenset({row.owner_id})).get(row.owner_id)
    return None if granted is None else _to_document(row, granted)


def get_revision(*, actor: Actor, document_id: int, number: int | None = None) -> RevisionRecord:
    """One revision (the current one by default). NotFound for an unreadable document or a revision it lacks."""
    row = _row(document_id)
    owners.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
    rev = Revision.objects.filter(document=row, number=row.current if number is None else number).first()
    if rev is None:
        raise NotFound(f"document {document_id} has no revision {number}", field="revision")
    return _to_revision(rev, owners.get(row.owner_kind).parts)


def list_revisions(
    *, actor: Actor, document_id: int, limit: int | None = None, offset: int | None = None
) -> Page[RevisionRecord]:
    """Every revision of a document, newest first (paginated)."""
    row = _row(document_id)
    owners.require(actor, row.owner_kind, row.owner_id, Access.READ, document_id=row.id)
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
    rows = list(Document.objects.filter(id__in=document_ids).values_list("id", "owner_kind", "owner_id"))
    by_kind: dict[str, dict[str, int]] = {}
    for doc_id, kind, owner_id in rows:
        by_kind.setdefault(kind, {})[owner_id] = doc_id
    out: set[int] = set()
    for kind, ids in by_kind.items():
        granted = owners.access(actor, kind, frozenset(ids))
        out.update(ids[o] for o in granted)
    return frozenset(out)


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
