"""The documents pages: a revision, the diff between two, comments, attachments, the reading room. Thin: parse,
call one service, render (kernel.pages).

The partial templates (`documents/_document.html` and the parts it includes) are what every owning app embeds in
its own page with the context `doc_view` (services.document_view) and `doc_next` (where a post comes back to);
docs/documents.md "Embedding". Their forms post here; a refused post comes back on the document's own page with
the error next to the field it names (400, or 409 for a stale version), and htmx swaps just the section it came
from.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mechanisms.kernel import clock, http
from mechanisms.kernel.errors import DomainError, NotFound, RuleViolation
from mechanisms.kernel.pages import FORM_ERRORS, page, pager, query_int, show_error
from mechanisms.org import services as org_services

from . import services
from .api import attachment_response
from .contracts import Anchor
from .forms import AttachmentForm, CommentForm, NextForm, ResolveForm

# --- documents, revisions, diffs, comments, attachments (helper `docs`) ----------------------------------------

# A service's field names as the partials' form fields are named.
FIELDS = {"anchor.quote": "quote", "anchor.part": "part", "anchor.prefix": "quote", "anchor.suffix": "quote"}
SHOWN = frozenset({"body", "part", "quote", "file", "purpose"})  # the fields the partials show an error beside
CONFLICT = "Someone else changed this while you were looking at it. Reload to see what changed, then try again."


@page
def document_page(request: HttpRequest, document_id: int) -> HttpResponse:
    """A document's current revision with its comments and attachments (owners embed the same partials)."""
    return _render_document(request, document_id, template="documents/document.html")


@page
def revision_page(request: HttpRequest, document_id: int, number: int) -> HttpResponse:
    """One revision rendered part by part, with the comments judged against it."""
    return _render_document(request, document_id, revision=number, template="documents/revision.html")


@page
def revisions_page(request: HttpRequest, document_id: int) -> HttpResponse:
    """Every revision, newest first (paginated)."""
    doc = services.get_document(actor=request.actor, document_id=document_id)
    found = services.list_revisions(actor=request.actor, document_id=document_id, offset=query_int(request, "offset"))
    context = {
        "doc": doc,
        "revisions": found,
        "owner_url": services.owner_url(owner_kind=doc.owner_kind, owner_id=doc.owner_id),
    }
    return render(request, "documents/revisions.html", context)


@page
def diff_page(request: HttpRequest, document_id: int) -> HttpResponse:
    """The changes between two revisions (`?base=&head=`; by default the current one and the one before), part by
    part, added and removed lines coloured."""
    doc = services.get_document(actor=request.actor, document_id=document_id)
    head = query_int(request, "head") or doc.revision
    base = query_int(request, "base") or max(head - 1, 1)
    diff = services.diff_revisions(actor=request.actor, document_id=document_id, base=base, head=head)
    parts = [{"key": p.key, "label": p.label, "changed": p.changed, "lines": _classified(p.lines)} for p in diff]
    context = {
        "doc": doc,
        "base": base,
        "head": head,
        "parts": parts,
        "numbers": range(doc.revision, 0, -1),
        "owner_url": services.owner_url(owner_kind=doc.owner_kind, owner_id=doc.owner_id),
    }
    return render(request, "documents/diff.html", context)


@page
@require_POST
def comment_add(request: HttpRequest, document_id: int) -> HttpResponse:
    """Post a comment from the partial's form; back to `next` (the owner's page), or the error beside its field."""
    form = CommentForm(request.POST)
    back = _next(request, request.POST.get("next"), _document_url(document_id))
    status, errors = 400, {}
    if form.is_valid():
        d = form.cleaned_data
        anchor = None
        if d["quote"]:
            anchor = Anchor(part=d["part"] or "", quote=d["quote"], prefix=d["prefix"] or "", suffix=d["suffix"] or "")
        try:
            services.add_comment(
                actor=request.actor,
                document_id=document_id,
                body=d["body"],
                revision=d["revision"],
                anchor=anchor,
                session_id=d["session_id"],
            )
            return redirect(back)
        except FORM_ERRORS as exc:
            status, errors = _errors(form, exc)
    else:
        errors = _form_errors(form)
    revision = (getattr(form, "cleaned_data", None) or {}).get("revision")
    return _render_document(
        request,
        document_id,
        revision=revision,
        errors={"comment": errors},
        values={"comment": request.POST.dict()},
        status=status,
        back=back,
    )


