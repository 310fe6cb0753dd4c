"""The documents pages: a revision, the diff between two, comments, attachments, the reading room. Thin: parse,
call one service, render (kernel.pages)."""

from __future__ import annotations
