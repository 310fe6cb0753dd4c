"""The page toolkit every app's views use (web and the apps both import it; apps may not import web).

- `page`: the page must be signed in to; a service's `NotFound`/`PermissionDenied`/... becomes a 404/403/...
  page that says why (the one place kernel errors are mapped to pages);
- `show_error`: a service error shown next to the form field it names, with the HTTP status to answer;
- `query_int` / `query_text`: tolerant parsing of query parameters;
- `pager`: previous/next links for one of several lists on a page;
- `person_id` / `people_ids`: handles typed into a form, as ids, an unknown handle being an error on its field;
- `render_composite`: a composite page (home, team, service, person) drawn from every app's panels, so that an
  app's form posted on it can come back with its errors without the app importing the shell;
- `per_request`: a value computed once per request, shared by the panels of one page.

The error page's template (`web/error.html`) and the layout every page extends (`web/base.html`) belong to the
shell (`mechanisms.web`): they are named here as template names, never imported.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import machine_forms, mounts
from .errors import Conflict, DomainError, NotFound, RuleViolation
from .machines import Machine, Transition
from .pagination import Page

# Errors a form shows next to its fields; NotFound and PermissionDenied become whole error pages instead.
FORM_ERRORS = (RuleViolation, Conflict)

ERROR_TITLES = {
    400: "That did not work",
    403: "You may not do this",
    404: "Not found",
    409: "Someone else changed this",
}

# Rows of a list page (the services clamp anything larger anyway).
PAGE_SIZE = 50


def page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decorate every page view: anonymous callers go to sign-in; a service error becomes a page that says why."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        try:
            return view(request, *args, **kwargs)
        except DomainError as exc:
            return error_page(request, exc)

    return wrapped


def error_page(request: HttpRequest, exc: DomainError) -> HttpResponse:
    """The page for a service error: its status, a title, and the service's own message (the reason)."""
    status = exc.http_status
    context = {"status": status, "title": ERROR_TITLES.get(status, "That did not work"), "message": exc.message}
    return render(request, "web/error.html", context, status=status)


def show_error(
    form: forms.Form,
    exc: DomainError,
    *,
    fields: Mapping[str, str] | None = None,
    conflict: str | None = None,
) -> int:
    """Show a service error next to the form field it names (`fields` maps service names to form names), or
    above the form; return the HTTP status to answer with (400, or 409 for a conflict).

    A stale version shows `conflict` (plain words and a reload hint) instead of the technical message."""
    if isinstance(exc, Conflict) and exc.field == "version" and conflict:
        form.add_error(None, conflict)
        return 409
    name = (fields or {}).get(exc.field or "", exc.field)
    if name and name in form.fields and not form.fields[name].widget.is_hidden:
        form.add_error(name, exc.message)
    else:
        form.add_error(None, exc.message)
    return exc.http_status


def move_named(machine: Machine, action: str, *, noun: str) -> str:
    """The transition a page posts to (`/<record>/<action>`, dashes for underscores), or NotFound naming it."""
    name = action.replace("-", "_")
    if name not in machine.by_name:
        raise NotFound(f"there is no move {action!r} on {noun}", field="action")
    return name


@dataclasses.dataclass(frozen=True)
class Move:
    """A machine move posted from a page: the transition, its bound form, whether it was made, and the status to
    answer with when it was not (400 for bad input or a refusal, 409 for a stale version)."""

    name: str
    transition: Transition
    form: forms.Form
    made: bool
    status: int

    @property
    def done_words(self) -> str:
        return self.transition.words_for(self.transition.done, "") or self.transition.name


def make_move(
    machine: Machine,
    name: str,
    data: Mapping[str, Any],
    *,
    version: int,
    apply: Callable[[int, dict[str, Any]], Any],
    conflict: str | Callable[[DomainError], str],
) -> Move:
    """Bind the posted move's form (kernel.machine_forms) and, when valid, `apply(version, values)` (the owning
    app's service); a refusal lands next to the field it names, a stale version shows `conflict` (words, or a
    function of the error). Every machine's page action goes through here."""
    transition = machine.transition(name)
    form = machine_forms.action_form(machine, name, data, version=version)
    if not form.is_valid():
        return Move(name, transition, form, made=False, status=400)
    try:
        apply(form.cleaned_data["version"], machine_forms.form_values(transition, form.cleaned_data))
    except FORM_ERRORS as exc:
        words = conflict(exc) if callable(conflict) else conflict
        return Move(name, transition, form, made=False, status=show_error(form, exc, conflict=words))
    return Move(name, transition, form, made=True, status=200)


def query_text(request: HttpRequest, name: str, *, max_length: int = 200) -> str:
    return (request.GET.get(name) or "").strip()[:max_length]


def query_int(request: HttpRequest, name: str) -> int | None:
    """An integer query parameter, or None when absent or not a number (a bad filter is ignored, not a 500)."""
    value = (request.GET.get(name) or "").strip()
    try:
        return int(value) if value else None
    except ValueError:
        return None


def pager(request: HttpRequest, found: Page, param: str) -> dict[str, Any]:
    """Previous/next links for one of several lists on a page, each with its own offset parameter."""

    def url(offset: int) -> str:
        params = request.GET.copy()
        params[param] = str(offset)
        return "?" + params.urlencode()

    return {
        "total": found.total,
        "first": found.offset + 1,
        "last": found.offset + len(found.items),
        "prev": url(found.prev_offset) if found.prev_offset is not None else None,
        "next": url(found.next_offset) if found.has_next else None,
    }


class _Found(Protocol):
    id: int


def person_id(form: forms.Form, field: str, handle: str, *, find: Callable[..., _Found | None]) -> int | None:
    """The id of the person with this handle (`find` is org's `find_person`: the kernel imports no app); an
    unknown handle is an error on the field. Empty is None, or an error when the field is required."""
    handle = (handle or "").strip()
    if not handle:
        if form.fields[field].required:
            form.add_error(field, "name a person by their handle")
        return None
    person = find(handle=handle.lstrip("@"))
    if person is None:
        form.add_error(field, f"no person has the handle {handle!r}")
        return None
    return person.id


def people_ids(form: forms.Form, field: str, text: str, *, find: Callable[..., _Found | None]) -> list[int]:
    """The ids of the people named by handles separated by spaces or commas; unknown handles are a field error."""
    ids, unknown = [], []
    for handle in (h.lstrip("@") for h in re.split(r"[\s,]+", text or "") if h.strip()):
        person = find(handle=handle)
        if person is None:
            unknown.append(handle)
        else:
            ids.append(person.id)
    if unknown:
        form.add_error(field, "no person has the handle " + ", ".join(repr(h) for h in unknown))
    return ids


def render_composite(
    request: HttpRequest, page_name: str, subject: Any, *, title: str, status: int = 200, **bound: Any
) -> HttpResponse:
    """A composite page: every app's panels for it (kernel.mounts), in the shell's layout `web/composite.html`.
    `bound` is a form posted back with errors, for the panel that owns it (e.g. `member_form=...`)."""
    context = {"title": title, "subject": subject, "page_name": page_name}
    context["panels"] = mounts.panel_slots(request, page_name, subject, **bound)
    return render(request, "web/composite.html", context, status=status)


def per_request(request: HttpRequest, key: str, compute: Callable[[], Any]) -> Any:
    """`compute()` once per request under `key`: panels of one page ask the same question (may the viewer change
    this team?) and should not each pay a query for it."""
    cache = request.__dict__.setdefault("_mech_per_request", {})
    if key not in cache:
        cache[key] = compute()
    return cache[key]
