"""Pure statistics of experiments (MECHANISMS.md §9; docs/experiments.md): no Django, no ORM.

The conventions are GrowthBook's gbstats 0.8, so the numbers agree with it to 1e-8 (rules part).
"""

from __future__ import annotations
