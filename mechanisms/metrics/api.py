"""API of the metrics app (MECHANISMS.md §8), under /api/v1/: the registry (/metrics), data (/metrics/{id}/values,
/metric-loads, /metrics/{id}/sql-source), decks (/decks), goals (/goals).

Thin: parse, call one service, return its contract. Errors are mapped in config/api.py.
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["metrics"])

# --- first part: the registry --------------------------------------------------------------------------------

# --- second part: data ---------------------------------------------------------------------------------------

# --- third part: decks and snapshots -------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------
