"""Pure rules of the documents app (no ORM): who sees a comment made during a reading session, and where a
comment's passage is in a later revision."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from .contracts import Anchor, AnchorStatus


@dataclass(frozen=True, slots=True)
class SessionFacts:
    """What the hidden-comments rule needs of a reading session: its presenter, each reader and whether they have
    marked "done reading", and whether the session is closed."""

    presenter_id: int | None
    readers: Mapping[int, bool]  # person id -> done reading
    closed: bool

    @property
    def all_done(self) -> bool:
        return all(self.readers.values())


def comment_visible(*, viewer_id: int | None, author_id: int | None, session: SessionFacts | None) -> bool:
    """May this viewer see this comment now? (MECHANISMS.md §6: silent reading.)

    A comment outside any session is seen by everyone who may read the document. During a session, a reader's
    comments are hidden from every other reader until that viewer has marked "done reading", and from the
    presenter (and anyone else) until every reader is done or the session is closed. Everyone sees their own."""
    if session is None:
        return True
    if viewer_id is not None and viewer_id == author_id:
        return True
    if session.closed or session.all_done:
        return True
    if viewer_id is not None and viewer_id in session.readers:
        return session.readers[viewer_id]
    return False


def locate(anchor: Anchor | None, parts: Mapping[str, str]) -> tuple[AnchorStatus, int | None]:
    """Where an anchored passage is in a revision's parts: FOUND with its start when its quote is there (the
    occurrence whose surrounding text best matches the anchor's prefix and suffix), CHANGED when it is not (the
    passage was edited or removed: the page says so plainly), DOCUMENT for a comment on the whole document."""
    if anchor is None or not anchor.quote:
        return AnchorStatus.DOCUMENT, None
    text = parts.get(anchor.part, "")
    best: tuple[int, int] | None = None  # (score, start)
    start = text.find(anchor.quote)
    while start != -1:
        before = text[max(0, start - len(anchor.prefix)) : start]
        after = text[start + len(anchor.quote) : start + len(anchor.quote) + len(anchor.suffix)]
        score = _common_suffix(before, anchor.prefix) + _common_prefix(after, anchor.suffix)
        if best is None or score > best[0]:
            best = (score, start)
        start = text.find(anchor.quote, start + 1)
    if best is None:
        return AnchorStatus.CHANGED, None
    return AnchorStatus.FOUND, best[1]


# Markdown's inline marks (emphasis, code, strike-through), which a passage selected in the rendered page lacks.
_MARKS = "[*_`~]*"


def source_passage(text: str, quote: str) -> str | None:
    """The passage of a part's Markdown source that `quote` stands for: the quote itself when it occurs as written,
    else the first stretch of the source that reads as the quote once inline marks (`*`, `_`, `` ` ``, `~`) are
    dropped and runs of whitespace are taken as one (words selected on the rendered page: "in one hour" for
    "in **one hour**"). None when there is no such stretch."""
    if not quote:
        return None
    if quote in text:
        return quote
    words = [w for w in re.split(r"\s+", quote.strip()) if w]
    if not words:
        return None
    pattern = (_MARKS + r"\s+" + _MARKS).join(_MARKS.join(re.escape(c) for c in word) for word in words)
    found = re.search(pattern, text)
    return found.group(0) if found else None


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _common_suffix(a: str, b: str) -> int:
    return _common_prefix(a[::-1], b[::-1])
