"""API of the hiring app (MECHANISMS.md §5) under `/api/v1/hiring/...`: principles, openings and their transitions,
candidates, résumés, erasure, the mechanism-health figures; then (below the `# --- loops` banner) loops,
interviews, feedback and the debrief.

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py: a record the caller may
not see is a 404, an action they may not take a 403 naming the rule, a broken rule a 400 naming the field, a stale
version a 409.
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["hiring"])


def _actor(request):
    return request.auth  # the Actor, set by config.api's authenticators


# --- loops: loops, interviews, feedback, debrief (the `loops` helper's routes) below
