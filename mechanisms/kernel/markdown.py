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


def plain_text(text: str | None) -> str:
    """The text a reader sees once Markdown is rendered, without markup: headings, paragraphs, list items, table
    cells, code blocks and inline code, image descriptions. What page measures count (a narrative's six pages), so
    `**bold**` or a link's URL adds no words. Pure: no Django."""
    if not text:
        return ""
    out: list[str] = []
    for token in _parser().parse(text):
        if token.type in ("fence", "code_block"):
            out.append(token.content)
        elif token.type == "inline":
            for child in token.children or ():
                if child.type in ("text", "code_inline"):
                    out.append(child.content)
                elif child.type in ("softbreak", "hardbreak"):
                    out.append(" ")
                elif child.type == "image":
                    out.append(child.content)
            out.append("\n")
    return "".join(out)
