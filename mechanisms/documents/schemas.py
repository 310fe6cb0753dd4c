"""API schemas of the documents app (entry point only)."""

from __future__ import annotations

import datetime as dt

from ninja import Field

from mechanisms.kernel.api import Id, InSchema, OutSchema, Version

# --- documents, revisions, diffs, comments, attachments (helper `docs`) ----------------------------------------


class DocumentOut(OutSchema):
    id: int
    owner_kind: str
    owner_id: str
    title: str
    revision: int = Field(..., description="the current revision's number")
    version: int
    created_by_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    access: list[str] = Field(..., description="what you may do: read, comment, revise, attach, present")


class RevisionOut(OutSchema):
    document_id: int
    number: int
    parts: dict[str, str] = Field(..., description="part key -> Markdown, in the owner's order")
    note: str
    author_id: int | None
    created_at: dt.datetime


class PartDiffOut(OutSchema):
    key: str
    label: str
    changed: bool
    lines: list[str] = Field(..., description="unified-diff lines; empty when the part is the same")


class DiffOut(OutSchema):
    base: int
    head: int
    parts: list[PartDiffOut]


class ReviseIn(InSchema):
    parts: dict[str, str] = Field(default_factory=dict, description="part key -> new text; parts left out are kept")
    note: str = Field("", description="why it was revised")
    title: str | None = None
    version: Version


class AnchorIn(InSchema):
    part: str = Field(..., description="the part the passage is in")
    quote: str = Field(..., description="the passage, exactly as it is in the revision")
    prefix: str = Field("", description="text just before it (kept to 200 characters; taken from the text if empty)")
    suffix: str = Field("", description="text just after it (kept to 200 characters; taken from the text if empty)")


class AnchorOut(OutSchema):
    part: str
    quote: str
    prefix: str
    suffix: str


class CommentIn(InSchema):
    body: str = Field(..., description="Markdown, 1 to 20000 characters")
    revision: Id | None = Field(None, description="the revision commented on (the current one by default)")
    anchor: AnchorIn | None = Field(None, description="the passage; none for a comment on the whole document")
    session_id: Id | None = Field(None, description="the reading session (the one you are reading in by default)")


class CommentOut(OutSchema):
    id: int
    document_id: int
    revision: int
    anchor: AnchorOut | None
    body: str
    author_id: int | None
    created_at: dt.datetime
    session_id: int | None
    resolved: bool
    version: int
    status: str = Field(..., description="document, found or changed: the passage in the revision shown")
    start: int | None = Field(None, description="where the passage starts in that revision's part, when found")


class ResolveIn(InSchema):
    version: Version


class AttachmentOut(OutSchema):
    id: int
    document_id: int
    name: str
    content_type: str
    size: int
    sha256: str
    purpose: str
    uploaded_by_id: int | None
    created_at: dt.datetime


# --- reading sessions (helper `reading`) ------------------------------------------------------------------------


class SessionIn(InSchema):
    reader_ids: list[Id] = Field(..., description="the readers' person ids: at least one, not the presenter")
    minutes: int = Field(20, description="the reading time-box, 1 to 240 minutes")
    revision: Id | None = Field(None, description="the revision read (the current one by default); frozen")


class ReaderOut(OutSchema):
    person_id: int
    done: bool
    done_at: dt.datetime | None


class SessionOut(OutSchema):
    id: int
    document_id: int
    revision: int = Field(..., description="the frozen revision the session reads")
    presenter_id: int | None
    minutes: int
    state: str = Field(..., description="reading or closed")
    started_at: dt.datetime
    ends_at: dt.datetime
    closed_at: dt.datetime | None
    all_done: bool
    readers: list[ReaderOut]
    version: int


class CloseSessionIn(InSchema):
    version: Version


class PassageOut(OutSchema):
    part: str = Field(..., description="the part of the passage; empty for comments on the whole document")
    part_label: str
    quote: str
    start: int | None = Field(None, description="where the passage starts in the frozen revision's part")
    comments: list[CommentOut]
