"""The worker's jobs of the experiments app (analysis part)."""

from __future__ import annotations
