"""The one Markdown renderer: raw HTML off, output sanitized. Templates never mark user text safe."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render(text: str | None) -> str:
    """Markdown to sanitized HTML."""
    if not text:
        return ""
    return nh3.clean(_parser().render(text), link_rel="noopener noreferrer nofollow")
