"""Notifications (MECHANISMS.md, cross-cutting "asynchronous first"): owns the in-app inbox, the per-person
delivery preferences and the outbox of email and chat-webhook deliveries.

Public modules: ``contracts`` and ``services``. Other apps call ``services.notify(...)`` inside their write
transaction; delivery happens after the transaction commits, is retried on failure, and never fails the write.
"""
