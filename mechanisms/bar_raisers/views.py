"""The bar-raisers pages (MECHANISMS.md §4): the pool and its members; a bar raiser's queue, a review with its
timeline and the forms of the moves the viewer may make now, the overrides report.

Thin: parse, call one service, render. Who may do what is decided by the bar-raisers services (a review page
offers exactly `review_view(...).actions`); a refused move comes back next to the field it names (400, or 409 for
a stale version), a wrong person gets the 403 page.
"""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from mechanisms.kernel import machine_forms
from mechanisms.kernel.errors import NotFound
from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, query_int, show_error
from mechanisms.org import services as org_services

from . import services as br_services

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
    name = action.replace("-", "_")
    if name not in REVIEW_MACHINE.by_name:
        raise NotFound(f"there is no move {action!r} on a bar-raiser review", field="action")
    t = REVIEW_MACHINE.transition(name)
    current = br_services.get_review(actor=request.actor, review_id=review_id)
    form = machine_forms.action_form(REVIEW_MACHINE, name, request.POST, version=current.version)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            br_services.apply_review_transition(
                actor=request.actor,
                review_id=current.id,
                name=name,
                version=data["version"],
                values=machine_forms.form_values(t, data),
            )
        except FORM_ERRORS as exc:
            now = exc.details.get("state", "changed") if isinstance(exc.details, dict) else "changed"
            status = show_error(form, exc, conflict=REVIEW_CONFLICT.format(state=str(now).replace("_", " ")))
        else:
            return redirect("web:bar-raiser-review", review_id=current.id)
    return _render_review(request, current.id, failed=(name, form), status=status)
