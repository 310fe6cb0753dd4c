"""The app's pages. Thin: parse, call one service, render (kernel.pages)."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.documents import services as documents_services
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied
from mechanisms.kernel.mounts import SearchHits
from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, pager, people_ids, query_int, query_text, show_error
from mechanisms.org import services as org_services

from . import services

# --- PR/FAQs (prfaq)


def search_prfaqs(actor: Actor, text: str, limit: int, offset: int | None) -> SearchHits | None:
    """The search page's PR/FAQs: only those the viewer may read (list_prfaqs filters by the policy); no section
    at all when none matches, so an outsider's page is the same whatever exists."""
    found = services.list_prfaqs(actor=actor, text=text, limit=limit, offset=offset)
    if not found.total:
        return None
    return SearchHits(page=found, template="working_backwards/_search_prfaq.html", more_url="/prfaqs")


# --- narratives (reading)


def search_narratives(actor: Actor, text: str, limit: int, offset: int | None) -> SearchHits | None:
    """The search page's narratives: those whose title holds the words, read through the service (so a
    confidential one is found only by its insiders); no section when none matches."""
    found = services.list_narratives(actor=actor, text=text, limit=limit, offset=offset)
    if not found.total:
        return None
    return SearchHits(page=found, template="working_backwards/_narrative_hit.html", more_url="/narratives")


# Pages: the list, a new narrative, a narrative (body, appendix, the check, its sessions, the documents' comments
# and attachments, and the author's start-a-session form), its editor. Who may see or do what is the services'.

NARRATIVE_CONFLICT = "Someone else revised this narrative while you were editing it. Reload, then apply your changes."


class NarrativeForm(forms.Form):
    """A new narrative: its title, owning team, body (prose, at most six pages), appendix, confidentiality."""

    title = forms.CharField(max_length=300)
    team = forms.ChoiceField(label="Owning team", choices=())
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 18}),
        max_length=200_000,
        help_text="Markdown prose, at most six pages (500 words a page, as rendered); the appendix is not counted.",
    )
    appendix = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=200_000)
    confidential = forms.BooleanField(
        required=False, help_text="Read only by you, the team, the readers named below and those of its sessions."
    )
    readers = forms.CharField(required=False, label="Named readers", help_text="Handles, separated by spaces.")

    def __init__(self, *args, teams=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].choices = [(str(t.id), t.name) for t in teams]


class NarrativeEditForm(forms.Form):
    """A revision of a narrative's text, naming the document's version it was read at."""

    title = forms.CharField(max_length=300)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 18}), max_length=200_000)
    appendix = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}), required=False, max_length=200_000)
    note = forms.CharField(required=False, max_length=500, help_text="Why it was revised (kept with the revision).")
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class SessionStartForm(forms.Form):
    """The author starts a silent reading: who reads, for how long."""

    readers = forms.CharField(help_text="The readers' handles, separated by spaces (not you).")
    minutes = forms.IntegerField(initial=20, min_value=1, max_value=240, help_text="The reading time-box, 1 to 240.")


def _live_teams(actor: Actor) -> list:
    return [t for t in org_services.team_index(actor=actor) if t.dissolved_on is None]


@page
def narrative_list(request: HttpRequest) -> HttpResponse:
    """The narratives the viewer may read, newest first, by title words."""
    text = query_text(request, "q")
    found = services.list_narratives(
        actor=request.actor, text=text, limit=PAGE_SIZE, offset=query_int(request, "offset")
    )
    teams = org_services.get_teams(actor=request.actor, ids={n.team_id for n in found.items})
    rows = [(n, teams.get(n.team_id)) for n in found.items]
    context = {"page": found, "rows": rows, "q": text, "pager": pager(request, found, "offset")}
    return render(request, "working_backwards/narrative_list.html", context)


