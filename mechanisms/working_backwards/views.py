"""The app's pages. Thin: parse, call one service, render (kernel.pages)."""

from __future__ import annotations

from mechanisms.kernel.mounts import SearchHits

# --- narratives


def search_narratives(actor, text: str, limit: int, offset: int) -> SearchHits | None:
    """The search page's section of narratives: those whose title holds the words, read through the service (so
    a confidential one is found only by its insiders)."""
    from . import services

    found = services.list_narratives(actor=actor, text=text, limit=limit, offset=offset)
    return SearchHits(page=found, template="working_backwards/_narrative_hit.html", more_url=None)
