"""The one place that decides who may see and change what in the metrics app (DESIGN.md §4)."""

from __future__ import annotations