@page
@require_POST
def comment_resolve(request: HttpRequest, document_id: int, comment_id: int) -> HttpResponse:
    """Resolve a comment (the document's revisers or its author)."""
    form = ResolveForm(request.POST)
    back = _next(request, request.POST.get("next"), _document_url(document_id))
    status, errors = 400, {}
    if form.is_valid():
        try:
            services.resolve_comment(actor=request.actor, comment_id=comment_id, version=form.cleaned_data["version"])
            return redirect(back)
        except FORM_ERRORS as exc:
            status, errors = _errors(form, exc)
    else:
        errors = _form_errors(form)
    return _render_document(request, document_id, errors={"resolve": errors}, status=status, back=back)


@page
@require_POST
def attachment_upload(request: HttpRequest, document_id: int) -> HttpResponse:
    """Attach a file from the partial's form (multipart): typed from its bytes, size-limited, SVG refused."""
    form = AttachmentForm(request.POST, request.FILES)
    back = _next(request, request.POST.get("next"), _document_url(document_id))
    status, errors = 400, {}
    if form.is_valid():
        upload = form.cleaned_data["file"]
        limit = services.attachment_max_bytes()
        try:
            if upload.size is not None and upload.size > limit:
                raise RuleViolation(f"the file is larger than {limit} bytes", field="file")
            services.attach_file(
                actor=request.actor,
                document_id=document_id,
                name=upload.name or "file",
                content=upload.read(limit + 1),
                purpose=form.cleaned_data["purpose"],
            )
            return redirect(back)
        except FORM_ERRORS as exc:
            status, errors = _errors(form, exc)
    else:
        errors = _form_errors(form)
    return _render_document(
        request,
        document_id,
        errors={"attach": errors},
        values={"attach": {"purpose": request.POST.get("purpose", "")}},
        status=status,
        back=back,
    )


@page
def attachment_download(request: HttpRequest, document_id: int, attachment_id: int) -> HttpResponse:
    """An attachment's bytes for readers of its document (the API's download, through the page's sign-in)."""
    _attachment_of(request, document_id, attachment_id)
    return attachment_response(services.read_attachment(actor=request.actor, attachment_id=attachment_id))


@page
@require_POST
def attachment_remove(request: HttpRequest, document_id: int, attachment_id: int) -> HttpResponse:
    """Remove an attachment (those the owner lets attach)."""
    form = NextForm(request.POST)
    form.is_valid()
    _attachment_of(request, document_id, attachment_id)
    services.remove_attachment(actor=request.actor, attachment_id=attachment_id)
    return redirect(_next(request, form.cleaned_data.get("next"), _document_url(document_id)))


def _render_document(
    request: HttpRequest,
    document_id: int,
    *,
    revision: int | None = None,
    errors: dict[str, Any] | None = None,
    values: dict[str, Any] | None = None,
    status: int = 200,
    back: str | None = None,
    template: str = "documents/document.html",
) -> HttpResponse:
    view = services.document_view(
        actor=request.actor, document_id=document_id, revision=revision, offset=query_int(request, "offset")
    )
    context = {
        "doc_view": view,
        "doc_next": back or request.get_full_path(),
        "doc_errors": errors or {},
        "doc_values": values or {},
        "comments_pager": pager(request, view.comments, "offset"),
    }
    return render(request, template, context, status=status)


def _attachment_of(request: HttpRequest, document_id: int, attachment_id: int) -> None:
    record = services.get_attachment(actor=request.actor, attachment_id=attachment_id)
    if record.document_id != document_id:
        raise NotFound(f"attachment {attachment_id} not found")


