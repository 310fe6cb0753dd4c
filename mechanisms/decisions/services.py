"""Public services of the decisions app (DESIGN.md §4)."""

from __future__ import annotations
