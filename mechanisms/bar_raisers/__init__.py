"""Bar raisers (MECHANISMS.md §4): the pool of trained bar raisers, the one independence rule, assignment of a bar
raiser to a subject of any kind, and reviews of any subject. Public: `contracts.py`, `services.py` (and the pure
`rules.py`, which the mandate's offline rules import)."""