@page
def narrative_new(request: HttpRequest) -> HttpResponse:
    """Write a narrative (the viewer is its author)."""
    teams = _live_teams(request.actor)
    form = NarrativeForm(request.POST or None, teams=teams)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            readers = people_ids(form, "readers", form.cleaned_data["readers"], find=_find_person(request))
            if not form.errors:
                try:
                    record = services.create_narrative(
                        actor=request.actor,
                        title=form.cleaned_data["title"],
                        team_id=int(form.cleaned_data["team"]),
                        body=form.cleaned_data["body"],
                        appendix=form.cleaned_data["appendix"],
                        confidential=form.cleaned_data["confidential"],
                        reader_ids=readers,
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields={"team_id": "team", "reader_ids": "readers"})
                else:
                    return redirect(services.narrative_url(record.id))
    return render(request, "working_backwards/narrative_form.html", {"form": form, "new": True}, status=status)


@page
def narrative_detail(request: HttpRequest, narrative_id: int, *, session_form=None, status: int = 200) -> HttpResponse:
    """A narrative: body and appendix with comments (the documents' partials), its check, its reading sessions, and
    for its author the start-a-session form."""
    actor = request.actor
    view = services.get_narrative(actor=actor, narrative_id=narrative_id)
    n = view.narrative
    sessions = services.list_narrative_sessions(actor=actor, narrative_id=narrative_id, limit=20)
    people = org_services.get_people(actor=actor, ids={n.author_id, *n.reader_ids})
    teams = org_services.get_teams(actor=actor, ids={n.team_id})
    context = {
        "view": view,
        "n": n,
        "author": people.get(n.author_id),
        "team": teams.get(n.team_id),
        "named_readers": [people[i] for i in n.reader_ids if i in people],
        "sessions": [(s, sum(1 for r in s.readers if r.done)) for s in sessions.items],
        "session_form": session_form or (SessionStartForm() if view.can_present else None),
        "doc_view": documents_services.document_view(actor=actor, document_id=n.document_id),
        "doc_next": services.narrative_url(n.id),
    }
    return render(request, "working_backwards/narrative_detail.html", context, status=status)


@page
def narrative_edit(request: HttpRequest, narrative_id: int) -> HttpResponse:
    """Revise a narrative's text (its author), with the check of what is typed shown on a failed save."""
    view = services.get_narrative(actor=request.actor, narrative_id=narrative_id)
    if not view.can_revise:
        raise PermissionDenied("only the narrative's author revises it")
    initial = {
        "title": view.narrative.title,
        "body": view.body,
        "appendix": view.appendix,
        "version": view.document_version,
    }
    form = NarrativeEditForm(request.POST or None, initial=initial)
    status, check = 200, view.check
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.revise_narrative(
                    actor=request.actor,
                    narrative_id=narrative_id,
                    version=data["version"],
                    body=data["body"],
                    appendix=data["appendix"],
                    title=data["title"],
                    note=data["note"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields={"parts": "body"}, conflict=NARRATIVE_CONFLICT)
                check = services.check_narrative(body=data["body"], appendix=data["appendix"])
            else:
                return redirect(services.narrative_url(narrative_id))
    context = {"form": form, "view": view, "n": view.narrative, "check": check, "new": False}
    return render(request, "working_backwards/narrative_form.html", context, status=status)


@page
@require_POST
def narrative_start_session(request: HttpRequest, narrative_id: int) -> HttpResponse:
    """The author starts a silent reading; the reading room is where everyone goes next."""
    form = SessionStartForm(request.POST)
    if form.is_valid():
        readers = people_ids(form, "readers", form.cleaned_data["readers"], find=_find_person(request))
        if not form.errors:
            try:
                session = services.start_narrative_session(
                    actor=request.actor,
                    narrative_id=narrative_id,
                    reader_ids=readers,
                    minutes=form.cleaned_data["minutes"],
                )
            except FORM_ERRORS as exc:
                show_error(form, exc, fields={"reader_ids": "readers"})
            else:
                return redirect(
                    documents_services.session_url(document_id=session.document_id, session_id=session.id)
                )
    return narrative_detail(request, narrative_id, session_form=form, status=400)


def _find_person(request: HttpRequest):
    return lambda handle: org_services.find_person(actor=request.actor, handle=handle)
