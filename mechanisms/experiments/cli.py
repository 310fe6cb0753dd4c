"""`mech experiments ...` (docs/experiments.md). `mech experiments analyze STATS.json` is offline (no Django):
config/launcher.py takes it to mechanisms.interop.experiments_cli before this module is imported; the command is
also listed here so `mech experiments --help` shows it."""

from __future__ import annotations

import typer

experiments = typer.Typer(help="Experiments: registry, assignment, exposures, analysis and launch decisions.")

# first part: the registry

# second part: assignment and exposures

# third part: analysis

# fourth part: the decision and review
