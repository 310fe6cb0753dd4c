"""The hiring pages (MECHANISMS.md §5): openings, candidates, principles, mechanism health; then (below the
`# --- loops` banner) the loop pages.

Thin: parse, call one service, render. Who may see and do what is decided by the hiring services (hiring/policy.py):
a candidate the viewer may not see is the 404 page, whatever the door.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.kernel import machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.pages import FORM_ERRORS, page, pager, person_id, query_int, show_error
from mechanisms.org import services as org_services

from . import services as hiring
from .contracts import LoopState
from .forms import (
    STAR,
    VOTE_CHOICES,
    BarRaiserForm,
    CancelInterviewForm,
    ChangeVoteForm,
    FeedbackForm,
    InterviewForm,
    RecommendationForm,
)


@page
def opening_list(request: HttpRequest) -> HttpResponse:
    return render(request, "hiring/opening_list.html", {"openings": []})


# --- loops: the loop pages below
# My interviews, the loop page, the feedback form, the debrief room, and the home page's "feedback due" panel.

LOOP = hiring.LOOP_MACHINE  # the declared loop machine: its forms, buttons and words make the "what you can do now"
INTERVIEWS_PAGE = 25
HOME_FEEDBACK_DUE = 5
LOOP_CONFLICT = (
    "Someone else changed this loop while you were looking at it. Reload to see what changed, then try again."
)
SEALED_STATES = (LoopState.PLANNING, LoopState.INTERVIEWING)
FEEDBACK_WORDS = {"not_started": "not started", "draft": "draft", "submitted": "submitted"}


def _people(actor: Actor, ids) -> dict[int, Any]:
    return org_services.get_people(actor=actor, ids={i for i in ids if i is not None})


def _find_person(**kwargs):
    return org_services.find_person(actor=Actor.system("hiring-pages"), **kwargs)


# ---------------------------------------------------------------------------------------------- my interviews


@page
def my_interviews(request: HttpRequest) -> HttpResponse:
    """The viewer's interviews, upcoming and past, each with its feedback status and a link to the form."""
    actor = request.actor
    lists = []
    for upcoming, param, title in ((True, "up_offset", "Upcoming"), (False, "past_offset", "Past")):
        found = hiring.my_interviews(
            actor=actor, upcoming=upcoming, limit=INTERVIEWS_PAGE, offset=query_int(request, param)
        )
        lists.append(
            {
                "key": "upcoming" if upcoming else "past",
                "title": title,
                "page": found,
                "pager": pager(request, found, param),
            }
        )
    return render(request, "hiring/my_interviews.html", {"lists": lists, "words": FEEDBACK_WORDS})


def feedback_due_panel(request: HttpRequest, subject: None, **bound: Any) -> dict[str, Any] | None:
    """On the home page, the viewer's interviews whose feedback they still owe; nothing for one who owes none."""
    found = hiring.my_interviews(actor=request.actor, upcoming=False, feedback_due=True, limit=HOME_FEEDBACK_DUE)
    if not found.total:
        return None
    return {"rows": found.items, "total": found.total, "words": FEEDBACK_WORDS}


# ---------------------------------------------------------------------------------------------- the loop page


