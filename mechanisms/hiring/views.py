"""The hiring pages (MECHANISMS.md §5): openings (list, new, detail with its transitions and candidates, edit),
candidates (contact, résumé, state, the loop, erasure), principles and the mechanism's health; the search page's
openings and candidates; then (below the loops banner) the loop pages.

Thin: parse, call one service, render. Who may see and do what is decided by the hiring services (hiring/policy.py):
a candidate the viewer may not see is the 404 page, whatever the door; a page offers only the moves the services
allow. Templates are in `hiring/templates/hiring/`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.hiring import services as hiring_services
from mechanisms.hiring.contracts import (
    CandidateState,
    OpeningChanges,
    OpeningRecord,
    OpeningState,
)
from mechanisms.kernel import machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.mounts import SearchHits
from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, pager, people_ids, query_int, query_text, show_error
from mechanisms.kernel.pages import person_id as handle_to_id
from mechanisms.org import services as org_services

from .forms import CandidateForm, OpeningForm, PrincipleForm, ReasonForm, ResumeForm, VersionForm

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
                actor=request.actor, opening_id=opening.id, changes=changes, version=data["version"]
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
    """The opening: its job description (Markdown), principles, team and people, the moves the viewer may make, and
    for its insiders the candidates they may see and the form to add one."""
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
    candidates = hiring_services.list_candidates(
        actor=actor, opening_id=opening.id, limit=PAGE_SIZE, offset=query_int(request, "offset")
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
        "candidates_pager": pager(request, candidates, "offset"),
        "show_candidates": can_add or candidates.total > 0,
        "reload_url": f"/hiring/openings/{opening.id}",
    }
    return render(request, "hiring/opening_detail.html", context, status=status)


@require_POST
@page
def opening_action(request: HttpRequest, opening_id: int, action: str) -> HttpResponse:
    """One move on an opening (open, hold, reopen, close); back to its page, or the page with the error."""
    name = action.replace("-", "_")
    if name not in MACHINE.by_name:
        raise NotFound(f"there is no move {action!r} on an opening", field="action")
    t = MACHINE.transition(name)
    opening = hiring_services.get_opening(actor=request.actor, opening_id=opening_id)
    form = machine_forms.action_form(MACHINE, name, request.POST, version=opening.version)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            hiring_services.apply_opening_transition(
                actor=request.actor,
                opening_id=opening.id,
                version=data["version"],
                transition=name,
                values=machine_forms.form_values(t, data),
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, conflict=CONFLICT)
        else:
            return redirect("web:hiring-opening", opening_id=opening.id)
    return _render_opening(request, opening.id, failed=(name, form), status=status)


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
