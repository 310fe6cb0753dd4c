"""Org: people and their managers, the org-unit tree, two-pizza teams with a single-threaded leader,
memberships, and sign-in accounts and API tokens (MECHANISMS.md §1).

Public modules: `contracts` (frozen dataclasses) and `services` (the only way in).
"""
