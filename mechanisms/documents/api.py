"""API of the documents app: a document's revisions and diffs, its comments, its attachments and its reading
sessions, whatever app owns it (access is asked of the owning app). Thin: parse, call one service, return its
contract. Errors are mapped in config/api.py."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["documents"])
