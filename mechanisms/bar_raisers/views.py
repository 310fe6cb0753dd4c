"""The bar-raiser pages (MECHANISMS.md §4): the pool (each member with load and capacity, trainer, training day;
the add form for those who may manage it), one member (open assignments by kind, their own assignments for the bar
raiser themself, history, the edit form), and the panel on the person page.

Thin: parse, call one service, render. Who may do what is decided by the bar-raisers services (the forms are offered
when `can_manage_pool` says so); a refused change comes back next to the field it names (400, or 409 for a stale
version). Templates are in `bar_raisers/templates/bar_raisers/`.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.audit import services as audit_services
from mechanisms.bar_raisers import services as br_services
from mechanisms.bar_raisers.contracts import PoolMemberChanges
from mechanisms.kernel import machine_forms
from mechanisms.kernel.errors import DomainError, NotFound
from mechanisms.kernel.pages import (
    FORM_ERRORS,
    PAGE_SIZE,
    make_move,
    move_named,
    page,
    person_id,
    query_int,
    query_text,
    show_error,
)
from mechanisms.org import services as org_services
from mechanisms.org.contracts import Person

from .forms import AddMemberForm, EditMemberForm

CONFLICT = "Someone else changed this bar raiser while you were looking. Reload to see what changed, then try again."
HISTORY_LIMIT = 20
ACTIVE_FILTERS = {"yes": True, "no": False}


def _find(actor):
    return lambda handle: org_services.find_person(actor=actor, handle=handle)


@page
def pool_list(request: HttpRequest) -> HttpResponse:
    """The pool, by handle; `?active=yes|no` filters on taking new assignments. POST adds a member."""
    actor = request.actor
    can_manage = br_services.can_manage_pool(actor=actor)
    form = AddMemberForm(request.POST or None) if can_manage else None
    status = 200
    if request.method == "POST":
        if form is None:
            br_services.require_pool_manager(actor=actor)  # refused: the 403 page says why
        elif form.is_valid():
            data = form.cleaned_data
            pid = person_id(form, "handle", data["handle"], find=_find(actor))
            trainer = person_id(form, "trainer", data["trainer"], find=_find(actor))
            if not form.errors:
                try:
                    member = br_services.add_to_pool(
                        actor=actor,
                        person_id=pid,
                        trained_on=data["trained_on"],
                        trainer_id=trainer,
                        capacity=data["capacity"],
                        note=data["note"],
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields={"person_id": "handle", "trainer_id": "trainer"})
                else:
                    messages.success(request, f"{member.name} is in the bar-raiser pool.")
                    return redirect("web:bar-raiser", member.handle)
        if form is not None and form.errors:
            status = max(status, 400)
    active = ACTIVE_FILTERS.get(query_text(request, "active"))
    found = br_services.list_pool(actor=actor, active=active, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    context = {"page": found, "form": form, "active": query_text(request, "active"), "can_manage": can_manage}
    return render(request, "bar_raisers/pool.html", context, status=status)


@page
def member_detail(request: HttpRequest, handle: str) -> HttpResponse:
    """One member: load by kind, their own open assignments (for themself), history; POST changes the member."""
    actor = request.actor
    person = org_services.find_person(actor=actor, handle=handle)
    if person is None:
        raise NotFound(f"no person has the handle {handle!r}")
    view = br_services.member_view(actor=actor, person_id=person.id)
    member = view.member
    form = None
    status = 200
    if view.can_manage:
        initial = {
            "version": member.version,
            "trained_on": member.trained_on,
            "trainer": member.trainer_handle,
            "capacity": member.capacity,
            "active": member.active,
            "note": member.note,
        }
        form = EditMemberForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if form is None:
            br_services.require_pool_manager(actor=actor)
        elif form.is_valid():
            data = form.cleaned_data
            trainer = person_id(form, "trainer", data["trainer"], find=_find(actor))
            if not form.errors:
                changes = PoolMemberChanges(
                    trained_on=data["trained_on"],
                    trainer_id=trainer,
                    capacity=data["capacity"],
                    active=data["active"],
                    note=data["note"],
                )
                try:
                    br_services.update_pool_member(
                        actor=actor, person_id=person.id, changes=changes, version=data["version"]
                    )
                except FORM_ERRORS as exc:
                    status = show_error(form, exc, fields={"trainer_id": "trainer"}, conflict=CONFLICT)
                else:
                    messages.success(request, f"{member.name} changed.")
                    return redirect("web:bar-raiser", member.handle)
        if form is not None and form.errors:
            status = max(status, 400)
    assignments = (
        br_services.list_assignments(actor=actor, person_id=person.id, limit=PAGE_SIZE)
        if view.can_list_assignments
        else None
    )
    changes = audit_services.list_changes(
        actor=actor, subject_type=br_services.POOL_SUBJECT_TYPE, subject_id=person.id, limit=HISTORY_LIMIT
    )
    history = {
        "rows": audit_services.history_lines(records=changes.items),
        "total": changes.total,
        "shown": len(changes.items),
    }
    context = {"view": view, "member": member, "form": form, "assignments": assignments, "history": history}
    return render(request, "bar_raisers/member.html", context, status=status)


# ---------------------------------------------------------------------------------------------- panels
# What bar raisers add to the composite person page (declared in apps.py, drawn by the shell).


def person_pool(request: HttpRequest, person: Person, **bound: Any) -> dict[str, Any]:
    """On a person's page: whether they are in the bar-raiser pool, since when, by whom, and their load."""
    return {"person": person, "member": br_services.find_pool_member(actor=request.actor, person_id=person.id)}


