"""Audit: owns the append-only change log. Public modules: `contracts` and `services`.

Every write in the product records one change here (who, when, server-made correlation id, verb, subject, before
and after, reason), of a subject type its owning app registered. The database itself refuses UPDATE, DELETE,
UPSERT, REPLACE and TRUNCATE on the table. What is kept of confidential and erasable records, and who may read
which history: docs/audit.md.
"""
