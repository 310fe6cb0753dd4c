"""The hiring pages (MECHANISMS.md §5): openings, candidates, principles, mechanism health; then (below the
`# --- loops` banner) the loop pages.

Thin: parse, call one service, render. Who may see and do what is decided by the hiring services (hiring/policy.py):
a candidate the viewer may not see is the 404 page, whatever the door.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.bar_raisers import services as bar_raisers_services
from mechanisms.kernel import machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.pages import FORM_ERRORS, page, pager, person_id, query_int, show_error
from mechanisms.org import services as org_services

from . import services as hiring
from .contracts import EvidenceInput, InterviewChanges, LoopState
from .forms import (
    STAR,
    VOTE_CHOICES,
    BarRaiserForm,
    CancelInterviewForm,
    ChangeVoteForm,
    CreateLoopForm,
    FeedbackForm,
    InterviewChangeForm,
    InterviewForm,
    RecommendationForm,
)
from .machines import LOOP


@page
def opening_list(request: HttpRequest) -> HttpResponse:
    return render(request, "hiring/opening_list.html", {"openings": []})


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
    return {p.slug: p.name for p in hiring.list_principles(actor=actor, active_only=False)}


# ---------------------------------------------------------------------------------------------- my interviews


@page
def my_interviews(request: HttpRequest) -> HttpResponse:
    """The viewer's interviews, upcoming and past, each with its feedback status and a link to the form."""
    actor = request.actor
    names = _principle_names(actor)
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
                "rows": [{"i": i, "principles": [names.get(p, p) for p in i.principles]} for i in found.items],
                "pager": pager(request, found, param),
            }
        )
    return render(request, "hiring/my_interviews.html", {"lists": lists})


def feedback_due_panel(request: HttpRequest, subject: None, **bound: Any) -> dict[str, Any] | None:
    """On the home page, the viewer's interviews whose feedback they still owe; nothing for one who owes none."""
    if request.actor.person_id is None:
        return None
    found = hiring.my_interviews(actor=request.actor, feedback_due=True, limit=HOME_FEEDBACK_DUE)
    if not found.total:
        return None
    return {"rows": found.items, "total": found.total}


# ---------------------------------------------------------------------------------------------- the loop page


