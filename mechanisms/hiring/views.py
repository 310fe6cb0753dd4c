"""The hiring pages (MECHANISMS.md §5): openings (list, new, detail with its transitions and candidates, edit),
candidates (contact, résumé, state, the loop, erasure), principles and the mechanism's health; the search page's
openings and candidates; then (below the loops banner) the loop pages.

Thin: parse, call one service, render. Who may see and do what is decided by the hiring services (hiring/policy.py):
a candidate the viewer may not see is the 404 page, whatever the door; a page offers only the moves the services
allow. Templates are in `hiring/templates/hiring/`.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.documents import services as documents_services
from mechanisms.hiring import services as hiring_services
from mechanisms.hiring.contracts import (
    CandidateState,
    EvidenceInput,
    InterviewChanges,
    LoopState,
    OpeningChanges,
    OpeningRecord,
    OpeningState,
)
from mechanisms.kernel import machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import PermissionDenied, RuleViolation
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
from mechanisms.kernel.pages import person_id as handle_to_id
from mechanisms.org import services as org_services

from .forms import (
    STAR,
    VOTE_CHOICES,
    BarRaiserForm,
    CancelInterviewForm,
    CandidateForm,
    ChangeVoteForm,
    CreateLoopForm,
    FeedbackForm,
    InterviewChangeForm,
    InterviewForm,
    OpeningForm,
    PrincipleForm,
    ReasonForm,
    RecommendationForm,
    ResumeForm,
    VersionForm,
)
from .machines import LOOP

MACHINE = hiring_services.OPENING_MACHINE
CONFLICT = "Someone else changed this while you were looking at it. Reload to see what changed, then try again."


# ------------------------------------------------------------------------------------------------ openings


@page
def opening_list(request: HttpRequest) -> HttpResponse:
    """Every opening (an internal job posting), newest first, by state and words."""
    state = query_text(request, "state")
    state = state if state in {s.value for s in OpeningState} else ""
    text = query_text(request, "q")
    found = hiring_services.list_openings(
        actor=request.actor,
        state=state or None,
        text=text or None,
        limit=PAGE_SIZE,
        offset=query_int(request, "offset"),
    )
    context = {
        "openings": found.items,
        "page": found,
        "pager": pager(request, found, "offset"),
        "state": state,
        "q": text,
        "states": [s.value for s in OpeningState],
        "can_create": hiring_services.can_create_opening(actor=request.actor),
        "can_see_health": hiring_services.can_see_health(actor=request.actor),
    }
    return render(request, "hiring/opening_list.html", context)


def _team_choices(actor: Actor) -> list[tuple[int, str]]:
    teams = [t for t in org_services.team_index(actor=actor) if t.status.value in ("forming", "active")]
    return [(t.id, t.name) for t in sorted(teams, key=lambda t: t.name)]


def _principle_choices(actor: Actor, keep: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    listed = hiring_services.list_principles(actor=actor, active_only=False)
    return [(p.slug, p.name) for p in listed if p.active or p.slug in keep]


def _opening_form(request: HttpRequest, data=None, *, opening: OpeningRecord | None = None) -> OpeningForm:
    initial = None
    if opening is not None:
        people = org_services.get_people(actor=request.actor, ids=opening.reports_ids)
        initial = {
            "title": opening.title,
            "hiring_manager": opening.hiring_manager_handle,
            "recruiter": opening.recruiter_handle,
            "level": opening.level,
            "manager_role": opening.manager_role,
            "reports": " ".join(people[i].handle for i in opening.reports_ids if i in people),
            "job_description": opening.job_description,
            "principles": list(opening.principles),
            "version": opening.version,
        }
    return OpeningForm(
        data,
        initial=initial,
        team_choices=[] if opening else _team_choices(request.actor),
        principle_choices=_principle_choices(request.actor, opening.principles if opening else ()),
        editing=opening is not None,
    )


def _people_from(request: HttpRequest, form: forms.Form) -> dict[str, Any] | None:
    """The form's handles as ids (an unknown handle is an error on its field), or None when one is unknown."""

    def find(handle):
        return org_services.find_person(actor=request.actor, handle=handle)

    data = form.cleaned_data
    values = {
        "hiring_manager_id": handle_to_id(form, "hiring_manager", data["hiring_manager"], find=find),
        "recruiter_id": handle_to_id(form, "recruiter", data["recruiter"], find=find),
        "reports_ids": tuple(people_ids(form, "reports", data["reports"], find=find)),
    }
    return None if form.errors else values


OPENING_FIELDS = {
    "hiring_manager_id": "hiring_manager",
    "recruiter_id": "recruiter",
    "reports_ids": "reports",
    "team_id": "team",
}


