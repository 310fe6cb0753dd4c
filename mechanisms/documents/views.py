"""The documents pages: a revision, the diff between two, comments, attachments, the reading room. Thin: parse,
call one service, render (kernel.pages)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from mechanisms.kernel import clock
from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.pages import FORM_ERRORS, page, show_error
from mechanisms.org import services as org_services

from . import services as documents_services
from .contracts import Anchor

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
    session = documents_services.get_session(actor=actor, session_id=session_id)
    if session.document_id != document_id:
        raise NotFound(f"reading session {session_id} not found")
    document = documents_services.get_document(actor=actor, document_id=document_id)
    revision = documents_services.get_revision(actor=actor, document_id=document_id, number=session.revision)
    parts = documents_services.owner_parts(owner_kind=document.owner_kind)
    passages = documents_services.session_comments(actor=actor, session_id=session_id)
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
        "owner_url": documents_services.owner_url(owner_kind=document.owner_kind, owner_id=document.owner_id),
        "room_url": documents_services.session_url(document_id=document_id, session_id=session_id),
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
    document = documents_services.get_document(actor=request.actor, document_id=document_id)
    parts = documents_services.owner_parts(owner_kind=document.owner_kind)
    form = SessionCommentForm(request.POST, parts=parts)
    status = 400
    if form.is_valid():
        quote = form.cleaned_data["quote"]
        anchor = Anchor(part=form.cleaned_data["part"], quote=quote) if quote.strip() else None
        try:
            documents_services.add_comment(
                actor=request.actor,
                document_id=document_id,
                body=form.cleaned_data["body"],
                anchor=anchor,
                session_id=session_id,
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, fields={"anchor.quote": "quote", "anchor.part": "part"})
        else:
            return redirect(documents_services.session_url(document_id=document_id, session_id=session_id))
    context = _room_context(request, document_id, session_id, form=form)
    return render(request, "documents/reading_room.html", context, status=status)


@page
@require_POST
def reading_room_done(request: HttpRequest, document_id: int, session_id: int) -> HttpResponse:
    """A reader has finished reading."""
    _require_session_of(request, document_id, session_id)
    try:
        documents_services.mark_done_reading(actor=request.actor, session_id=session_id)
    except FORM_ERRORS as exc:
        return _room_error(request, document_id, session_id, exc)
    return redirect(documents_services.session_url(document_id=document_id, session_id=session_id))


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
        documents_services.close_session(actor=request.actor, session_id=session_id, version=version)
    except FORM_ERRORS as exc:
        return _room_error(request, document_id, session_id, exc)
    return redirect(documents_services.session_url(document_id=document_id, session_id=session_id))


def _require_session_of(request: HttpRequest, document_id: int, session_id: int) -> None:
    session = documents_services.get_session(actor=request.actor, session_id=session_id)
    if session.document_id != document_id:
        raise NotFound(f"reading session {session_id} not found")


def _room_error(request: HttpRequest, document_id: int, session_id: int, exc) -> HttpResponse:
    message = SESSION_CONFLICT if getattr(exc, "field", None) == "version" else exc.message
    context = _room_context(request, document_id, session_id, action_error=message)
    return render(request, "documents/reading_room.html", context, status=exc.http_status)
