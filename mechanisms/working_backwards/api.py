"""API of the working_backwards app (MECHANISMS.md §6): PR/FAQs, their circles and transitions, the checker, the
funnel; narratives. Thin: parse, call one service, return its contract. Errors are mapped in config/api.py."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["working backwards"])