@page
def opening_new(request: HttpRequest) -> HttpResponse:
    """Write a new opening (a draft until it is opened)."""
    if not hiring_services.can_create_opening(actor=request.actor):
        raise PermissionDenied(
            "only an admin, a team's leader or a manager above them, or a recruiter may open a position"
        )
    if request.method != "POST":
        form = _opening_form(request)
        team = query_int(request, "team")
        if team:
            form.initial["team"] = team
        return render(request, "hiring/opening_form.html", {"form": form, "opening": None})
    form = _opening_form(request, request.POST)
    status = 400
    if form.is_valid() and (people := _people_from(request, form)) is not None:
        data = form.cleaned_data
        try:
            opening = hiring_services.create_opening(
                actor=request.actor,
                title=data["title"],
                team_id=data["team"],
                level=data["level"],
                manager_role=data["manager_role"],
                job_description=data["job_description"],
                principles=tuple(data["principles"]),
                **people,
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, fields=OPENING_FIELDS)
        else:
            messages.success(request, "Opening saved as a draft. Open it when its job description is written.")
            return redirect("web:hiring-opening", opening_id=opening.id)
    return render(request, "hiring/opening_form.html", {"form": form, "opening": None}, status=status)


@page
def opening_edit(request: HttpRequest, opening_id: int) -> HttpResponse:
    """Change an opening (admins, its hiring manager, its recruiters)."""
    opening = hiring_services.get_opening(actor=request.actor, opening_id=opening_id)
    if request.method != "POST":
        if not hiring_services.can_edit_opening(actor=request.actor, opening_id=opening.id):
            raise PermissionDenied("only an admin, the opening's hiring manager or its recruiters may change it")
        return render(
            request, "hiring/opening_form.html", {"form": _opening_form(request, opening=opening), "opening": opening}
        )
    form = _opening_form(request, request.POST, opening=opening)
    status = 400
    if form.is_valid() and (people := _people_from(request, form)) is not None:
        data = form.cleaned_data
        changes = OpeningChanges(
            title=data["title"],
            level=data["level"],
            manager_role=data["manager_role"],
            job_description=data["job_description"],
            principles=tuple(data["principles"]),
            **people,
        )
        try:
            hiring_services.update_opening(
                actor=request.actor,
                opening_id=opening.id,
                changes=changes,
                version=data["version"],
                job_description_note=data.get("job_description_note", ""),
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, fields=OPENING_FIELDS, conflict=CONFLICT)
        else:
            messages.success(request, "Opening saved.")
            return redirect("web:hiring-opening", opening_id=opening.id)
    return render(request, "hiring/opening_form.html", {"form": form, "opening": opening}, status=status)


@page
def opening_detail(request: HttpRequest, opening_id: int) -> HttpResponse:
    return _render_opening(request, opening_id)


