"""Away Teams (MECHANISMS.md §3): owns away-team requests on a service, their transitions (answer, escalate,
duplicate, build, review, hand-off, warranty, withdraw) and the tax and credit reports built from them.

Public modules: ``contracts`` and ``services``. ``rules`` holds the pure state machine and working-day arithmetic.
"""
