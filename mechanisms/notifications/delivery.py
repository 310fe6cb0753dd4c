"""Delivery of email and chat webhooks (being built)."""
