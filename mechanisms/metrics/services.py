"""Public services of the metrics app (MECHANISMS.md §8). Keyword-only, typed; every write is one transaction with
its audit record (DESIGN.md §4). Reads go through `policy.visible_to`.

Sections, in order: the registry (metrics, revisions, lineage, plans); data (loads, pushes, SQL pulls,
completeness); decks (build, commentary, exceptions, snapshots); goals.
"""

from __future__ import annotations

from . import decks as _decks

# --- the registry: metrics, revisions, lineage, plans ---------------------------------------------------------

# --- data: CSV loads, API pushes, SQL pulls, completeness ------------------------------------------------------

# --- decks: build, commentary, exceptions, snapshots -----------------------------------------------------------
# The third part's services live in the private module decks.py (the docstrings below say what each enforces);
# these are the public names.


DECK_SUBJECT = _decks.DECK_SUBJECT
MAX_DECK_ROWS = _decks.MAX_ROWS
FEW_DECK_ROWS = _decks.FEW_ROWS
create_deck = _decks.create_deck
change_deck = _decks.change_deck
set_deck_rows = _decks.set_deck_rows
get_deck = _decks.get_deck
find_deck = _decks.find_deck
list_decks = _decks.list_decks
last_ended_week = _decks.last_ended_week
build_deck = _decks.build_deck
comment_on_metric = _decks.comment_on_metric
list_commentary = _decks.list_commentary
take_snapshot = _decks.take_snapshot
take_due_snapshots = _decks.take_due_snapshots
list_snapshots = _decks.list_snapshots
get_snapshot = _decks.get_snapshot
snapshot_result = _decks.snapshot_result
compare_snapshots = _decks.compare_snapshots
export_deck = _decks.export_deck
deck_document = _decks.deck_document

# --- goals -----------------------------------------------------------------------------------------------------