def _loop_context(request: HttpRequest, loop_id: int, **bound: Any) -> dict[str, Any]:
    """Everything the loop page shows, as the services return it for the viewer; `bound` carries a posted form
    back with its errors (`interview_form`, `bar_raiser_form`, `action=(name, form)`)."""
    actor = request.actor
    view = hiring.loop_view(actor=actor, loop_id=loop_id)
    loop = view.loop
    opening = hiring.get_opening(actor=actor, opening_id=loop.opening_id)
    principles = hiring.list_principles(actor=actor, active_only=False)
    principle_names = {p.slug: p.name for p in principles}
    chosen = [(slug, principle_names.get(slug, slug)) for slug in opening.principles]
    interviews = [i for i in loop.interviews if not i.cancelled]
    status = {s.interview_id: s for s in hiring.feedback_status(actor=actor, loop_id=loop.id)}
    people = _people(
        actor,
        [loop.bar_raiser_id, opening.hiring_manager_id, opening.recruiter_id, *(i.interviewer_id for i in interviews)],
    )
    failed_action = bound.get("action")
    action_forms = []
    for name in view.actions:
        t = LOOP.transition(name)
        form = failed_action[1] if failed_action and failed_action[0] == name else None
        form = form or machine_forms.action_form(LOOP, name, version=loop.version)
        action_forms.append(
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
    rows = []
    for i in interviews:
        edit = None
        if view.can_plan:
            edit = bound.get("edit_forms", {}).get(i.id) or InterviewForm(
                principles=chosen,
                initial={
                    "interviewer": people[i.interviewer_id].handle if i.interviewer_id in people else "",
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
                "interviewer": people.get(i.interviewer_id),
                "principles": [principle_names.get(p, p) for p in i.principles],
                "status": status.get(i.id),
                "edit_form": edit,
                "cancel_form": CancelInterviewForm(initial={"version": i.version}) if view.can_plan else None,
            }
        )
    suggestions = []
    bar_raiser_form = None
    if view.can_plan:
        suggestions = hiring.bar_raiser_suggestions(actor=actor, loop_id=loop.id)
        bar_raiser_form = bound.get("bar_raiser_form") or BarRaiserForm(initial={"version": loop.version})
    return {
        "loop": loop,
        "view": view,
        "opening": opening,
        "state_words": LOOP.state_words(loop.state.value),
        "bar_raiser": people.get(loop.bar_raiser_id),
        "hiring_manager": people.get(opening.hiring_manager_id),
        "recruiter": people.get(opening.recruiter_id),
        "chosen": chosen,
        "rows": rows,
        "problems": hiring.loop_check(actor=actor, loop_id=loop.id) if loop.state is LoopState.PLANNING else [],
        "interview_form": bound.get("interview_form")
        or (InterviewForm(principles=chosen, prefix="new") if view.can_plan else None),
        "bar_raiser_form": bar_raiser_form,
        "suggestions": suggestions,
        "action_forms": action_forms,
        "submitted": sum(1 for s in status.values() if s.submitted_at is not None),
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
        "reload_url": f"/hiring/loops/{loop.id}",
    }


def _event_words(event) -> str:
    t = LOOP.by_name.get(event.transition)
    return (t.words_for(t.done, event.to_state) if t else "") or event.transition.replace("_", " ")


@page
def loop_detail(request: HttpRequest, loop_id: int) -> HttpResponse:
    """A loop: candidate, opening, state, bar raiser, interviews, the rules check, the moves, feedback status."""
    return render(request, "hiring/loop_detail.html", _loop_context(request, loop_id))


def _loop_again(request: HttpRequest, loop_id: int, status: int, **bound: Any) -> HttpResponse:
    return render(request, "hiring/loop_detail.html", _loop_context(request, loop_id, **bound), status=status)


@require_POST
@page
def loop_action(request: HttpRequest, loop_id: int, action: str) -> HttpResponse:
    """One move of the loop machine (start, open the debrief, decide, withdraw); back to where it was posted from."""
    name = action.replace("-", "_")
    if name not in LOOP.by_name:
        raise NotFound(f"there is no move {action!r} on a loop", field="action")
    t = LOOP.transition(name)
    loop = hiring.get_loop(actor=request.actor, loop_id=loop_id)
    form = machine_forms.action_form(LOOP, name, request.POST, version=loop.version)
    status = 400
    if form.is_valid():
        try:
            hiring.apply_loop_transition(
                actor=request.actor,
                loop_id=loop.id,
                version=form.cleaned_data["version"],
                transition=name,
                values=machine_forms.form_values(t, form.cleaned_data),
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, conflict=LOOP_CONFLICT)
        else:
            if name in ("open_debrief", "decide"):
                return redirect("web:hiring-debrief", loop_id=loop.id)
            return redirect("web:hiring-loop", loop_id=loop.id)
    if request.POST.get("from") == "debrief":
        return _debrief_again(request, loop.id, status, action=(name, form))
    return _loop_again(request, loop.id, status, action=(name, form))


def _interview_values(form: InterviewForm) -> dict[str, Any] | None:
    interviewer = person_id(form, "interviewer", form.cleaned_data["interviewer"], find=_find_person)
    if interviewer is None:
        return None
    return {
        "interviewer_id": interviewer,
        "starts_at": form.cleaned_data["starts_at"],
        "ends_at": form.cleaned_data["ends_at"],
        "principles": tuple(form.cleaned_data["principles"]),
    }


INTERVIEW_FIELDS = {"interviewer_id": "interviewer", "starts_at": "starts_at", "ends_at": "ends_at"}


@require_POST
@page
def add_interview(request: HttpRequest, loop_id: int) -> HttpResponse:
    """Add an interview to a loop being planned (the loop rules are checked when it starts, shown meanwhile)."""
    loop = hiring.get_loop(actor=request.actor, loop_id=loop_id)
    opening = hiring.get_opening(actor=request.actor, opening_id=loop.opening_id)
    names = {p.slug: p.name for p in hiring.list_principles(actor=request.actor, active_only=False)}
    form = InterviewForm(request.POST, principles=[(s, names.get(s, s)) for s in opening.principles], prefix="new")
    if form.is_valid() and (values := _interview_values(form)) is not None:
        try:
            hiring.add_interview(actor=request.actor, loop_id=loop.id, **values)
        except FORM_ERRORS as exc:
            return _loop_again(request, loop.id, show_error(form, exc, fields=INTERVIEW_FIELDS), interview_form=form)
        messages.success(request, "Interview added.")
        return redirect("web:hiring-loop", loop_id=loop.id)
    return _loop_again(request, loop.id, 400, interview_form=form)


@require_POST
@page
def edit_interview(request: HttpRequest, interview_id: int) -> HttpResponse:
    """Change an interview's interviewer, time or principles while its loop is planned."""
    interview = hiring.get_interview(actor=request.actor, interview_id=interview_id)
    loop = hiring.get_loop(actor=request.actor, loop_id=interview.loop_id)
    opening = hiring.get_opening(actor=request.actor, opening_id=loop.opening_id)
    names = {p.slug: p.name for p in hiring.list_principles(actor=request.actor, active_only=False)}
    form = InterviewForm(
        request.POST, principles=[(s, names.get(s, s)) for s in opening.principles], prefix=f"interview-{interview.id}"
    )
    if form.is_valid() and (values := _interview_values(form)) is not None:
        try:
            hiring.update_interview(
                actor=request.actor, interview_id=interview.id, version=form.cleaned_data["version"], **values
            )
        except FORM_ERRORS as exc:
            status = show_error(form, exc, fields=INTERVIEW_FIELDS, conflict=LOOP_CONFLICT)
            return _loop_again(request, loop.id, status, edit_forms={interview.id: form})
        messages.success(request, "Interview changed.")
        return redirect("web:hiring-loop", loop_id=loop.id)
    return _loop_again(request, loop.id, 400, edit_forms={interview.id: form})


@require_POST
@page
def cancel_interview(request: HttpRequest, interview_id: int) -> HttpResponse:
    """Cancel an interview while its loop is planned."""
    interview = hiring.get_interview(actor=request.actor, interview_id=interview_id)
    form = CancelInterviewForm(request.POST)
    if form.is_valid():
        try:
            hiring.cancel_interview(
                actor=request.actor, interview_id=interview.id, version=form.cleaned_data["version"]
            )
        except FORM_ERRORS as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Interview cancelled.")
    return redirect("web:hiring-loop", loop_id=interview.loop_id)


@require_POST
@page
def change_bar_raiser(request: HttpRequest, loop_id: int) -> HttpResponse:
    """Pick the loop's bar raiser by hand (the pool, independence and capacity are checked by the service)."""
    loop = hiring.get_loop(actor=request.actor, loop_id=loop_id)
    form = BarRaiserForm(request.POST)
    if form.is_valid():
        chosen = person_id(form, "bar_raiser", form.cleaned_data["bar_raiser"], find=_find_person)
        if chosen is not None:
            try:
                hiring.change_bar_raiser(
                    actor=request.actor,
                    loop_id=loop.id,
                    bar_raiser_id=chosen,
                    reason=form.cleaned_data["reason"],
                    version=form.cleaned_data["version"],
                )
            except FORM_ERRORS as exc:
                status = show_error(form, exc, fields={"bar_raiser_id": "bar_raiser"}, conflict=LOOP_CONFLICT)
                return _loop_again(request, loop.id, status, bar_raiser_form=form)
            messages.success(request, "Bar raiser assigned.")
            return redirect("web:hiring-loop", loop_id=loop.id)
    return _loop_again(request, loop.id, 400, bar_raiser_form=form)


# ---------------------------------------------------------------------------------------------- the feedback form


def _feedback_form(record, data=None) -> FeedbackForm:
    names = dict(record.principle_names)
    principles = [(slug, names.get(slug, slug)) for slug in record.principles]
    initial: dict[str, Any] = {"summary": record.summary, "vote": record.vote or ""}
    for e in record.evidence:
        for part, _, _ in STAR:
            initial[f"{e.principle}-{part}"] = getattr(e, part)
        initial[f"{e.principle}-rating"] = e.rating
    return FeedbackForm(data, principles=principles, initial=initial)


def _render_feedback(request: HttpRequest, record, form: FeedbackForm | None = None, status: int = 200) -> HttpResponse:
    own = record.interviewer_id == request.actor.person_id
    editable = own and record.submitted_at is None
    context = {
        "f": record,
        "own": own,
        "editable": editable,
        "form": form or (_feedback_form(record) if editable else None),
        "evidence": [
            {
                "e": e,
                "name": dict(record.principle_names).get(e.principle, e.principle),
                "star": [(label, getattr(e, part)) for part, label, _ in STAR],
            }
            for e in record.evidence
        ],
        "vote_words": dict(VOTE_CHOICES),
    }
    return render(request, "hiring/feedback.html", context, status=status)


@page
def feedback(request: HttpRequest, interview_id: int) -> HttpResponse:
    """The interviewer's feedback form (a draft, then read-only once submitted); anyone else reads it only as the
    service allows: sealed until the debrief (403) for the loop's people, not found (404) for everyone else."""
    record = hiring.get_feedback(actor=request.actor, interview_id=interview_id)
    if request.method != "POST":
        return _render_feedback(request, record)
    form = _feedback_form(record, request.POST)
    submit = "submit" in request.POST
    if not form.is_valid():
        return _render_feedback(request, record, form, 400)
    if submit and not form.cleaned_data["confirm"]:
        form.add_error("confirm", "tick this box to submit: submitted feedback can never be changed")
        return _render_feedback(request, record, form, 400)
    evidence = [hiring.EvidenceInput(**values) for values in form.evidence()]
    write = hiring.submit_feedback if submit else hiring.save_feedback
    try:
        write(
            actor=request.actor,
            interview_id=record.interview_id,
            vote=form.cleaned_data["vote"] or None,
            summary=form.cleaned_data["summary"],
            evidence=evidence,
        )
    except FORM_ERRORS as exc:
        return _render_feedback(request, record, form, show_error(form, exc, fields=_evidence_fields(exc, record)))
    messages.success(request, "Submitted. It is sealed until the debrief opens." if submit else "Draft saved.")
    return redirect("web:hiring-feedback", interview_id=record.interview_id)


def _evidence_fields(exc, record) -> dict[str, str]:
    """The service names an evidence field as `evidence.<principle>.<part>`; the form names it `<principle>-<part>`."""
    name = exc.field or ""
    if name.startswith("evidence."):
        return {name: name.removeprefix("evidence.").replace(".", "-")}
    return {}


# ---------------------------------------------------------------------------------------------- the debrief room


def _debrief_context(request: HttpRequest, loop_id: int, **bound: Any) -> tuple[str, dict[str, Any]]:
    actor = request.actor
    view = hiring.loop_view(actor=actor, loop_id=loop_id)
    loop = view.loop
    opening = hiring.get_opening(actor=actor, opening_id=loop.opening_id)
    status = hiring.feedback_status(actor=actor, loop_id=loop.id)
    failed_action = bound.get("action")
    base: dict[str, Any] = {
        "loop": loop,
        "opening": opening,
        "state_words": LOOP.state_words(loop.state.value),
        "status": status,
        "words": FEEDBACK_WORDS,
        "vote_words": dict(VOTE_CHOICES),
    }
    people = _people(actor, [loop.bar_raiser_id, opening.hiring_manager_id, *(s.interviewer_id for s in status)])
    base["status_rows"] = [{"s": s, "who": people.get(s.interviewer_id)} for s in status]
    base["bar_raiser"] = people.get(loop.bar_raiser_id)
    if loop.state in SEALED_STATES:
        open_early = None
        if "open_debrief" in view.actions:
            form = failed_action[1] if failed_action and failed_action[0] == "open_debrief" else None
            open_early = form or machine_forms.action_form(LOOP, "open_debrief", version=loop.version)
        return "hiring/debrief_sealed.html", {**base, "open_early": open_early}
    debrief = hiring.get_debrief(actor=actor, loop_id=loop.id)
    people.update(_people(actor, [v.person_id for v in debrief.changed_votes]))
    decide = None
    if "decide" in view.actions:
        form = failed_action[1] if failed_action and failed_action[0] == "decide" else None
        decide = form or machine_forms.action_form(LOOP, "decide", version=loop.version)
    return "hiring/debrief.html", {
        **base,
        "d": debrief,
        "feedback": [
            {"f": f, "star": [[(label, getattr(e, part)) for part, label, _ in STAR] for e in f.evidence]}
            for f in debrief.feedback
        ],
        "vote_form": bound.get("vote_form") or (ChangeVoteForm() if debrief.may_change_vote else None),
        "recommendation_form": bound.get("recommendation_form")
        or (RecommendationForm() if debrief.may_recommend else None),
        "decide_form": decide,
        "decide_fields": [f for f in decide if f.name != machine_forms.VERDICT] if decide else [],
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
            hiring.change_vote(
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
            hiring.recommend_on_loop(
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
