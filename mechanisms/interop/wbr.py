"""wbr-app's files (github.com/working-backwards/wbr-app): its YAML deck config and its CSV data (wide, or long with
filter metrics), translated into the metrics engine's `DeckSpec`. Pure: no Django, no database; the same
translation feeds `mech wbr build` offline and the server's import of a wbr-app deck.
"""

from __future__ import annotations
