"""The API mandate and the organization rules (MECHANISMS.md §1-2): owns the rule findings, waivers,
per-team scorecards and the Conway report.

Public modules: ``contracts`` (plain, frozen facts the rules read: no Django) and ``services``.
``rules`` holds the pure rules, fed from the database by the server and from catalog files by ``mech check``.
"""
