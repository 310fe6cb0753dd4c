"""Pure drawing of WBR decks (no Django): the 6-12 chart as inline SVG (no CDN, no script), the box of figures, and
the whole deck as one self-contained HTML file, from the engine's `DeckResult`. Used by the server's deck pages and
exports and by `mech wbr build` offline, so both draw the same deck.
"""

from __future__ import annotations
