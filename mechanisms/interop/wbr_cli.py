"""``mech wbr build CONFIG DATA --out deck.html|pdf|json``: a wbr-app deck built offline, like ``mech check``.

No server, no database, no Django: interop/wbr.py reads the YAML config and the CSV, the metrics engine
(metrics/rules.py) computes the deck, metrics/charts.py draws it. Exit 0 built, 2 when the input cannot be read
(the message names the file, line and field). Imports are inside the command.
"""

from __future__ import annotations

import typer

wbr = typer.Typer(help="wbr-app decks, offline: build a deck from a YAML config and a CSV.", no_args_is_help=True)