@page
def create_loop(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """Start planning a candidate's loop (the candidate page links here): the bar raiser is suggested, or named by
    hand with a reason; then the loop page, where the interviews are added."""
    candidate = hiring.get_candidate(actor=request.actor, candidate_id=candidate_id)
    status = 200
    if request.method == "POST":
        form = CreateLoopForm(request.POST)
        status = 400
        if form.is_valid():
            chosen = None
            if form.cleaned_data["bar_raiser"].strip():
                chosen = person_id(form, "bar_raiser", form.cleaned_data["bar_raiser"], find=_find_person)
            if not form.errors:
                try:
                    loop = hiring.create_loop(
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
    view = hiring.loop_view(actor=actor, loop_id=loop_id)
    loop = view.loop
    names = _principle_names(actor)
    opening = hiring.get_opening(actor=actor, opening_id=loop.opening_id)
    chosen = [(slug, names.get(slug, slug)) for slug in opening.principles]
    status = {line.interview_id: line for line in hiring.feedback_status(actor=actor, loop_id=loop.id).lines}
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
                "status": status.get(i.id),
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
        "bar_raiser_form": bound.get("bar_raiser_form")
        or (BarRaiserForm(initial={"version": loop.version}) if planning else None),
        "suggestions": bar_raisers_services.suggest(actor=actor, subject=hiring.describe_loop(actor, loop.id))
        if planning
        else [],
        "action_forms": _action_forms(loop, view.actions, bound.get("action")),
        "submitted": sum(1 for line in status.values() if line.submitted_at is not None),
        "timeline": [
            {
                "event": e,
                "words": _event_words(e),
                "from": LOOP.state_words(e.from_state) if e.from_state else "",
                "to": LOOP.state_words(e.to_state),
            }
            for e in hiring.loop_timeline(actor=actor, loop_id=loop.id)
        ],
        "sealed": loop.state in SEALED_STATES,
    }


def _event_words(event) -> str:
    """A timeline entry in words, from the declaration's `done` words (by the state it led to)."""
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
    """One move of the loop machine (start, open the debrief, decide, withdraw), posted from the loop page or the
    debrief room (`from=debrief`); back there on success, or that page again with the error next to its field."""
    name = action.replace("-", "_")
    if name not in LOOP.by_name:
        raise NotFound(f"there is no move {action!r} on a loop", field="action")
    t = LOOP.transition(name)
    loop = hiring.get_loop(actor=request.actor, loop_id=loop_id)
    form = machine_forms.action_form(LOOP, name, request.POST, version=loop.version)
    from_debrief = request.POST.get("from") == "debrief"
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
            if from_debrief or name == "open_debrief":
                return redirect("web:hiring-debrief", loop_id=loop.id)
            return redirect("web:hiring-loop", loop_id=loop.id)
    if from_debrief:
        return _debrief_again(request, loop.id, status, action=(name, form))
    return _loop_again(request, loop.id, status, action=(name, form))


def _principle_choices(request: HttpRequest, loop) -> list[tuple[str, str]]:
    names = _principle_names(request.actor)
    opening = hiring.get_opening(actor=request.actor, opening_id=loop.opening_id)
    return [(slug, names.get(slug, slug)) for slug in opening.principles]


@require_POST
@page
def add_interview(request: HttpRequest, loop_id: int) -> HttpResponse:
    """Add an interview to a loop being planned (the loop rules are checked when it starts, shown meanwhile)."""
    loop = hiring.get_loop(actor=request.actor, loop_id=loop_id)
    form = InterviewForm(request.POST, principles=_principle_choices(request, loop), prefix="new")
    interviewer = None
    if form.is_valid():
        interviewer = person_id(form, "interviewer", form.cleaned_data["interviewer"], find=_find_person)
    if interviewer is not None:
        try:
            hiring.add_interview(
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
    loop = hiring.get_loop(actor=request.actor, loop_id=loop_id)
    form = InterviewChangeForm(
        request.POST, principles=_principle_choices(request, loop), prefix=f"interview-{interview_id}"
    )
    if form.is_valid():
        changes = InterviewChanges(
            starts_at=form.cleaned_data["starts_at"],
            ends_at=form.cleaned_data["ends_at"],
            principles=tuple(form.cleaned_data["principles"]),
        )
        try:
            hiring.update_interview(
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
    loop = hiring.get_loop(actor=request.actor, loop_id=loop_id)
    form = CancelInterviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Reload the page and try again.")
        return redirect("web:hiring-loop", loop_id=loop.id)
    try:
        hiring.cancel_interview(actor=request.actor, interview_id=interview_id, version=form.cleaned_data["version"])
    except FORM_ERRORS as exc:
        messages.error(request, exc.message[:1].upper() + exc.message[1:])
    else:
        messages.success(request, "Interview cancelled.")
    return redirect("web:hiring-loop", loop_id=loop.id)


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
    loop = hiring.get_loop(actor=actor, loop_id=record.loop_id)
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
    record = hiring.get_feedback(actor=request.actor, interview_id=interview_id)
    if request.method != "POST":
        return _render_feedback(request, record)
    form = _feedback_form(record, _principle_names(request.actor), request.POST)
    submit = "submit" in request.POST
    if not form.is_valid():
        return _render_feedback(request, record, form=form, status=400)
    if submit and not form.cleaned_data["confirm"]:
        form.add_error("confirm", "tick this box to submit: submitted feedback can never be changed")
        return _render_feedback(request, record, form=form, status=400)
    write = hiring.submit_feedback if submit else hiring.save_feedback
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
    view = hiring.loop_view(actor=actor, loop_id=loop_id)
    loop = view.loop
    status = hiring.feedback_status(actor=actor, loop_id=loop.id)
    people = _people(actor, [loop.bar_raiser_id, *(line.interviewer_id for line in status.lines)])
    base: dict[str, Any] = {
        "loop": loop,
        "state_words": LOOP.state_words(loop.state.value),
        "status_rows": [{"s": line, "who": people.get(line.interviewer_id)} for line in status.lines],
        "bar_raiser": people.get(loop.bar_raiser_id),
    }
    if loop.state in SEALED_STATES:
        open_early = _action_forms(loop, view.actions, bound.get("action"), only=("open_debrief",))
        return "hiring/debrief_sealed.html", {**base, "action_forms": open_early}
    d = hiring.get_debrief(actor=actor, loop_id=loop.id)
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