def _errors(form: forms.Form, exc: DomainError) -> tuple[int, dict[str, str]]:
    """A service's error as the partials show it: by form field name, or under "form" above it."""
    if exc.code == "conflict" and exc.field == "version":
        return 409, {"form": CONFLICT}
    name = FIELDS.get(exc.field or "", exc.field or "")
    return exc.http_status, {name if name in SHOWN and name in form.fields else "form": exc.message}


def _form_errors(form: forms.Form) -> dict[str, str]:
    out = {}
    for name, errs in form.errors.items():
        key = name if name in SHOWN and name in form.fields else "form"
        out[key] = " ".join(str(e) for e in errs) if key != "form" else f"{name}: " + " ".join(str(e) for e in errs)
    return out


def _document_url(document_id: int) -> str:
    return reverse("web:document", args=[document_id])


def _next(request: HttpRequest, value: str | None, default: str) -> str:
    """Where a post comes back to: a path on this site only (never another host)."""
    value = (value or "").strip()
    if value.startswith("/") and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return default


def _classified(lines: tuple[str, ...]) -> list[tuple[str, str]]:
    out = []
    for line in lines:
        if line.startswith(("+++", "---")):
            kind = "file"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "same"
        out.append((kind, line))
    return out


# --- the reading room (helper `reading`; MECHANISMS.md §6: meetings start with silent reading) ----------------
#
# One page per session: the frozen revision, the time-box ("ends at 10:40", refreshed by htmx when it can be), a
# form to comment on a passage (part + quote; a small static script fills them from a text selection), the "Done
# reading" button, and the comments the service lets the viewer see, grouped by passage. Who sees what is the
# services' (rules.comment_visible): this page shows what `session_comments` returns and nothing else.

SESSION_CONFLICT = "Someone else changed this session while you were looking at it. Reload the page and try again."


