"""The metrics app's pages (MECHANISMS.md §8): the registry, a metric's page (series, completeness, lineage,
plans), the WBR decks (charts, box, commentary, exceptions first, snapshots, PDF/HTML/JSON), goals per team and
org unit. Thin: parse, call one service, render (kernel.pages). Templates are in `metrics/templates/metrics/`.
"""

from __future__ import annotations

# --- first part: the registry --------------------------------------------------------------------------------

# --- second part: data ---------------------------------------------------------------------------------------

# --- third part: decks and snapshots -------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------
