"""The app's pages. Thin: parse, call one service, render (kernel.pages)."""

from __future__ import annotations

from mechanisms.kernel.actor import Actor
from mechanisms.kernel.mounts import SearchHits

from . import services

# --- PR/FAQs (prfaq)


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