# --- reviews

REVIEW_MACHINE = br_services.REVIEW_MACHINE
REVIEW_CONFLICT = (
    "Someone else moved this review while you were looking at it (it is now {state}). "
    "Reload to see what changed, then try again."
)


@page
def queue(request: HttpRequest) -> HttpResponse:
    """The signed-in bar raiser's queue: reviews waiting for their recommendation, and every open assignment."""
    found = br_services.bar_raiser_queue(actor=request.actor)
    return render(request, "bar_raisers/queue.html", {"queue": found})


@page
def overrides(request: HttpRequest) -> HttpResponse:
    """The overrides report: owners who went against a bar raiser's recommendation, with their rationale."""
    found = br_services.list_overrides(actor=request.actor, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    people = org_services.get_people(
        actor=request.actor, ids={p for r in found.items for p in (r.owner_id, r.bar_raiser_id)}
    )
    rows = [{"r": r, "owner": people.get(r.owner_id), "bar_raiser": people.get(r.bar_raiser_id)} for r in found.items]
    return render(request, "bar_raisers/overrides.html", {"page": found, "rows": rows})


@page
def review_detail(request: HttpRequest, review_id: int) -> HttpResponse:
    return _render_review(request, review_id)


def _render_review(
    request: HttpRequest, review_id: int, *, failed: tuple[str, forms.Form] | None = None, status: int = 200
) -> HttpResponse:
    """The review page: the subject (title and link), the question, the recommendation and its reasoning, the
    response, the timeline, and a form for each move the viewer may make now."""
    view = br_services.review_view(actor=request.actor, review_id=review_id)
    r = view.review
    people = org_services.get_people(actor=request.actor, ids={r.owner_id, r.bar_raiser_id})
    action_forms = []
    for name in view.actions:
        t = REVIEW_MACHINE.transition(name)
        if failed and failed[0] == name:
            form = failed[1]
        else:
            form = machine_forms.action_form(REVIEW_MACHINE, name, version=r.version)
        action_forms.append(
            {
                "name": name,
                "url": f"/bar-raisers/reviews/{r.id}/{t.slug}",
                "title": t.title,
                "help": t.help,
                "form": form,
                "buttons": machine_forms.buttons(t),
                "secondary": t.secondary,
                "fields": [f for f in form if f.name != machine_forms.VERDICT],
            }
        )
    context = {
        "r": r,
        "view": view,
        "owner": people.get(r.owner_id),
        "bar_raiser": people.get(r.bar_raiser_id),
        "state": REVIEW_MACHINE.state_words(r.state.value),
        "recommendation": dict(br_services.RECOMMENDATION_WORDS).get(
            r.recommendation.value if r.recommendation else "", ""
        ),
        "timeline": view.timeline,
        "action_forms": action_forms,
        "stale_form": failed[1] if failed and failed[0] not in view.actions else None,
        "reload_url": f"/bar-raisers/reviews/{r.id}",
    }
    return render(request, "bar_raisers/review_detail.html", context, status=status)


@require_POST
@page
def review_action(request: HttpRequest, review_id: int, action: str) -> HttpResponse:
    """One move on a review; back to the review page on success, or the page again with the error next to the
    field it names."""
    name = move_named(REVIEW_MACHINE, action, noun="a bar-raiser review")
    current = br_services.get_review(actor=request.actor, review_id=review_id)

    def conflict(exc: DomainError) -> str:
        now = exc.details.get("state", "changed") if isinstance(exc.details, dict) else "changed"
        return REVIEW_CONFLICT.format(state=str(now).replace("_", " "))

    move = make_move(
        REVIEW_MACHINE,
        name,
        request.POST,
        version=current.version,
        conflict=conflict,
        apply=lambda version, values: br_services.apply_review_transition(
            actor=request.actor, review_id=current.id, name=name, version=version, values=values
        ),
    )
    if move.made:
        return redirect("web:bar-raiser-review", review_id=current.id)
    return _render_review(request, current.id, failed=(name, move.form), status=move.status)
