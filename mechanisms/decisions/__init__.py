"""Decisions (MECHANISMS.md §7): decision records with one owner, their options, one-way or two-way door, each
participant's signed stance (agree; disagree and commit, with the new information the dissent brings; still
disagree), a revisit date with a reminder and a later outcome review, so "right a lot" can be seen per owner.
MADR Markdown files import and export through workflows.madr_io (the translation is interop/madr.py), which hands
this app the records it reads (`services.import_decisions`). Public: `contracts.py`, `services.py`."""
