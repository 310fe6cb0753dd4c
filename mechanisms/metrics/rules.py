"""Pure rules of the metrics app (no ORM, no Django): the Weekly Business Review's period arithmetic and the deck
engine, the completeness check and the exceptions rule. The server feeds them from the database; `mech wbr build`
feeds them from wbr-app's files (interop/wbr.py), with the same code and the same results (DESIGN.md §3).

The engine's entry point is `build_deck(spec: DeckSpec) -> DeckResult`.
"""

from __future__ import annotations
