"""The app's pages. Thin: parse, call one service, render (kernel.pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.audit import services as audit_services
from mechanisms.documents import services as documents_services
from mechanisms.kernel import machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.mounts import SearchHits
from mechanisms.kernel.pages import (
    FORM_ERRORS,
    PAGE_SIZE,
    make_move,
    move_named,
    page,
    pager,
    people_ids,
    query_int,
    query_text,
    show_error,
)
from mechanisms.org import services as org_services

from . import services
from .contracts import CIRCLE_WORDS, PRESS_RELEASE_PARTS, PRFAQ_PARTS, SHELVE_REASON_WORDS, BoardItem, Circle
from .forms import CircleForm, PrFaqEditForm, PrFaqNewForm

# --- PR/FAQs (prfaq)
# The list of the viewer's PR/FAQs, a new one, its page (the document, its circles, its state and what the viewer
# may do now, the checker), the editor with live preview and the checker beside it, and the forms they post.

PRFAQ_CONFLICT = (
    "Someone else changed this PR/FAQ while you were looking at it. Reload to see what changed, then try again."
)
EDIT_CONFLICT = (
    "Someone else revised this PR/FAQ while you were editing it. Copy your text, reload, and apply your changes "
    "to the new revision."
)


@page
def prfaq_list(request: HttpRequest) -> HttpResponse:
    """The PR/FAQs the viewer may read (theirs, and those that reached a circle they are named in)."""
    state = query_text(request, "state") or None
    found = services.list_prfaqs(
        actor=request.actor,
        state=state,
        text=query_text(request, "q"),
        limit=PAGE_SIZE,
        offset=_offset(request),
    )
    teams = org_services.get_teams(actor=request.actor, ids={p.team_id for p in found.items})
    words = services.PRFAQ_MACHINE.state_words
    rows = [{"p": p, "team": teams.get(p.team_id), "state": words(p.state.value)} for p in found.items]
    states = [(s.name, s.label) for s in services.PRFAQ_MACHINE.states]
    context = {"rows": rows, "found": found, "state": state or "", "states": states}
    return render(request, "working_backwards/prfaq_list.html", context)


@page
def prfaq_new(request: HttpRequest) -> HttpResponse:
    """Start a PR/FAQ: a title and the owning team (the viewer's teams first)."""
    teams = _team_choices(request.actor)
    form = PrFaqNewForm(request.POST or None, teams=teams)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                prfaq = services.create_prfaq(
                    actor=request.actor, title=data["title"], team_id=data["team"], high_impact=data["high_impact"]
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields={"team_id": "team"})
            else:
                return redirect("web:prfaq-edit", prfaq_id=prfaq.id)
    return render(request, "working_backwards/prfaq_new.html", {"form": form}, status=status)


@page
def prfaq_detail(request: HttpRequest, prfaq_id: int) -> HttpResponse:
    return _render_detail(request, prfaq_id)


@page
@require_POST
def prfaq_action(request: HttpRequest, prfaq_id: int, action: str) -> HttpResponse:
    """One move of the machine (submit, advance, approve, shelve); back to the page, or the page again with the
    refusal next to the field it names."""
    name = move_named(services.PRFAQ_MACHINE, action, noun="a PR/FAQ")
    current = services.get_prfaq(actor=request.actor, prfaq_id=prfaq_id)
    move = make_move(
        services.PRFAQ_MACHINE,
        name,
        request.POST,
        version=current.version,
        conflict=PRFAQ_CONFLICT,
        apply=lambda version, values: services.apply_transition(
            actor=request.actor, prfaq_id=current.id, version=version, transition=name, values=values
        ),
    )
    if move.made:
        return redirect("web:prfaq", prfaq_id=current.id)
    return _render_detail(request, current.id, failed=(name, move.form), status=move.status)


@page
@require_POST
def prfaq_circle(request: HttpRequest, prfaq_id: int) -> HttpResponse:
    """Name one circle's reviewers and readers by handle (the author)."""
    current = services.get_prfaq(actor=request.actor, prfaq_id=prfaq_id)
    form = CircleForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        find = _find_person(request.actor)
        reviewers = people_ids(form, "reviewers", data["reviewers"], find=find)
        readers = people_ids(form, "readers", data["readers"], find=find)
        if not form.errors:
            try:
                services.set_circle_members(
                    actor=request.actor,
                    prfaq_id=current.id,
                    circle=data["circle"],
                    reviewer_ids=reviewers,
                    reader_ids=readers,
                    version=data["version"],
                )
            except FORM_ERRORS as exc:
                status = show_error(
                    form, exc, fields={"reviewer_ids": "reviewers", "reader_ids": "readers"}, conflict=PRFAQ_CONFLICT
                )
            else:
                return redirect("web:prfaq", prfaq_id=current.id)
    return _render_detail(request, current.id, circle_form=form, status=status)


@page
def prfaq_edit(request: HttpRequest, prfaq_id: int) -> HttpResponse:
    """The editor: one textarea per part, the rendered preview and the checker beside it (htmx posts the parts to
    the preview on input; without JavaScript the "Preview and check" button does the same). Saving keeps a new
    revision; a stale version says so and keeps the text typed."""
    view = services.prfaq_view(actor=request.actor, prfaq_id=prfaq_id)
    if "revise" not in view.can:
        services.preview_prfaq(actor=request.actor, prfaq_id=prfaq_id, parts={})  # raises the rule, as a page
    status = 200
    if request.method == "POST":
        form = PrFaqEditForm(request.POST)
        status = 400
        if form.is_valid():
            parts = form.parts()
            if "preview" in request.POST:
                report = services.preview_prfaq(actor=request.actor, prfaq_id=prfaq_id, parts=parts)
                return _render_editor(request, view, form, parts, report, status=200)
            try:
                services.revise_prfaq(
                    actor=request.actor,
                    prfaq_id=prfaq_id,
                    parts=parts,
                    version=form.cleaned_data["version"],
                    note=form.cleaned_data["note"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, conflict=EDIT_CONFLICT)
            else:
                return redirect("web:prfaq", prfaq_id=prfaq_id)
        parts = {p.key: request.POST.get(p.key, "") for p in PRFAQ_PARTS}
    else:
        form = PrFaqEditForm(initial={"version": view.document_version, **view.parts})
        parts = dict(view.parts)
    return _render_editor(request, view, form, parts, view.report, status=status)


@page
@require_POST
def prfaq_preview(request: HttpRequest, prfaq_id: int) -> HttpResponse:
    """The editor's live preview: the parts posted, rendered, and the checker's report on them; nothing is saved.
    htmx gets the partial; a browser without JavaScript gets the whole editor with the preview filled in."""
    form = PrFaqEditForm(request.POST)
    parts = {p.key: request.POST.get(p.key, "") for p in PRFAQ_PARTS}
    report = services.preview_prfaq(actor=request.actor, prfaq_id=prfaq_id, parts=parts)
    context = {"preview": _preview_parts(parts), "report": report}
    if request.headers.get("HX-Request"):
        return render(request, "working_backwards/_prfaq_preview.html", context)
    view = services.prfaq_view(actor=request.actor, prfaq_id=prfaq_id)
    form.is_valid()
    return _render_editor(request, view, form, parts, report)


def _render_editor(request, view, form, parts, report, *, status: int = 200) -> HttpResponse:
    context = {
        "p": view.prfaq,
        "view": view,
        "form": form,
        "press_fields": [form[p.key] for p in PRESS_RELEASE_PARTS],
        "faq_fields": [form[p.key] for p in PRFAQ_PARTS if p not in PRESS_RELEASE_PARTS],
        "preview": _preview_parts(parts),
        "report": report,
    }
    return render(request, "working_backwards/prfaq_edit.html", context, status=status)


def _render_detail(
    request: HttpRequest,
    prfaq_id: int,
    *,
    failed: tuple[str, Any] | None = None,
    circle_form: CircleForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The PR/FAQ page: the document rendered, its state and circles, the checker, what the viewer may do now."""
    view = services.prfaq_view(actor=request.actor, prfaq_id=prfaq_id)
    p = view.prfaq
    people = org_services.get_people(actor=request.actor, ids={p.author_id, *(m.person_id for m in p.members)} - {None})
    teams = org_services.get_teams(actor=request.actor, ids=[p.team_id])
    action_forms = []
    names = list(view.actions)
    if failed and failed[0] not in names:
        names.append(failed[0])  # a refused move the page does not offer now still says why it was refused
    for name in names:
        t = services.PRFAQ_MACHINE.transition(name)
        form = (
            failed[1]
            if failed and failed[0] == name
            else machine_forms.action_form(services.PRFAQ_MACHINE, name, version=p.version)
        )
        action_forms.append(
            {
                "name": name,
                "url": f"/prfaqs/{p.id}/{t.slug}",
                "title": t.title,
                "help": t.help,
                "form": form,
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
                "fields": [f for f in form if f.name != machine_forms.VERDICT],
            }
        )
    circles = []
    for c in Circle:
        if c is Circle.AUTHOR:
            named = [{"person": people.get(p.author_id), "reviewer": True}]
        else:
            named = [{"person": people.get(m.person_id), "reviewer": m.reviewer} for m in p.members if m.circle == c]
        stay = next((s for s in p.stays if s.circle == c), None)
        circles.append(
            {
                "n": int(c),
                "words": CIRCLE_WORDS[c],
                "named": named,
                "stay": stay,
                "current": c == p.circle,
            }
        )
    suggestions = []
    if "name_members" in view.can:
        for suggestion in services.suggest_circles(actor=request.actor, prfaq_id=p.id):
            found = org_services.get_people(actor=request.actor, ids=suggestion.person_ids)
            handles = [found[i].handle for i in suggestion.person_ids if i in found]
            if handles:
                suggestions.append({"n": int(suggestion.circle), "handles": ", ".join(handles)})
    if circle_form is None and "name_members" in view.can:
        first = next((c for c in (2, 3, 4) if c >= p.circle), 4)
        circle_form = CircleForm(initial={"version": p.version, "circle": first})
    context = {
        "p": p,
        "view": view,
        # The documents app's partials (revision with comment markers, comments, attachments) asked of its service,
        # which asks this app's policy again: a reader sees the comments and files, the author may attach.
        "doc_view": documents_services.document_view(
            actor=request.actor, document_id=p.document_id, offset=query_int(request, "comments") or 0
        ),
        "doc_next": f"/prfaqs/{p.id}",
        "history": _history(request.actor, p.id),
        "team": teams.get(p.team_id),
        "author": people.get(p.author_id),
        "circles": circles,
        "suggestions": suggestions,
        "action_forms": action_forms,
        "circle_form": circle_form if "name_members" in view.can else None,
        "shelve_words": SHELVE_REASON_WORDS.get(p.shelve_reason) if p.shelve_reason else "",
        "state_words": services.PRFAQ_MACHINE.state_words(p.state.value),
    }
    return render(request, "working_backwards/prfaq_detail.html", context, status=status)


def _history(actor: Actor, prfaq_id: int) -> dict[str, Any]:
    """The PR/FAQ's own history (the audit log asks this app's policy; field names only, it is confidential)."""
    changes = audit_services.list_changes(
        actor=actor, subject_type=services.PRFAQ_SUBJECT, subject_id=prfaq_id, limit=20
    )
    return {
        "rows": audit_services.history_lines(records=changes.items),
        "total": changes.total,
        "shown": len(changes.items),
    }


def _preview_parts(parts: dict[str, str]) -> list[dict[str, str]]:
    return [{"label": p.label, "key": p.key, "text": parts.get(p.key, "")} for p in PRFAQ_PARTS if parts.get(p.key)]


def _team_choices(actor: Actor) -> list:
    teams = [t for t in org_services.team_index(actor=actor) if t.status.value in ("forming", "active")]
    if actor.person_id is None:
        return teams
    relations = org_services.relations_of(actor=actor)
    mine = relations.member_of | relations.leads
    return sorted(teams, key=lambda t: (t.id not in mine, t.name))


def _find_person(actor: Actor):
    def find(handle: str):
        return org_services.find_person(actor=actor, handle=handle)

    return find


def _offset(request: HttpRequest) -> int:
    return query_int(request, "offset") or 0


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
            readers = people_ids(form, "readers", form.cleaned_data["readers"], find=_find_person(request.actor))
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
        readers = people_ids(form, "readers", form.cleaned_data["readers"], find=_find_person(request.actor))
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
                return redirect(documents_services.session_url(document_id=session.document_id, session_id=session.id))
    return narrative_detail(request, narrative_id, session_form=form, status=400)


# --- board and funnel (board): the review board and the funnel (MECHANISMS.md §6)

HOME_WAITING = 5


def _names(actor: Actor, items: list[BoardItem]) -> dict[str, dict[int, Any]]:
    """Authors and teams of the items, in one batch read each (the board draws names, not ids)."""
    return {
        "people": org_services.get_people(actor=actor, ids={i.author_id for i in items}),
        "teams": org_services.get_teams(actor=actor, ids={i.team_id for i in items}),
    }


def _rows(actor: Actor, items: tuple[BoardItem, ...] | list[BoardItem]) -> list[dict[str, Any]]:
    names = _names(actor, list(items))
    return [
        {"item": i, "author": names["people"].get(i.author_id), "team": names["teams"].get(i.team_id)} for i in items
    ]


@page
def prfaq_board(request: HttpRequest) -> HttpResponse:
    """The review board: the PR/FAQs the viewer may read, by circle, with what waits on them; their drafts."""
    board = services.review_board(actor=request.actor)
    circles = [
        {"circle": int(c), "words": CIRCLE_WORDS[c], "rows": _rows(request.actor, items)} for c, items in board.circles
    ]
    context = {
        "circles": circles,
        "drafts": _rows(request.actor, board.drafts),
        "finished": _rows(request.actor, board.finished),
        "waiting": len(board.waiting),
    }
    return render(request, "working_backwards/board.html", context)


def _day(request: HttpRequest, name: str, problems: list[str]) -> dt.date | None:
    text = query_text(request, name, max_length=10)
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        problems.append(f"“{text}” is not a date (YYYY-MM-DD) for {name}.")
        return None


@page
def prfaq_funnel(request: HttpRequest) -> HttpResponse:
    """The funnel: how many PR/FAQs reached each circle, the days spent there, why they stopped; for the whole
    company or one org unit, optionally for the PR/FAQs written in a period."""
    problems: list[str] = []
    slug = query_text(request, "unit", max_length=64)
    unit = org_services.find_org_unit(actor=request.actor, slug=slug) if slug else None
    if slug and unit is None:
        problems.append(f"No org unit has the slug “{slug}”.")
    since, until = _day(request, "since", problems), _day(request, "until", problems)
    report = None
    status = 200
    if not problems:
        try:
            report = services.prfaq_funnel(
                actor=request.actor, unit_id=unit.id if unit else None, since=since, until=until
            )
        except (RuleViolation, NotFound) as exc:
            problems.append(exc.message)
            status = exc.http_status
    if problems and status == 200:
        status = 400
    top = max((s.reached for s in report.steps), default=0) if report else 0
    context = {
        "report": report,
        "steps": [
            {
                "step": s,
                "words": CIRCLE_WORDS[Circle(s.circle)],
                "reasons": [(SHELVE_REASON_WORDS[r], n) for r, n in s.reasons],
            }
            for s in (report.steps if report else ())
        ],
        "reasons": [(SHELVE_REASON_WORDS[r], n) for r, n in report.reasons] if report else [],
        "entries": [
            {
                "e": e,
                "state": e.state.value.replace("_", " "),
                "circle": int(e.circle),
                "reason": SHELVE_REASON_WORDS.get(e.shelve_reason) if e.shelve_reason else "",
            }
            for e in (report.entries if report else ())
        ],
        "top": top,
        "units": org_services.list_org_units(actor=request.actor, limit=200).items,
        "unit": slug,
        "since": query_text(request, "since", max_length=10),
        "until": query_text(request, "until", max_length=10),
        "problems": problems,
    }
    return render(request, "working_backwards/funnel.html", context, status=status)


def home_waiting_panel(request: HttpRequest, subject: None, **bound: Any) -> dict[str, Any] | None:
    """On the home page, the PR/FAQs waiting on the viewer as their circle's reviewer; nothing when there are none."""
    found = services.list_waiting_prfaqs(actor=request.actor, limit=HOME_WAITING)
    if not found.total:
        return None
    return {"rows": _rows(request.actor, found.items), "total": found.total}
