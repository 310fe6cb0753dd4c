"""Pure deterministic assignment (MECHANISMS.md §9): hash(experiment key, unit id) into weighted buckets. No Django:
any service can embed this module (assignment part)."""

from __future__ import annotations
