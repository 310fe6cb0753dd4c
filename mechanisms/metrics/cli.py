"""CLI of the metrics app: `mech metrics ...` (the registry and data), `mech decks ...` (WBR decks, commentary,
snapshots), `mech goals ...`. The offline `mech wbr build` is interop's (interop/wbr_cli.py).

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account (org.services.cli_actor).
"""

from __future__ import annotations

import typer

metrics = typer.Typer(help="The metric registry and its data: define, revise, plan, load, pull.", no_args_is_help=True)
decks = typer.Typer(help="Weekly Business Review decks: build, comment, snapshot, export.", no_args_is_help=True)
goals = typer.Typer(help="Teams' goals for the year: propose, approve, progress from the data.", no_args_is_help=True)

# --- first part: the registry (metrics) ----------------------------------------------------------------------

# --- second part: data (metrics load|push|pull|completeness) -------------------------------------------------

# --- third part: decks ---------------------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------
