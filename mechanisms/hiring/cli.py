"""CLI of the hiring app: `mech hiring principles|openings|opening|candidates|candidate|resume|erase|health`, then
(below the `# --- loops` banner) the loop commands.

Thin: parse, call one service, print. `--as HANDLE` acts as that person's account; without it a command runs as the
product itself, which is an outsider to every candidate and loop (it reads openings only).
"""

from __future__ import annotations

import typer

hiring = typer.Typer(
    help="Hiring: principles, openings, candidates, résumés, erasure, health; loops.", no_args_is_help=True
)


@hiring.callback()
def _main() -> None:
    """Hiring (MECHANISMS.md §5)."""


# --- loops: the loop commands below
