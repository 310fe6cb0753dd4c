"""The decision log's pages (MECHANISMS.md §7): the log with filters, a new decision, one decision (question,
context, options, the decision, door, each participant's stance with what each dissent brings, the revisit date,
the outcome, the bar-raiser review, history) with a form for each move the viewer may make now, the stance form,
the outcome form, the track record per owner, the PDF, the person-page panel and the search section.

Thin: parse, call one service, render (kernel.pages). Who may do what is the decision services': the page offers
exactly `decision_view(...)`'s actions; a refused move comes back next to the field it names. Templates are in
`decisions/templates/decisions/`; user text goes through the one Markdown renderer (the `markdown` filter).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.views.decorators.http import require_POST

from mechanisms.audit import services as audit_services
from mechanisms.kernel import machine_forms
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.pages import (
    FORM_ERRORS,
    PAGE_SIZE,
    make_move,
    move_named,
    page,
    query_int,
    query_text,
    show_error,
)
from mechanisms.org import services as org_services

from . import services
from .contracts import STANCE_WORDS, Category, Decision, Door, OptionInput, Outcome, Stance, Status
from .forms import DecisionForm, OutcomeForm, StanceForm

MACHINE = services.MACHINE
CONFLICT = (
    "Someone else changed this decision while you were looking at it. Reload to see what changed, then try again."
)
OUTCOME_WORDS = {
    Outcome.RIGHT: "right",
    Outcome.PARTLY_RIGHT: "partly right",
    Outcome.WRONG: "wrong",
    Outcome.TOO_EARLY: "too early to tell",
}
DOOR_WORDS = {Door.ONE_WAY: "one-way door (hard to undo)", Door.TWO_WAY: "two-way door (easy to undo)"}


def _decision_by_number(actor: Actor, number: int) -> Decision:
    found = services.find_decision(actor=actor, number=number)
    if found is None:
        raise NotFound(f"decision {number} does not exist", field="number")
    return found


def _people(actor: Actor, decisions: list[Decision]) -> dict[int, Any]:
    ids = {d.owner_id for d in decisions} | {p.person_id for d in decisions for p in d.participants}
    return org_services.get_people(actor=actor, ids=ids)


# ---------------------------------------------------------------------------------------------- the log


def _log_rows(actor: Actor, decisions: list[Decision]) -> list[dict[str, Any]]:
    people = org_services.get_people(actor=actor, ids={d.owner_id for d in decisions})
    return [
        {
            "d": d,
            "owner": people.get(d.owner_id),
            "state": MACHINE.state_words(d.status.value),
            "door": "one-way" if d.door is Door.ONE_WAY else "two-way",
            "signed": sum(1 for p in d.participants if p.stance is not None),
            "dissent": sum(
                1 for p in d.participants if p.stance in (Stance.DISAGREE_AND_COMMIT, Stance.STILL_DISAGREE)
            ),
            "outcome": OUTCOME_WORDS.get(d.outcome) if d.outcome else "",
        }
        for d in decisions
    ]


@page
def decision_log(request: HttpRequest) -> HttpResponse:
    """The decision log: newest first, filtered by status, category, owner (handle), team (slug) and words; a page
    at a time."""
    actor = request.actor
    status = query_text(request, "status")
    category = query_text(request, "category")
    owner_handle = query_text(request, "owner").lstrip("@")
    text = query_text(request, "q")
    unknown = []
    owner = org_services.find_person(actor=actor, handle=owner_handle) if owner_handle else None
    if owner_handle and owner is None:
        unknown.append(f"No person has the handle {owner_handle!r}.")
    team_slug = query_text(request, "team")
    team = org_services.find_team(actor=actor, slug=team_slug) if team_slug else None
    if team_slug and team is None:
        unknown.append(f"No team has the slug {team_slug!r}.")
    found = None
    if not unknown:
        found = services.list_decisions(
            actor=actor,
            owner_id=owner.id if owner else None,
            team_id=team.id if team else None,
            status=status if status in {s.value for s in Status} else None,
            category=category if category in {c.value for c in Category} else None,
            text=text or None,
            limit=PAGE_SIZE,
            offset=query_int(request, "offset"),
        )
    context = {
        "page": found,
        "rows": _log_rows(actor, list(found.items)) if found else [],
        "statuses": [(s.value, MACHINE.state_words(s.value)) for s in Status],
        "categories": [(c.value, c.value.replace("_", " ")) for c in Category],
        "status": status,
        "category": category,
        "owner": owner_handle,
        "team": team_slug,
        "q": text,
        "unknown": unknown,
        "filtered": bool(status or category or owner_handle or team_slug or text),
    }
    return render(request, "decisions/log.html", context)


@page
def new_decision(request: HttpRequest) -> HttpResponse:
    """Record a proposed decision: question, context, options (one per line: `Title: pros and cons`), door,
    category, high impact, participants (handles), revisit date."""
    form = DecisionForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            participants = [
                p.id
                for p in (org_services.find_person(actor=request.actor, handle=h) for h in data["participants"])
                if p
            ]
            missing = [h for h in data["participants"] if not org_services.find_person(actor=request.actor, handle=h)]
            if missing:
                form.add_error("participants", "no person has the handle " + ", ".join(repr(h) for h in missing))
            else:
                try:
                    decision = services.create_decision(
                        actor=request.actor,
                        question=data["question"],
                        context=data["context"],
                        options=[OptionInput(t, d) for t, d in data["options"]],
                        door=data["door"],
                        category=data["category"],
                        high_impact=data["high_impact"],
                        participant_ids=participants,
                        revisit_on=data["revisit_on"],
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields={"participant_ids": "participants"})
                else:
                    messages.success(request, f"Decision #{decision.number} recorded; participants were asked to sign.")
                    return redirect(decision.url)
    return render(request, "decisions/new.html", {"form": form}, status=status)


# ---------------------------------------------------------------------------------------------- one decision


@page
def decision_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _render_decision(request, number)


def _render_decision(
    request: HttpRequest, number: int, *, failed: tuple[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    actor = request.actor
    d = _decision_by_number(actor, number)
    view = services.decision_view(actor=actor, decision_id=d.id)
    d = view.decision
    people = _people(actor, [d])
    action_forms = []
    for name in view.actions:
        t = MACHINE.transition(name)
        form = (
            failed[1] if failed and failed[0] == name else machine_forms.action_form(MACHINE, name, version=d.version)
        )
        if "chosen_option" in form.fields:  # a select of the options rather than a bare number
            form.fields["chosen_option"].widget = forms.Select(
                choices=[("", "—"), *((o.position, f"{o.position}. {o.title}") for o in d.options)]
            )
        action_forms.append(
            {
                "name": name,
                "url": f"/decisions/{d.number}/{t.slug}",
                "title": t.title,
                "help": t.help,
                "form": form,
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
                "fields": list(form),
            }
        )
    mine = next((p for p in d.participants if p.person_id == actor.person_id), None)
    stance_form = (
        failed[1]
        if failed and failed[0] == "stance"
        else StanceForm(
            initial={
                "stance": mine.stance.value if mine and mine.stance else "",
                "new_information": mine.new_information if mine else "",
            }
        )
    )
    outcome_form = failed[1] if failed and failed[0] == "outcome" else OutcomeForm(initial={"version": d.version})
    superseded_by = services.get_decision(actor=actor, decision_id=d.superseded_by_id) if d.superseded_by_id else None
    changes = audit_services.list_changes(actor=actor, subject_type=services.SUBJECT_TYPE, subject_id=d.id, limit=30)
    context = {
        "d": d,
        "view": view,
        "owner": people.get(d.owner_id),
        "state": MACHINE.state_words(d.status.value),
        "door": DOOR_WORDS[d.door],
        "stances": [
            {
                "p": p,
                "person": people.get(p.person_id),
                "words": STANCE_WORDS[p.stance] if p.stance else "not signed yet",
                "dissent": p.stance in (Stance.DISAGREE_AND_COMMIT, Stance.STILL_DISAGREE),
            }
            for p in d.participants
        ],
        "outcome": OUTCOME_WORDS.get(d.outcome) if d.outcome else "",
        "superseded_by": superseded_by,
        "action_forms": action_forms,
        "stance_form": stance_form if view.can_sign else None,
        "outcome_form": outcome_form if view.can_record_outcome else None,
        "history": {
            "rows": audit_services.history_lines(records=changes.items),
            "total": changes.total,
            "shown": len(changes.items),
        },
        "reload_url": d.url,
    }
    return render(request, "decisions/detail.html", context, status=status)


@require_POST
@page
def decision_action(request: HttpRequest, number: int, action: str) -> HttpResponse:
    """One move of the machine; back to the decision on success, or the page again with the error by its field."""
    name = move_named(MACHINE, action, noun="a decision")
    d = _decision_by_number(request.actor, number)
    move = make_move(
        MACHINE,
        name,
        request.POST,
        version=d.version,
        conflict=CONFLICT,
        apply=lambda version, values: services.apply_transition(
            actor=request.actor, decision_id=d.id, version=version, transition=name, values=values
        ),
    )
    if move.made:
        messages.success(request, f"Decision #{d.number}: {move.done_words}.")
        return redirect(d.url)
    return _render_decision(request, number, failed=(name, move.form), status=move.status)


@require_POST
@page
def sign_stance(request: HttpRequest, number: int) -> HttpResponse:
    """The participant's own stance."""
    d = _decision_by_number(request.actor, number)
    form = StanceForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.sign_stance(actor=request.actor, decision_id=d.id, **form.cleaned_data)
        except FORM_ERRORS as exc:
            status = show_error(form, exc)
        else:
            messages.success(request, "Your stance is signed.")
            return redirect(d.url)
    return _render_decision(request, number, failed=("stance", form), status=status)


