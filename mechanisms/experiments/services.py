"""Public services of the experiments app (MECHANISMS.md §9; docs/experiments.md). Keyword-only, typed; every
write is one transaction with its audit record; reads go through policy.visible_to.

Sections, each owned by one part of the work:
- first part: the registry (define, edit a draft, plan versions, the power calculation, the machine's binding);
- second part: assignment and exposures (the pure function served, bulk exposures);
- third part: analysis (sufficient statistics in the data connection -> rules -> immutable snapshots);
- fourth part: the launch decision and its bar-raiser review.
"""

from __future__ import annotations

from .history import SOURCE_SUBJECT_TYPE, SUBJECT_TYPE

__all__ = ["SOURCE_SUBJECT_TYPE", "SUBJECT_TYPE"]

# ------------------------------------------------------------------------------------- first part: the registry

# ------------------------------------------------------------------------ second part: assignment and exposures

# ----------------------------------------------------------------------------------------- third part: analysis

# ------------------------------------------------------------------------ fourth part: the decision and review
