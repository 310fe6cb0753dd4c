"""The app's pages. Thin: parse, call one service, render (kernel.pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import NotFound, RuleViolation
from mechanisms.kernel.mounts import SearchHits
from mechanisms.kernel.pages import page, query_text
from mechanisms.org import services as org_services

from . import services
from .contracts import CIRCLE_WORDS, SHELVE_REASON_WORDS, BoardItem, Circle

# --- PR/FAQs (prfaq)


def search_prfaqs(actor: Actor, text: str, limit: int, offset: int | None) -> SearchHits | None:
    """The search page's PR/FAQs: only those the viewer may read (list_prfaqs filters by the policy); no section
    at all when none matches, so an outsider's page is the same whatever exists."""
    found = services.list_prfaqs(actor=actor, text=text, limit=limit, offset=offset)
    if not found.total:
        return None
    return SearchHits(page=found, template="working_backwards/_search_prfaq.html", more_url="/prfaqs")


# --- narratives


def search_narratives(actor, text: str, limit: int, offset: int) -> SearchHits | None:
    """The search page's section of narratives: those whose title holds the words, read through the service (so
    a confidential one is found only by its insiders)."""
    found = services.list_narratives(actor=actor, text=text, limit=limit, offset=offset)
    return SearchHits(page=found, template="working_backwards/_narrative_hit.html", more_url=None)


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
