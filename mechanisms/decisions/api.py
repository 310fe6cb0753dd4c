"""API of the decisions app (MECHANISMS.md §7). Thin: parse, call one service, return its contract. Errors are
mapped in config/api.py."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["decisions"])
