"""Public contracts of the documents app: documents, revisions, comments, attachments, reading sessions, and the
access an owning app grants."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NewType

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.pagination import Page

DocumentId = NewType("DocumentId", int)
CommentId = NewType("CommentId", int)
AttachmentId = NewType("AttachmentId", int)
SessionId = NewType("SessionId", int)


class Access(enum.StrEnum):
    """What an owning app lets a person do with its document (DocumentOwner.access answers with a set of these)."""

    READ = "read"
    COMMENT = "comment"
    REVISE = "revise"
    ATTACH = "attach"
    PRESENT = "present"  # start and close reading sessions


@dataclass(frozen=True, slots=True)
class Part:
    """One named section of a document's body, declared by the owning app (a PR/FAQ's headline, a narrative's body
    and appendix). `counted` parts count towards a page limit; `core` parts are required by the owner's rules."""

    key: str
    label: str
    help: str = ""
    multiline: bool = True
    counted: bool = True


@dataclass(frozen=True, slots=True)
class DocumentOwner:
    """How an owning app's kind of record holds documents (documents.services.register_owner).

    `access(actor, owner_ids)` returns, per owner id the actor may read, the set of Access values they have; an id
    left out is unreadable (a 404 through every door). `url(owner_id)` is the owner's page. `parts` is the body's
    sections in order. `frozen(owner_id)` says why the body may not be revised now ("" when it may)."""

    kind: str
    label: str
    parts: tuple[Part, ...]
    access: Callable[[Actor, frozenset[str]], Mapping[str, frozenset[Access]]]
    url: Callable[[str], str]
    frozen: Callable[[str], str] | None = None
    # Why a reading session may not start on this record's document now ("" when it may): a narrative over six
    # pages is not read in a meeting (MECHANISMS.md §6). Asked by documents.services.start_session.
    session_refused: Callable[[str], str] | None = None
    # The owner's rules on the text of a new revision, whichever door it comes through (the owner's own form or the
    # documents API): raises RuleViolation naming the part. Hiring: an open opening keeps a written job description.
    check: Callable[[str, Mapping[str, str]], None] | None = None


@dataclass(frozen=True, slots=True)
class DocumentRecord:
    """A document: its owner, title, current revision number and what the reader may do with it."""

    id: DocumentId
    owner_kind: str
    owner_id: str
    title: str
    revision: int
    version: int
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    access: frozenset[Access] = frozenset()

    def can(self, what: Access | str) -> bool:
        return Access(what) in self.access


@dataclass(frozen=True, slots=True)
class RevisionRecord:
    """One kept revision of a document's body: its parts (key -> Markdown) in the owner's order."""

    document_id: DocumentId
    number: int
    parts: Mapping[str, str]
    note: str
    author_id: int | None
    created_at: dt.datetime

    def text(self, key: str) -> str:
        return self.parts.get(key, "")


@dataclass(frozen=True, slots=True)
class Anchor:
    """The passage a comment is about, as a quote with a little context on each side (so it can be found again in
    later revisions, where its position has moved)."""

    part: str
    quote: str
    prefix: str = ""
    suffix: str = ""


class AnchorStatus(enum.StrEnum):
    """Where a comment's passage is in the revision being shown."""

    DOCUMENT = "document"  # about the whole document, no passage
    FOUND = "found"  # the passage is there, unchanged
    CHANGED = "changed"  # the passage was changed or removed since the comment was made


@dataclass(frozen=True, slots=True)
class CommentRecord:
    """A comment on a document, made on one revision, optionally about a passage and within a reading session."""

    id: CommentId
    document_id: DocumentId
    revision: int
    anchor: Anchor | None
    body: str
    author_id: int | None
    created_at: dt.datetime
    session_id: SessionId | None = None
    resolved: bool = False
    version: int = 1
    status: AnchorStatus = AnchorStatus.DOCUMENT  # judged against the revision being shown
    start: int | None = None  # where the passage starts in that revision's part, when FOUND


