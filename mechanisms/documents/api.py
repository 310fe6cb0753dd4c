"""API of the documents app: a document's revisions and diffs, its comments, its attachments and its reading
sessions, whatever app owns it (access is asked of the owning app). Thin: parse, call one service, return its
contract. Errors are mapped in config/api.py: a document the caller may not read is a 404 through every
operation, an action they may not take a 403, a broken rule a 400 naming the field, a stale version a 409."""

from __future__ import annotations

from django.http import HttpResponse
from ninja import File, Form, Query, Router, Schema, Status, UploadedFile

from mechanisms.kernel.api import READ_ERRORS, Id, PageOut, page_out, responses
from mechanisms.kernel.errors import RuleViolation

from . import services
from .contracts import Anchor
from .schemas import (
    AttachmentOut,
    CloseSessionIn,
    CommentIn,
    CommentOut,
    DiffOut,
    DocumentOut,
    PassageOut,
    ResolveIn,
    ReviseIn,
    RevisionOut,
    SessionIn,
    SessionOut,
)

router = Router(tags=["documents"])


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


# --- documents, revisions, diffs, comments, attachments (helper `docs`) ----------------------------------------
# Literal paths (/documents/attachments/..., /documents/comments/...) come before /documents/{document_id}/...


class PageQuery(Schema):
    limit: int = 50
    offset: int = 0


class CommentsQuery(PageQuery):
    revision: Id | None = None


@router.get("/documents/attachments/{attachment_id}", response=responses(None, *READ_ERRORS))
def download_attachment(request, attachment_id: Id):
    """An attachment's bytes, for readers of its document (404 for everyone else): typed as sniffed on upload,
    never sniffed again by the browser, and a PDF always as a download."""
    return attachment_response(services.read_attachment(actor=_actor(request), attachment_id=attachment_id))


@router.delete("/documents/attachments/{attachment_id}", response=responses(AttachmentOut, 401, 403, 404, 422))
def remove_attachment(request, attachment_id: Id):
    """Remove an attachment (those the owner lets attach); its file is deleted."""
    return services.remove_attachment(actor=_actor(request), attachment_id=attachment_id)


@router.post("/documents/comments/{comment_id}/resolve", response=responses(CommentOut))
def resolve_comment(request, comment_id: Id, payload: ResolveIn):
    """Resolve a comment (the document's revisers or the comment's author)."""
    return services.resolve_comment(actor=_actor(request), comment_id=comment_id, version=payload.version)


@router.get("/documents/{document_id}", response=responses(DocumentOut, *READ_ERRORS))
def get_document(request, document_id: Id):
    """A document: its owner, title, current revision and what you may do with it."""
    return _document_out(services.get_document(actor=_actor(request), document_id=document_id))


@router.put("/documents/{document_id}", response=responses(DocumentOut))
def revise_document(request, document_id: Id, payload: ReviseIn):
    """Revise a document: a new revision with these parts changed (the others kept), a note, maybe a new title.
    Name the version you read: a stale one is a 409 and nothing is written."""
    record = services.revise_document(
        actor=_actor(request),
        document_id=document_id,
        parts=payload.parts,
        version=payload.version,
        note=payload.note,
        title=payload.title,
    )
    return _document_out(record)


@router.get("/documents/{document_id}/revisions", response=responses(PageOut[RevisionOut], *READ_ERRORS))
def list_revisions(request, document_id: Id, query: Query[PageQuery]):
    """Every revision, newest first. Paginated."""
    return page_out(services.list_revisions(actor=_actor(request), document_id=document_id, **query.dict()))


@router.get("/documents/{document_id}/revisions/{number}", response=responses(RevisionOut, *READ_ERRORS))
def get_revision(request, document_id: Id, number: Id):
    """One revision's parts."""
    return services.get_revision(actor=_actor(request), document_id=document_id, number=number)


@router.get("/documents/{document_id}/diff", response=responses(DiffOut, *READ_ERRORS))
def diff_revisions(request, document_id: Id, base: Id, head: Id | None = None):
    """How the body changed from revision `base` to `head` (the current one by default), part by part."""
    actor = _actor(request)
    parts = services.diff_revisions(actor=actor, document_id=document_id, base=base, head=head)
    head_number = head or services.get_document(actor=actor, document_id=document_id).revision
    out = [{"key": p.key, "label": p.label, "changed": p.changed, "lines": list(p.lines)} for p in parts]
    return {"base": base, "head": head_number, "parts": out}


@router.get("/documents/{document_id}/comments", response=responses(PageOut[CommentOut], *READ_ERRORS))
def list_comments(request, document_id: Id, query: Query[CommentsQuery]):
    """The comments you may see (others' comments in a reading session stay hidden until you are done reading),
    each with where its passage is in `revision` (the current one by default). Paginated."""
    return page_out(services.list_comments(actor=_actor(request), document_id=document_id, **query.dict()))


@router.post("/documents/{document_id}/comments", response=responses(CommentOut, status=201))
def add_comment(request, document_id: Id, payload: CommentIn):
    """Comment on the document, or on a passage of it (`anchor`: the part and a quote from that revision)."""
    anchor = Anchor(**payload.anchor.dict()) if payload.anchor else None
    record = services.add_comment(
        actor=_actor(request),
        document_id=document_id,
        body=payload.body,
        revision=payload.revision,
        anchor=anchor,
        session_id=payload.session_id,
    )
    return Status(201, record)


