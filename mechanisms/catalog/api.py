"""API of the catalog app (placeholder router; filled in below)."""

from ninja import Router

router = Router()
