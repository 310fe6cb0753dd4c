"""The documents pages: a revision, the diff between two, comments, attachments, the reading room. Thin: parse,
call one service, render (kernel.pages).

The partial templates (`documents/_document.html` and the parts it includes) are what every owning app embeds in
its own page with the context `doc_view` (services.document_view) and `doc_next` (where a post comes back to);
docs/documents.md "Embedding". Their forms post here; a refused post comes back on the document's own page with
the error next to the field it names (400, or 409 for a stale version), and htmx swaps just the section it came
from.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mechanisms.kernel.errors import DomainError, NotFound, RuleViolation
from mechanisms.kernel.pages import FORM_ERRORS, page, pager, query_int

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