class SessionCommentForm(forms.Form):
    """A comment made in a reading session: about a passage (its part and a quote copied from it) or the whole
    document when no quote is given."""

    part = forms.ChoiceField(label="Part", choices=())
    quote = forms.CharField(
        label="Passage",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Copy the words you comment on (select them in the text to fill this in); empty: the whole document.",
    )
    body = forms.CharField(label="Comment", max_length=20000, widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, parts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["part"].choices = [(p.key, p.label) for p in parts]


def _room_context(request: HttpRequest, document_id: int, session_id: int, **extra) -> dict:
    actor = request.actor
    session = services.get_session(actor=actor, session_id=session_id)
    if session.document_id != document_id:
        raise NotFound(f"reading session {session_id} not found")
    document = services.get_document(actor=actor, document_id=document_id)
    revision = services.get_revision(actor=actor, document_id=document_id, number=session.revision)
    parts = services.owner_parts(owner_kind=document.owner_kind)
    passages = services.session_comments(actor=actor, session_id=session_id)
    ids = {session.presenter_id, *session.reader_ids, *(c.author_id for p in passages for c in p.comments)}
    people = org_services.get_people(actor=actor, ids={i for i in ids if i is not None})
    me = session.reader(actor.person_id)
    presenter = actor.person_id is not None and actor.person_id == session.presenter_id
    done = sum(1 for r in session.readers if r.done)
    form = extra.pop("form", None) or SessionCommentForm(parts=parts)
    return {
        "document": document,
        "session": session,
        "parts": [(p, revision.text(p.key)) for p in parts if revision.text(p.key)],
        "passages": [
            (p, [(c, people[c.author_id].name if c.author_id in people else "someone") for c in p.comments])
            for p in passages
        ],
        "readers": [(r, people.get(r.person_id)) for r in session.readers],
        "presenter": people.get(session.presenter_id) if session.presenter_id else None,
        "is_presenter": presenter,
        "me": me,
        "done_count": done,
        "hidden_until_all_done": session.open and not session.all_done and (me is None or not me.done),
        "can_comment": session.open and me is not None,
        "can_mark_done": session.open and me is not None and not me.done,
        "can_close": session.open and presenter,
        "ends_at_local": timezone.localtime(session.ends_at),
        "minutes_left": max(0, int((session.ends_at - clock.now()) / dt.timedelta(minutes=1) + 0.999)),
        "time_up": session.open and clock.now() >= session.ends_at,
        "owner_url": services.owner_url(owner_kind=document.owner_kind, owner_id=document.owner_id),
        "room_url": services.session_url(document_id=document_id, session_id=session_id),
        "form": form,
        **extra,
    }


@page
def reading_room(request: HttpRequest, document_id: int, session_id: int) -> HttpResponse:
    """The reading room of one session (what the viewer may see of it is the services')."""
    return render(request, "documents/reading_room.html", _room_context(request, document_id, session_id))


@page
def reading_room_status(request: HttpRequest, document_id: int, session_id: int) -> HttpResponse:
    """The time-box and who is done, for htmx to refresh every half minute."""
    context = _room_context(request, document_id, session_id)
    return render(request, "documents/_reading_status.html", context)


@page
@require_POST
def reading_room_comment(request: HttpRequest, document_id: int, session_id: int) -> HttpResponse:
    """A reader comments on a passage of the frozen revision (hidden from the others until they are done)."""
    document = services.get_document(actor=request.actor, document_id=document_id)
    parts = services.owner_parts(owner_kind=document.owner_kind)
    form = SessionCommentForm(request.POST, parts=parts)
    status = 400
    if form.is_valid():
        quote = form.cleaned_data["quote"]
        anchor = Anchor(part=form.cleaned_data["part"], quote=quote) if quote.strip() else None
        try:
            services.add_comment(
                actor=request.actor,
                document_id=document_id,
                body=form.cleaned_data["body"],
                anchor=anchor,
                session_id=session_id,
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, fields={"anchor.quote": "quote", "anchor.part": "part"})
        else:
            return redirect(services.session_url(document_id=document_id, session_id=session_id))
    context = _room_context(request, document_id, session_id, form=form)
    return render(request, "documents/reading_room.html", context, status=status)


@page
@require_POST
def reading_room_done(request: HttpRequest, document_id: int, session_id: int) -> HttpResponse:
    """A reader has finished reading."""
    _require_session_of(request, document_id, session_id)
    try:
        services.mark_done_reading(actor=request.actor, session_id=session_id)
    except FORM_ERRORS as exc:
        return _room_error(request, document_id, session_id, exc)
    return redirect(services.session_url(document_id=document_id, session_id=session_id))


@page
@require_POST
def reading_room_close(request: HttpRequest, document_id: int, session_id: int) -> HttpResponse:
    """The presenter closes the session (naming the version the page showed)."""
    _require_session_of(request, document_id, session_id)
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = 0
    try:
        services.close_session(actor=request.actor, session_id=session_id, version=version)
    except FORM_ERRORS as exc:
        return _room_error(request, document_id, session_id, exc)
    return redirect(services.session_url(document_id=document_id, session_id=session_id))


def _require_session_of(request: HttpRequest, document_id: int, session_id: int) -> None:
    session = services.get_session(actor=request.actor, session_id=session_id)
    if session.document_id != document_id:
        raise NotFound(f"reading session {session_id} not found")


def _room_error(request: HttpRequest, document_id: int, session_id: int, exc) -> HttpResponse:
    message = SESSION_CONFLICT if getattr(exc, "field", None) == "version" else exc.message
    context = _room_context(request, document_id, session_id, action_error=message)
    return render(request, "documents/reading_room.html", context, status=exc.http_status)


# --- PDF export (helper `pdfseal`) ------------------------------------------------------------------------------


@page
def export_pdf(request: HttpRequest, document_id: int) -> HttpResponse:
    """`/documents/<id>/pdf[?revision=N]`: one revision as a PDF download, for readers of the document (the owning
    app decides); anyone else gets the 404 page, as on every other page of the document."""
    name, content = services.export_pdf(
        actor=request.actor, document_id=document_id, revision=query_int(request, "revision")
    )
    return http.download(name, content)
