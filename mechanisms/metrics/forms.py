"""forms of the metrics app (private)."""

from __future__ import annotations
