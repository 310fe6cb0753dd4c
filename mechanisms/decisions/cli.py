"""CLI of the decisions app: `mech decisions ...`. Thin: parse, call one service, print."""

from __future__ import annotations

import typer

decisions = typer.Typer(
    help="Decision records: stances, revisits, outcomes; MADR import and export.", no_args_is_help=True
)
