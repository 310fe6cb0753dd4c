"""Audit: owns the append-only change log. Public modules: `contracts` and `services`.

Every write in the product records one change here (who, when, correlation id, verb, subject, before and
after, reason). The database itself refuses UPDATE and DELETE on the table.
"""
