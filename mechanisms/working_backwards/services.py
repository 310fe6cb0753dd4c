"""Public services of the working_backwards app (DESIGN.md §4)."""

from __future__ import annotations
