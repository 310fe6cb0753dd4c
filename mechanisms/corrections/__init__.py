"""Correction of errors (MECHANISMS.md §11): a COE is a document with structure (what happened, customer impact
with figures, a timeline, the five whys down to a root cause, what went well, typed action items with owners, due
dates and verification evidence, the mechanism that prevents a recurrence), reviewed, approved and closed only once
every action item is verified; recurring causes are linked; and the andon cord, which anyone pulls on a service or a
listing and only its owner releases. This session built the pure rules (`rules.py`: the root-cause lint that
refuses blaming people, the editor's checker, the close gate, recurrence, the report figures); the tables, the
machine, pages, API and CLI come next (docs/corrections.md). Public: `contracts.py` (and `services.py` once it
exists)."""
