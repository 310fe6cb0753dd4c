"""Public services of the metrics app (MECHANISMS.md §8). Keyword-only, typed; every write is one transaction with
its audit record (DESIGN.md §4). Reads go through `policy.visible_to`.

Sections, in order: the registry (metrics, revisions, lineage, plans); data (loads, pushes, SQL pulls,
completeness); decks (build, commentary, exceptions, snapshots); goals.
"""

from __future__ import annotations

# --- the registry: metrics, revisions, lineage, plans ---------------------------------------------------------

# --- data: CSV loads, API pushes, SQL pulls, completeness ------------------------------------------------------

# --- decks: build, commentary, exceptions, snapshots -----------------------------------------------------------

# --- goals -----------------------------------------------------------------------------------------------------