@require_POST
@page
def record_outcome(request: HttpRequest, number: int) -> HttpResponse:
    """The later outcome review (the owner or their manager)."""
    d = _decision_by_number(request.actor, number)
    form = OutcomeForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.record_outcome(actor=request.actor, decision_id=d.id, **form.cleaned_data)
        except FORM_ERRORS as exc:
            status = show_error(form, exc, conflict=CONFLICT)
        else:
            messages.success(request, "The outcome is recorded.")
            return redirect(d.url)
    return _render_decision(request, number, failed=("outcome", form), status=status)


@page
def track_record(request: HttpRequest) -> HttpResponse:
    """How often each owner was right ("right a lot"), from the outcome reviews."""
    lines = services.track_record(actor=request.actor)
    people = org_services.get_people(actor=request.actor, ids=[line.owner_id for line in lines])
    rows = [{"line": line, "person": people.get(line.owner_id)} for line in lines]
    return render(request, "decisions/track_record.html", {"rows": rows})


# ---------------------------------------------------------------------------------------------- PDF


def decision_pdf_bytes(*, actor: Actor, decision_id: int) -> tuple[str, bytes]:
    """The decision's print layout as a PDF (kernel/pdf.py fetches nothing; user text through the one renderer)."""
    from mechanisms.kernel.pdf import html_to_pdf

    view = services.decision_view(actor=actor, decision_id=decision_id)
    d = view.decision
    people = _people(actor, [d])
    html = render_to_string(
        "decisions/print.html",
        {
            "d": d,
            "owner": people.get(d.owner_id),
            "state": MACHINE.state_words(d.status.value),
            "door": DOOR_WORDS[d.door],
            "stances": [
                {
                    "p": p,
                    "person": people.get(p.person_id),
                    "words": STANCE_WORDS[p.stance] if p.stance else "not signed",
                }
                for p in d.participants
            ],
            "outcome": OUTCOME_WORDS.get(d.outcome) if d.outcome else "",
        },
    )
    return f"decision-{d.number:04d}-{d.slug[:60]}.pdf", html_to_pdf(html)


@page
def decision_pdf(request: HttpRequest, number: int) -> HttpResponse:
    d = _decision_by_number(request.actor, number)
    from mechanisms.kernel.http import download

    return download(*decision_pdf_bytes(actor=request.actor, decision_id=d.id))


# ---------------------------------------------------------------------------------------------- panel, search


def person_decisions(request: HttpRequest, person: Any, **bound: Any) -> dict[str, Any] | None:
    """The person page's "Decisions owned": the newest few and their track record line."""
    found = services.list_decisions(actor=request.actor, owner_id=person.id, limit=5)
    if not found.total:
        return None
    line = next(iter(services.track_record(actor=request.actor, owner_id=person.id)), None)
    return {"found": found, "line": line, "person": person}


def team_decisions_link(request: HttpRequest, team: Any, **bound: Any) -> dict[str, Any]:
    """The team page's link to the team's decisions."""
    return {"team": team}


def search_decisions(actor: Actor, text: str, limit: int, offset: int | None):
    from mechanisms.kernel.mounts import SearchHits

    found = services.list_decisions(actor=actor, text=text, limit=limit, offset=offset)
    return SearchHits(
        page=found, template="decisions/_search_decision.html", more_url="/decisions?" + urlencode({"q": text})
    )