def _render_opening(
    request: HttpRequest,
    opening_id: int,
    *,
    failed: tuple[str, forms.Form] | None = None,
    candidate_form: CandidateForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The opening: its job description (its document's current revision, with links to every revision and the
    diff, and its comments), principles, team and people, the moves the viewer may make, and for its insiders the
    candidates they may see and the form to add one."""
    actor = request.actor
    opening = hiring_services.get_opening(actor=actor, opening_id=opening_id)
    names = {p.slug: p for p in hiring_services.list_principles(actor=actor, active_only=False)}
    action_forms = []
    for name in hiring_services.opening_actions(actor=actor, opening_id=opening.id):
        t = MACHINE.transition(name)
        form = (
            failed[1]
            if failed and failed[0] == name
            else machine_forms.action_form(MACHINE, name, version=opening.version)
        )
        action_forms.append(
            {
                "name": name,
                "url": f"/hiring/openings/{opening.id}/{t.slug}",
                "title": t.title,
                "help": t.help,
                "form": form,
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
                "fields": list(form),
            }
        )
    can_add = hiring_services.can_add_candidate(actor=actor, opening_id=opening.id)
    # The candidates page by their own parameter: `offset` pages the job description's comments (the partial's).
    candidates = hiring_services.list_candidates(
        actor=actor, opening_id=opening.id, limit=PAGE_SIZE, offset=query_int(request, "candidates_offset")
    )
    context = {
        "o": opening,
        "principles": [names.get(s) or {"slug": s, "name": s} for s in opening.principles],
        "action_forms": action_forms,
        "stale_form": failed[1] if failed and failed[0] not in {a["name"] for a in action_forms} else None,
        "can_edit": hiring_services.can_edit_opening(actor=actor, opening_id=opening.id),
        "can_add": can_add and opening.state not in (OpeningState.CLOSED, OpeningState.FILLED),
        "candidate_form": candidate_form or CandidateForm(),
        "candidates": candidates,
        "candidates_pager": pager(request, candidates, "candidates_offset"),
        "show_candidates": can_add or candidates.total > 0,
        "reload_url": f"/hiring/openings/{opening.id}",
        # The job description is the opening's document: documents' partials show its current revision, its
        # revisions and diff, and its comments (docs/documents.md "Embedding"), coming back here after a post.
        "doc_view": documents_services.document_view(
            actor=actor, document_id=opening.document_id, offset=query_int(request, "offset")
        )
        if opening.document_id is not None
        else None,
        "doc_next": f"/hiring/openings/{opening.id}",
    }
    return render(request, "hiring/opening_detail.html", context, status=status)


@require_POST
@page
def opening_action(request: HttpRequest, opening_id: int, action: str) -> HttpResponse:
    """One move on an opening (open, hold, reopen, close); back to its page, or the page with the error."""
    name = move_named(MACHINE, action, noun="an opening")
    opening = hiring_services.get_opening(actor=request.actor, opening_id=opening_id)
    move = make_move(
        MACHINE,
        name,
        request.POST,
        version=opening.version,
        conflict=CONFLICT,
        apply=lambda version, values: hiring_services.apply_opening_transition(
            actor=request.actor, opening_id=opening.id, version=version, transition=name, values=values
        ),
    )
    if move.made:
        return redirect("web:hiring-opening", opening_id=opening.id)
    return _render_opening(request, opening.id, failed=(name, move.form), status=move.status)


@require_POST
@page
def candidate_add(request: HttpRequest, opening_id: int) -> HttpResponse:
    """Add a candidate from the opening's page (its recruiters and hiring manager)."""
    form = CandidateForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            candidate = hiring_services.add_candidate(actor=request.actor, opening_id=opening_id, **form.cleaned_data)
        except FORM_ERRORS as exc:
            status = show_error(form, exc)
        else:
            return redirect("web:hiring-candidate", candidate_id=candidate.id)
    return _render_opening(request, opening_id, candidate_form=form, status=status)


# ------------------------------------------------------------------------------------------------ candidates


@page
def candidate_detail(request: HttpRequest, candidate_id: int) -> HttpResponse:
    return _render_candidate(request, candidate_id)


def _render_candidate(
    request: HttpRequest, candidate_id: int, *, bound: dict[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    """A candidate for their insiders (the 404 page for everyone else): contact, source, résumé, state, the loop,
    and the moves the viewer may make (résumé upload, withdraw, accept the offer, erase)."""
    actor = request.actor
    c = hiring_services.get_candidate(actor=actor, candidate_id=candidate_id)
    bound = bound or {}
    can_edit = hiring_services.can_edit_candidate(actor=actor, candidate_id=c.id)
    context = {
        "c": c,
        "can_edit": can_edit,
        "can_erase": hiring_services.can_erase_candidate(actor=actor, candidate_id=c.id),
        "can_withdraw": can_edit and c.state in (CandidateState.APPLIED, CandidateState.IN_LOOP, CandidateState.OFFER),
        "can_accept": can_edit and c.state is CandidateState.OFFER,
        "resume_form": bound.get("resume") or ResumeForm(initial={"version": c.version}),
        "withdraw_form": bound.get("withdraw") or ReasonForm(initial={"version": c.version}),
        "accept_form": bound.get("accept") or VersionForm(initial={"version": c.version}),
        "erase_form": bound.get("erase") or ReasonForm(),
        "reload_url": f"/hiring/candidates/{c.id}",
    }
    return render(request, "hiring/candidate_detail.html", context, status=status)


@page
def resume_download(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """The résumé as a download, through the policy (insiders only): never inline, never type-sniffed."""
    from .api import resume_response

    return resume_response(hiring_services.read_resume(actor=request.actor, candidate_id=candidate_id))


@require_POST
@page
def resume_upload(request: HttpRequest, candidate_id: int) -> HttpResponse:
    form = ResumeForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        upload = form.cleaned_data["resume"]
        limit = hiring_services.resume_max_bytes()
        try:
            if upload.size > limit:
                raise RuleViolation(f"the résumé is larger than {limit} bytes", field="resume")
            hiring_services.attach_resume(
                actor=request.actor,
                candidate_id=candidate_id,
                filename=upload.name,
                content=upload.read(limit + 1),
                version=form.cleaned_data["version"],
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, conflict=CONFLICT)
        else:
            messages.success(request, "Résumé stored.")
            return redirect("web:hiring-candidate", candidate_id=candidate_id)
    return _render_candidate(request, candidate_id, bound={"resume": form}, status=status)


def _candidate_move(request: HttpRequest, candidate_id: int, key: str, form: forms.Form, call, done: str):
    status = 400
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except FORM_ERRORS as exc:
            status = show_error(form, exc, conflict=CONFLICT)
        else:
            messages.success(request, done)
            return redirect("web:hiring-candidate", candidate_id=candidate_id)
    return _render_candidate(request, candidate_id, bound={key: form}, status=status)


@require_POST
@page
def candidate_withdraw(request: HttpRequest, candidate_id: int) -> HttpResponse:
    def call(data):
        hiring_services.withdraw_candidate(
            actor=request.actor, candidate_id=candidate_id, version=data["version"] or 0, reason=data["reason"]
        )

    return _candidate_move(request, candidate_id, "withdraw", ReasonForm(request.POST), call, "Candidate withdrawn.")


@require_POST
@page
def candidate_accept(request: HttpRequest, candidate_id: int) -> HttpResponse:
    def call(data):
        hiring_services.accept_offer(actor=request.actor, candidate_id=candidate_id, version=data["version"])

    return _candidate_move(request, candidate_id, "accept", VersionForm(request.POST), call, "Offer accepted: hired.")


@require_POST
@page
def candidate_erase(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Erase a candidate's personal content; admins who may not see the candidate reach this through the API/CLI."""
    form = ReasonForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            hiring_services.erase_candidate(
                actor=request.actor, candidate_id=candidate_id, reason=form.cleaned_data["reason"]
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc)
        else:
            messages.success(request, "The candidate's personal content was erased.")
            return redirect("web:hiring-candidate", candidate_id=candidate_id)
    return _render_candidate(request, candidate_id, bound={"erase": form}, status=status)


# ------------------------------------------------------------------------------------------------ principles, health


@page
def principles(request: HttpRequest) -> HttpResponse:
    """The leadership principles openings choose from; admins and company-wide recruiters add to the list."""
    can_manage = hiring_services.can_manage_principles(actor=request.actor)
    form = PrincipleForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                hiring_services.add_principle(actor=request.actor, **form.cleaned_data)
            except FORM_ERRORS as exc:
                status = show_error(form, exc)
            else:
                messages.success(request, "Principle added.")
                return redirect("web:hiring-principles")
    context = {
        "principles": hiring_services.list_principles(actor=request.actor, active_only=not can_manage),
        "can_manage": can_manage,
        "form": form,
    }
    return render(request, "hiring/principles.html", context, status=status)


@page
def health(request: HttpRequest) -> HttpResponse:
    """The hiring mechanism's health (admins, leadership, recruiters): anonymous aggregates of decided loops."""
    import datetime as dt

    def day(name: str) -> dt.date | None:
        try:
            return dt.date.fromisoformat(query_text(request, name)) if query_text(request, name) else None
        except ValueError:
            return None

    since, until = day("since"), day("until")
    report = hiring_services.hiring_health(actor=request.actor, since=since, until=until)
    return render(request, "hiring/health.html", {"r": report, "since": since, "until": until})


# ------------------------------------------------------------------------------------------------ search


def search_openings(actor: Actor, text: str, limit: int, offset: int | None) -> SearchHits:
    """The search page's openings (kernel.mounts.SearchKind): every signed-in person."""
    found = hiring_services.list_openings(actor=actor, text=text, limit=limit, offset=offset)
    return SearchHits(page=found, template="hiring/_search_opening.html", more_url="/hiring")


def search_candidates(actor: Actor, text: str, limit: int, offset: int | None) -> SearchHits | None:
    """The search page's candidates: only those the viewer is an insider of (list_candidates filters by the
    policy); no section at all when none matches, so an outsider's page is the same whatever exists."""
    found = hiring_services.list_candidates(actor=actor, text=text, limit=limit, offset=offset)
    if not found.total:
        return None
    return SearchHits(page=found, template="hiring/_search_candidate.html")


# --- loops: the loop pages below
# My interviews, the loop page, the feedback form, the debrief room, and the home page's "feedback due" panel. Each
# shows what the loop services return for the viewer: the moves offered are the machine's `available` for them
# (LoopView.actions), the forms of planning only for those the services let plan, the feedback only as sealed.

INTERVIEWS_PAGE = 25
HOME_FEEDBACK_DUE = 5
LOOP_CONFLICT = (
    "Someone else changed this loop while you were looking at it. Reload to see what changed, then try again."
)
SEALED_STATES = (LoopState.PLANNING, LoopState.INTERVIEWING)
VOTE_WORDS = dict(VOTE_CHOICES)
INTERVIEW_FIELDS = {"interviewer_id": "interviewer", "interview_id": "interviewer"}


def _people(actor: Actor, ids) -> dict[int, Any]:
    return org_services.get_people(actor=actor, ids={i for i in ids if i is not None})


def _find_person(**kwargs):
    # A handle typed into a form, resolved in the directory (open to every signed-in person).
    return org_services.find_person(actor=Actor.system("hiring-pages"), **kwargs)


def _principle_names(actor: Actor) -> dict[str, str]:
    return {p.slug: p.name for p in hiring_services.list_principles(actor=actor, active_only=False)}


# ---------------------------------------------------------------------------------------------- my interviews


@page
def my_interviews(request: HttpRequest) -> HttpResponse:
    """The viewer's interviews, upcoming and past, each with its feedback status and a link to the form."""
    actor = request.actor
    names = _principle_names(actor)
    lists = []
    for upcoming, param, title in ((True, "up_offset", "Upcoming"), (False, "past_offset", "Past")):
        found = hiring_services.my_interviews(
            actor=actor, upcoming=upcoming, limit=INTERVIEWS_PAGE, offset=query_int(request, param)
        )
        lists.append(
            {
                "key": "upcoming" if upcoming else "past",
                "title": title,
                "page": found,
                "rows": [{"i": i, "principles": [names.get(p, p) for p in i.principles]} for i in found.items],
                "pager": pager(request, found, param),
            }
        )
    return render(request, "hiring/my_interviews.html", {"lists": lists})


def feedback_due_panel(request: HttpRequest, subject: None, **bound: Any) -> dict[str, Any] | None:
    """On the home page, the viewer's interviews whose feedback they still owe; nothing for one who owes none."""
    if request.actor.person_id is None:
        return None
    found = hiring_services.my_interviews(actor=request.actor, feedback_due=True, limit=HOME_FEEDBACK_DUE)
    if not found.total:
        return None
    return {"rows": found.items, "total": found.total}


# ---------------------------------------------------------------------------------------------- the loop page


@page
def create_loop(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Start planning a candidate's loop (the candidate page links here): the bar raiser is suggested, or named by
    hand with a reason; then the loop page, where the interviews are added."""
    candidate = hiring_services.get_candidate(actor=request.actor, candidate_id=candidate_id)
    status = 200
    if request.method == "POST":
        form = CreateLoopForm(request.POST)
        status = 400
        if form.is_valid():
            chosen = None
            if form.cleaned_data["bar_raiser"].strip():
                chosen = handle_to_id(form, "bar_raiser", form.cleaned_data["bar_raiser"], find=_find_person)
            if not form.errors:
                try:
                    loop = hiring_services.create_loop(
                        actor=request.actor,
                        candidate_id=candidate.id,
                        bar_raiser_id=chosen,
                        reason=form.cleaned_data["reason"],
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields={"bar_raiser_id": "bar_raiser", "candidate_id": "bar_raiser"})
                else:
                    messages.success(request, "The loop is being planned: add its interviews, then start it.")
                    return redirect("web:hiring-loop", loop_id=loop.id)
    else:
        form = CreateLoopForm()
    return render(request, "hiring/loop_new.html", {"candidate": candidate, "form": form}, status=status)


def _action_forms(loop, actions, failed: tuple[str, Any] | None, *, only: tuple[str, ...] | None = None) -> list:
    """The generated form of each move the viewer may make now (the declaration's order), a refused one bound."""
    shown = []
    for name in actions:
        if only is not None and name not in only:
            continue
        t = LOOP.transition(name)
        form = (
            failed[1] if failed and failed[0] == name else machine_forms.action_form(LOOP, name, version=loop.version)
        )
        shown.append(
            {
                "name": name,
                "url": f"/hiring/loops/{loop.id}/{t.slug}",
                "title": t.title,
                "help": t.help,
                "form": form,
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
                "fields": [f for f in form if f.name != machine_forms.VERDICT],
            }
        )
    return shown


def _loop_context(request: HttpRequest, loop_id: int, **bound: Any) -> dict[str, Any]:
    """Everything the loop page shows, as the services return it for the viewer; `bound` carries a posted form
    back with its errors (`interview_form`, `edit_forms`, `bar_raiser_form`, `action=(name, form)`)."""
    actor = request.actor
    view = hiring_services.loop_view(actor=actor, loop_id=loop_id)
    loop = view.loop
    names = _principle_names(actor)
    opening = hiring_services.get_opening(actor=actor, opening_id=loop.opening_id)
    chosen = [(slug, names.get(slug, slug)) for slug in opening.principles]
    people = _people(actor, [loop.bar_raiser_id, loop.hiring_manager_id, loop.recruiter_id])
    planning = view.can_plan
    rows = []
    for i in (i for i in loop.interviews if not i.cancelled):
        edit = None
        if planning:
            edit = bound.get("edit_forms", {}).get(i.id) or InterviewChangeForm(
                principles=chosen,
                initial={
                    "starts_at": i.starts_at,
                    "ends_at": i.ends_at,
                    "principles": list(i.principles),
                    "version": i.version,
                },
                prefix=f"interview-{i.id}",
            )
        rows.append(
            {
                "i": i,
                "principles": [names.get(p, p) for p in i.principles],
                "edit_form": edit,
                "cancel_form": CancelInterviewForm(initial={"version": i.version}) if planning else None,
            }
        )
    return {
        "loop": loop,
        "view": view,
        "opening": opening,
        "state_words": LOOP.state_words(loop.state.value),
        "bar_raiser": people.get(loop.bar_raiser_id),
        "hiring_manager": people.get(loop.hiring_manager_id),
        "recruiter": people.get(loop.recruiter_id),
        "chosen": chosen,
        "rows": rows,
        "problems": view.problems,
        "planning": planning,
        "interview_form": bound.get("interview_form")
        or (InterviewForm(principles=chosen, prefix="new") if planning else None),
        "action_forms": _action_forms(loop, view.actions, bound.get("action")),
        "submitted": sum(1 for row in rows if row["i"].submitted_at is not None),
        "timeline": [
            {
                "event": e,
                "words": _event_words(e),
                "from": LOOP.state_words(e.from_state) if e.from_state else "",
                "to": LOOP.state_words(e.to_state),
            }
            for e in view.timeline
        ],
        "sealed": loop.state in SEALED_STATES,
    }


# The loop's steps that are not the machine's transitions (the services record them on the same timeline).
EVENT_WORDS = {
    "create": "planned the loop",
    "change_bar_raiser": "changed the bar raiser",
    "change_vote": "changed their vote, with a reason",
    "recommend": "recommended",
    "veto": "vetoed: do not proceed",
}


def _event_words(event) -> str:
    """A timeline entry in words, from the declaration's `done` words (by the state it led to)."""
    t = LOOP.by_name.get(event.transition)
    words = t.words_for(t.done, event.to_state) if t else EVENT_WORDS.get(event.transition, "")
    return words or event.transition.replace("_", " ")


@page
def loop_detail(request: HttpRequest, loop_id: int) -> HttpResponse:
    """A loop: candidate, opening, state, bar raiser, interviews, the rules check, the moves, feedback status."""
    return render(request, "hiring/loop_detail.html", _loop_context(request, loop_id))


def _loop_again(request: HttpRequest, loop_id: int, status: int, **bound: Any) -> HttpResponse:
    return render(request, "hiring/loop_detail.html", _loop_context(request, loop_id, **bound), status=status)


@require_POST
@page
def loop_action(request: HttpRequest, loop_id: int, action: str) -> HttpResponse:
    """One move of the loop machine (start, open the debrief, decide, withdraw), posted from the loop page or the
    debrief room (`from=debrief`); back there on success, or that page again with the error next to its field."""
    name = move_named(LOOP, action, noun="a loop")
    loop = hiring_services.get_loop(actor=request.actor, loop_id=loop_id)
    from_debrief = request.POST.get("from") == "debrief"
    move = make_move(
        LOOP,
        name,
        request.POST,
        version=loop.version,
        conflict=LOOP_CONFLICT,
        apply=lambda version, values: hiring_services.apply_loop_transition(
            actor=request.actor, loop_id=loop.id, version=version, transition=name, values=values
        ),
    )
    if move.made:
        if from_debrief or name == "open_debrief":
            return redirect("web:hiring-debrief", loop_id=loop.id)
        return redirect("web:hiring-loop", loop_id=loop.id)
    if from_debrief:
        return _debrief_again(request, loop.id, move.status, action=(name, move.form))
    return _loop_again(request, loop.id, move.status, action=(name, move.form))


def _loop_principles(request: HttpRequest, loop) -> list[tuple[str, str]]:
    names = _principle_names(request.actor)
    opening = hiring_services.get_opening(actor=request.actor, opening_id=loop.opening_id)
    return [(slug, names.get(slug, slug)) for slug in opening.principles]


@require_POST
@page
def add_interview(request: HttpRequest, loop_id: int) -> HttpResponse:
    """Add an interview to a loop being planned (the loop rules are checked when it starts, shown meanwhile)."""
    loop = hiring_services.get_loop(actor=request.actor, loop_id=loop_id)
    form = InterviewForm(request.POST, principles=_loop_principles(request, loop), prefix="new")
    interviewer = None
    if form.is_valid():
        interviewer = handle_to_id(form, "interviewer", form.cleaned_data["interviewer"], find=_find_person)
    if interviewer is not None:
        try:
            hiring_services.add_interview(
                actor=request.actor,
                loop_id=loop.id,
                interviewer_id=interviewer,
                starts_at=form.cleaned_data["starts_at"],
                ends_at=form.cleaned_data["ends_at"],
                principles=tuple(form.cleaned_data["principles"]),
            )
        except FORM_ERRORS as exc:
            return _loop_again(request, loop.id, show_error(form, exc, fields=INTERVIEW_FIELDS), interview_form=form)
        messages.success(request, "Interview added.")
        return redirect("web:hiring-loop", loop_id=loop.id)
    return _loop_again(request, loop.id, 400, interview_form=form)


@require_POST
@page
def edit_interview(request: HttpRequest, loop_id: int, interview_id: int) -> HttpResponse:
    """Change an interview's interviewer, time or principles while its loop is planned."""
    loop = hiring_services.get_loop(actor=request.actor, loop_id=loop_id)
    form = InterviewChangeForm(
        request.POST, principles=_loop_principles(request, loop), prefix=f"interview-{interview_id}"
    )
    if form.is_valid():
        changes = InterviewChanges(
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            principles=tuple(form.cleaned_data["principles"]),
        )
        try:
            hiring_services.update_interview(
                actor=request.actor, interview_id=interview_id, version=form.cleaned_data["version"], changes=changes
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, fields=INTERVIEW_FIELDS, conflict=LOOP_CONFLICT)
            return _loop_again(request, loop.id, status, edit_forms={interview_id: form})
        messages.success(request, "Interview changed.")
        return redirect("web:hiring-loop", loop_id=loop.id)
    return _loop_again(request, loop.id, 400, edit_forms={interview_id: form})


@require_POST
@page
def cancel_interview(request: HttpRequest, loop_id: int, interview_id: int) -> HttpResponse:
    """Cancel an interview while its loop is planned."""
    loop = hiring_services.get_loop(actor=request.actor, loop_id=loop_id)
    form = CancelInterviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again.")
        return redirect("web:hiring-loop", loop_id=loop.id)
    try:
        hiring_services.cancel_interview(
            actor=request.actor, interview_id=interview_id, version=form.cleaned_data["version"]
        )
    except FORM_ERRORS as exc:
        messages.error(request, exc.message[:1].upper() + exc.message[1:])
    else:
        messages.success(request, "Interview cancelled.")
    return redirect("web:hiring-loop", loop_id=loop.id)


@page
def change_bar_raiser(request: HttpRequest, loop_id: int) -> HttpResponse:
    """The loop's bar raiser: the suggestions (independent of the hiring manager, their chain and the team, not the
    recruiter, with room; least loaded first) and a pick by hand, which states why unless it is the first
    suggestion. The pool, independence and capacity are the bar-raisers app's to judge."""
    actor = request.actor
    loop = hiring_services.get_loop(actor=actor, loop_id=loop_id)  # the loop page links here for its planners only
    status = 200
    if request.method == "POST":
        form = BarRaiserForm(request.POST)
        status = 400
        chosen = None
        if form.is_valid():
            chosen = handle_to_id(form, "bar_raiser", form.cleaned_data["bar_raiser"], find=_find_person)
        if chosen is not None:
            try:
                hiring_services.change_bar_raiser(
                    actor=actor,
                    loop_id=loop.id,
                    bar_raiser_id=chosen,
                    reason=form.cleaned_data["reason"],
                    version=form.cleaned_data["version"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields={"bar_raiser_id": "bar_raiser"}, conflict=LOOP_CONFLICT)
            else:
                messages.success(request, "Bar raiser assigned.")
                return redirect("web:hiring-loop", loop_id=loop.id)
    else:
        form = BarRaiserForm(initial={"version": loop.version})
    suggestions = bar_raisers_services.suggest(actor=actor, subject=hiring_services.describe_loop(actor, loop.id))
    context = {"loop": loop, "form": form, "suggestions": suggestions}
    return render(request, "hiring/bar_raiser.html", context, status=status)


# ---------------------------------------------------------------------------------------------- the feedback form


def _feedback_form(record, names: dict[str, str], data=None) -> FeedbackForm:
    initial: dict[str, Any] = {"summary": record.summary, "vote": record.vote.value if record.vote else ""}
    for e in record.evidence:
        for part, _, _ in STAR:
            initial[f"{e.principle}-{part}"] = getattr(e, part)
        initial[f"{e.principle}-rating"] = e.rating
    principles = [(slug, names.get(slug, slug)) for slug in record.principles]
    return FeedbackForm(data, principles=principles, initial=initial)


def _render_feedback(
    request: HttpRequest, record, *, form: FeedbackForm | None = None, status: int = 200
) -> HttpResponse:
    actor = request.actor
    names = _principle_names(actor)
    loop = hiring_services.get_loop(actor=actor, loop_id=record.loop_id)
    interview = next((i for i in loop.interviews if i.id == record.interview_id), None)
    own = record.interviewer_id == actor.person_id
    editable = own and not record.submitted
    context = {
        "f": record,
        "loop": loop,
        "interview": interview,
        "own": own,
        "editable": editable,
        "form": form or (_feedback_form(record, names) if editable else None),
        "evidence": [
            {
                "e": e,
                "name": names.get(e.principle, e.principle),
                "star": _star(e),
            }
            for e in record.evidence
        ],
        "vote": VOTE_WORDS.get(record.vote.value, "") if record.vote else "",
    }
    return render(request, "hiring/feedback.html", context, status=status)


def _show_feedback_errors(form: FeedbackForm, exc, principles: tuple[str, ...]) -> int:
    """Every problem of a refused feedback next to its field: the service names evidence fields by position
    (`evidence[0].result`), the form by principle (`ownership-result`)."""
    problems = (exc.details or {}).get("problems") if isinstance(exc.details, dict) else None
    if not problems:
        return show_error(form, exc)
    for problem in problems:
        name = problem.get("field") or ""
        if (found := re.fullmatch(r"evidence\[(\d+)\]\.(\w+)", name)) and int(found[1]) < len(principles):
            part = found[2] if found[2] != "principle" else "situation"
            name = f"{principles[int(found[1])]}-{part}"
        if name in form.fields:
            form.add_error(name, problem.get("message", ""))
        else:
            form.add_error(None, problem.get("message", ""))
    return exc.http_status


@page
def feedback(request: HttpRequest, interview_id: int) -> HttpResponse:
    """The interviewer's feedback form (a draft, then read-only once submitted); anyone else reads it only as the
    service allows: sealed until the debrief (403) for the loop's people, not found (404) for everyone else."""
    record = hiring_services.get_feedback(actor=request.actor, interview_id=interview_id)
    if request.method != "POST":
        return _render_feedback(request, record)
    form = _feedback_form(record, _principle_names(request.actor), request.POST)
    submit = "submit" in request.POST
    if not form.is_valid():
        return _render_feedback(request, record, form=form, status=400)
    if submit and not form.cleaned_data["confirm"]:
        form.add_error("confirm", "tick this box to submit: submitted feedback can never be changed")
        return _render_feedback(request, record, form=form, status=400)
    write = hiring_services.submit_feedback if submit else hiring_services.save_feedback
    try:
        write(
            actor=request.actor,
            interview_id=record.interview_id,
            vote=form.cleaned_data["vote"] or None,
            summary=form.cleaned_data["summary"],
            evidence=[EvidenceInput(**values) for values in form.evidence()],
        )
    except FORM_ERRORS as exc:
        status = _show_feedback_errors(form, exc, record.principles)
        return _render_feedback(request, record, form=form, status=status)
    messages.success(request, "Submitted. It is sealed until the debrief opens." if submit else "Draft saved.")
    return redirect("web:hiring-feedback", interview_id=record.interview_id)


# ---------------------------------------------------------------------------------------------- the debrief room


def _star(evidence) -> list[tuple[str, str]]:
    return [(label, getattr(evidence, part)) for part, label, _ in STAR]


def _debrief_context(request: HttpRequest, loop_id: int, **bound: Any) -> tuple[str, dict[str, Any]]:
    """The sealed room before the debrief opens (who submitted and when, the bar raiser's "open early"), the room
    itself once it is open."""
    actor = request.actor
    view = hiring_services.loop_view(actor=actor, loop_id=loop_id)
    loop = view.loop
    base: dict[str, Any] = {"loop": loop, "state_words": LOOP.state_words(loop.state.value)}
    if loop.state in SEALED_STATES:
        status = hiring_services.feedback_status(actor=actor, loop_id=loop.id)
        people = _people(actor, [loop.bar_raiser_id, *(line.interviewer_id for line in status.lines)])
        open_early = _action_forms(loop, view.actions, bound.get("action"), only=("open_debrief",))
        return "hiring/debrief_sealed.html", {
            **base,
            "status_rows": [{"s": line, "who": people.get(line.interviewer_id)} for line in status.lines],
            "action_forms": open_early,
        }
    d = hiring_services.get_debrief(actor=actor, loop_id=loop.id)
    names = _principle_names(actor)
    decide = _action_forms(loop, view.actions, bound.get("action"), only=("decide",))
    return "hiring/debrief.html", {
        **base,
        "d": d,
        "votes": [{"v": v, "vote": VOTE_WORDS.get(v.vote.value, v.vote.value)} for v in d.votes],
        "feedback": [
            {
                "f": f,
                "vote": VOTE_WORDS.get(f.vote.value, "") if f.vote else "",
                "evidence": [
                    {
                        "e": e,
                        "name": names.get(e.principle, e.principle),
                        "star": _star(e),
                    }
                    for e in f.evidence
                ],
            }
            for f in d.feedback
        ],
        "changed": [{"c": c, "vote": VOTE_WORDS.get(c.vote.value, c.vote.value)} for c in d.changed_votes],
        "vote_form": bound.get("vote_form") or (ChangeVoteForm() if view.may_change_vote else None),
        "recommendation_form": bound.get("recommendation_form")
        or (RecommendationForm() if view.may_recommend else None),
        "action_forms": decide,
    }


@page
def debrief(request: HttpRequest, loop_id: int) -> HttpResponse:
    """The debrief room: every written vote first, then each feedback in full, changed votes with their reasons,
    the bar raiser's recommendation and the hiring manager's decision. Before it opens: sealed, with who has
    submitted and when, and the bar raiser's "open early" form."""
    template, context = _debrief_context(request, loop_id)
    return render(request, template, context)


def _debrief_again(request: HttpRequest, loop_id: int, status: int, **bound: Any) -> HttpResponse:
    template, context = _debrief_context(request, loop_id, **bound)
    return render(request, template, context, status=status)


@require_POST
@page
def change_vote(request: HttpRequest, loop_id: int) -> HttpResponse:
    """A changed vote in the debrief: a new entry with its reason."""
    form = ChangeVoteForm(request.POST)
    if form.is_valid():
        try:
            hiring_services.change_vote(
                actor=request.actor, loop_id=loop_id, vote=form.cleaned_data["vote"], reason=form.cleaned_data["reason"]
            )
        except FORM_ERRORS as exc:
            return _debrief_again(request, loop_id, show_error(form, exc), vote_form=form)
        messages.success(request, "Your changed vote is recorded, with its reason.")
        return redirect("web:hiring-debrief", loop_id=loop_id)
    return _debrief_again(request, loop_id, 400, vote_form=form)


@require_POST
@page
def recommend(request: HttpRequest, loop_id: int) -> HttpResponse:
    """The bar raiser's recommendation; do not proceed is a veto that blocks an offer."""
    form = RecommendationForm(request.POST)
    if form.is_valid():
        try:
            hiring_services.recommend_on_loop(
                actor=request.actor,
                loop_id=loop_id,
                recommendation=form.cleaned_data["recommendation"],
                reasoning=form.cleaned_data["reasoning"],
            )
        except FORM_ERRORS as exc:
            return _debrief_again(request, loop_id, show_error(form, exc), recommendation_form=form)
        messages.success(request, "Your recommendation is recorded.")
        return redirect("web:hiring-debrief", loop_id=loop_id)
    return _debrief_again(request, loop_id, 400, recommendation_form=form)