@dataclass(frozen=True, slots=True)
class AttachmentRecord:
    """A file attached to a document (a mockup, an image, a PDF), read only through the owner's access check."""

    id: AttachmentId
    document_id: DocumentId
    name: str
    content_type: str
    size: int
    sha256: str
    purpose: str  # AttachmentPurpose value
    uploaded_by_id: int | None
    created_at: dt.datetime


class AttachmentPurpose(enum.StrEnum):
    """Why a file is attached: a PR/FAQ is approved for staffing only with a mockup attached (MECHANISMS.md §6)."""

    MOCKUP = "mockup"
    IMAGE = "image"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    """An attachment's bytes, for the one door that serves them."""

    name: str
    content_type: str
    content: bytes


class SessionState(enum.StrEnum):
    """A reading session is open while its readers read, then closed (by its presenter, or when its time is up)."""

    READING = "reading"
    CLOSED = "closed"


@dataclass(frozen=True, slots=True)
class ReaderRecord:
    """A reader of a session and when they marked "done reading" (None: still reading)."""

    person_id: int
    done_at: dt.datetime | None

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass(frozen=True, slots=True)
class ReadingSessionRecord:
    """A reading session (MECHANISMS.md §6): a frozen revision, a time-box, a presenter and readers, each of whose
    comments stay hidden from everyone else until that reader marks "done reading"."""

    id: SessionId
    document_id: DocumentId
    revision: int
    presenter_id: int | None
    minutes: int
    state: SessionState
    started_at: dt.datetime
    ends_at: dt.datetime
    closed_at: dt.datetime | None
    readers: tuple[ReaderRecord, ...] = field(default_factory=tuple)
    version: int = 1

    @property
    def reader_ids(self) -> tuple[int, ...]:
        return tuple(r.person_id for r in self.readers)

    @property
    def all_done(self) -> bool:
        return all(r.done for r in self.readers)

    @property
    def open(self) -> bool:
        return self.state is SessionState.READING

    def reader(self, person_id: int | None) -> ReaderRecord | None:
        return next((r for r in self.readers if r.person_id == person_id), None)


@dataclass(frozen=True, slots=True)
class PassageComments:
    """The comments a viewer may see on one passage of a session's frozen revision (part + quote; both empty for
    comments on the whole document), in document order (documents.services.session_comments)."""

    part: str
    part_label: str
    quote: str
    start: int | None
    comments: tuple[CommentRecord, ...]


@dataclass(frozen=True, slots=True)
class PartDiff:
    """How one part changed between two revisions: unified-diff lines, or nothing when it is the same."""

    key: str
    label: str
    lines: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.lines)


@dataclass(frozen=True, slots=True)
class CommentEntry:
    """A comment as the page partials show it: with its author's name and the label of its passage's part."""

    comment: CommentRecord
    author: str
    part_label: str = ""


@dataclass(frozen=True, slots=True)
class PartView:
    """One part of the revision shown, with the comments whose passage is found in it, in order of position."""

    key: str
    label: str
    text: str
    markers: tuple[CommentEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class DocumentView:
    """Everything the documents' page partials show of one revision (services.document_view): the document, the
    revision shown part by part with the comments found in each (`sections`), the comments the viewer may see (a
    page, each judged against this revision), those whose passage changed since, and the live attachments."""

    document: DocumentRecord
    revision: RevisionRecord
    revision_author: str
    sections: tuple[PartView, ...]
    comments: Page[CommentEntry]
    changed: tuple[CommentEntry, ...]
    attachments: tuple[AttachmentRecord, ...]
    owner_label: str
    owner_url: str

    @property
    def latest(self) -> bool:
        return self.revision.number == self.document.revision

    @property
    def previous(self) -> int | None:
        return self.revision.number - 1 if self.revision.number > 1 else None

    # What the viewer may do, for templates (which cannot call `document.can(...)` with an argument).
    @property
    def can_comment(self) -> bool:
        return self.document.can(Access.COMMENT)

    @property
    def can_revise(self) -> bool:
        return self.document.can(Access.REVISE)

    @property
    def can_attach(self) -> bool:
        return self.document.can(Access.ATTACH)