@router.get("/documents/{document_id}/attachments", response=responses(PageOut[AttachmentOut], 400, *READ_ERRORS))
def list_attachments(request, document_id: Id, query: Query[PageQuery], purpose: str | None = None):
    """The document's attachments (of one purpose: mockup, image, file). Paginated."""
    found = services.list_attachments(actor=_actor(request), document_id=document_id, purpose=purpose, **query.dict())
    return page_out(found)


@router.post(
    "/documents/{document_id}/attachments", response=responses(AttachmentOut, 400, 401, 403, 404, 413, 422, status=201)
)
def attach_file(request, document_id: Id, file: File[UploadedFile], purpose: Form[str] = "file"):
    """Attach a file as multipart form data (`file`, `purpose`: mockup, image or file): PNG, JPEG, GIF, WebP or
    PDF, recognised from its bytes (SVG and HTML are refused), at most MECH_ATTACHMENT_MAX_BYTES (10 MiB)."""
    limit = services.attachment_max_bytes()
    if file.size is not None and file.size > limit:
        raise RuleViolation(f"the file is larger than {limit} bytes", field="file")
    record = services.attach_file(
        actor=_actor(request),
        document_id=document_id,
        name=file.name or "file",
        content=file.read(limit + 1),
        purpose=purpose,
    )
    return Status(201, record)


# --- reading sessions (helper `reading`) ------------------------------------------------------------------------
# A session's own paths are under /reading-sessions/{id}, so they never meet /documents/{document_id}/... above.


class SessionsQuery(PageQuery):
    open_only: bool = False


@router.post("/documents/{document_id}/sessions", response=responses(SessionOut, status=201))
def start_session(request, document_id: Id, payload: SessionIn):
    """Start a silent reading of the document (those the owner lets present): a frozen revision, a time-box of
    1..240 minutes, at least one reader who may read it (not you); one open session per document. The readers are
    notified. A rule broken is a 400 naming the field (`reader_ids`, `minutes`, `revision`, `document_id`)."""
    record = services.start_session(
        actor=_actor(request),
        document_id=document_id,
        reader_ids=payload.reader_ids,
        minutes=payload.minutes,
        revision=payload.revision,
    )
    return Status(201, record)


@router.get("/documents/{document_id}/sessions", response=responses(PageOut[SessionOut], *READ_ERRORS))
def list_sessions(request, document_id: Id, query: Query[SessionsQuery]):
    """The document's reading sessions, newest first (open ones only with `open_only`). Paginated."""
    return page_out(services.list_sessions(actor=_actor(request), document_id=document_id, **query.dict()))


@router.get("/reading-sessions/{session_id}", response=responses(SessionOut, *READ_ERRORS))
def get_session(request, session_id: Id):
    """A reading session: its frozen revision, time-box, presenter and readers (who is done)."""
    return services.get_session(actor=_actor(request), session_id=session_id)


@router.post("/reading-sessions/{session_id}/done", response=responses(SessionOut))
def mark_done_reading(request, session_id: Id):
    """Say you have finished reading (a reader, once, while it is open): the others' comments are then shown to
    you; once every reader is done the presenter sees them all."""
    return services.mark_done_reading(actor=_actor(request), session_id=session_id)


@router.post("/reading-sessions/{session_id}/close", response=responses(SessionOut))
def close_session(request, session_id: Id, payload: CloseSessionIn):
    """Close the session (the presenter; the worker closes it when its time-box is over): every comment of it is
    revealed. Name the version you read: a stale one is a 409."""
    return services.close_session(actor=_actor(request), session_id=session_id, version=payload.version)


@router.get("/reading-sessions/{session_id}/comments", response=responses(list[PassageOut], *READ_ERRORS))
def session_comments(request, session_id: Id):
    """The session's comments you may see now, grouped by passage in the order of the frozen revision: yours;
    the other readers' once you are done; as the presenter, none until every reader is done or it is closed."""
    return list(services.session_comments(actor=_actor(request), session_id=session_id))


def attachment_response(file) -> HttpResponse:
    """An attachment as the one door serves it (the pages' download uses it too): the type sniffed on upload, the
    browser told not to guess another, a PDF always downloaded, nothing cached, no script ever run from it."""
    response = HttpResponse(file.content, content_type=file.content_type)
    safe = "".join(c if c.isascii() and (c.isalnum() or c in "._- ") else "_" for c in file.name) or "file"
    disposition = "attachment" if file.content_type == "application/pdf" else "inline"
    response["Content-Disposition"] = f'{disposition}; filename="{safe}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _document_out(record) -> dict:
    out = {f: getattr(record, f) for f in DocumentOut.model_fields if f != "access"}
    return {**out, "access": sorted(a.value for a in record.access)}


# --- PDF export (helper `pdfseal`) ------------------------------------------------------------------------------


@router.get("/documents/{document_id}/pdf", response=responses(None, *READ_ERRORS))
def export_pdf(request, document_id: Id, revision: Id | None = None):
    """One revision (the current one by default) as a PDF download, for those the owning app lets read it (404
    for everyone else). It fetches nothing but the document's own image attachments."""
    from mechanisms.kernel.http import download

    name, content = services.export_pdf(actor=_actor(request), document_id=document_id, revision=revision)
    return download(name, content)
