"""The experiments API (/api/v1/experiments/...): thin; each endpoint calls one service (docs/experiments.md)."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["experiments"])

# first part: the registry

# second part: assignment and exposures

# third part: analysis

# fourth part: the decision and review
