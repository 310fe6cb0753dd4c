"""Private, pure rules of narratives (MECHANISMS.md §6; docs/working-backwards.md "Narratives"): the page measure,
the six-page limit and the bullet-ratio lint. No ORM and no Django settings: the server and the offline
`mech narratives check FILE.md` run the same code and get the same answer.

- **Page measure**: the one measure of PR/FAQs and narratives, `rules.pages`: one page is `WORDS_PER_PAGE` (500)
  words of the body *as rendered text* (kernel.markdown.plain_text): headings, paragraphs, list items, table cells
  and code count; markup (`**`, a link's URL, table rules) does not. The appendix is not counted.
- **Six pages**: a body over `NARRATIVE_MAX_PAGES` (6) pages, i.e. over 3,000 words, is a finding; such a
  narrative may be written and revised, but no reading session starts on it.
- **Bullets**: the share of the body's non-blank lines (outside fenced code) that are list items (`-`, `*`, `+`,
  `1.`, `1)`); over `BULLET_RATIO_LIMIT` (20%) is a finding: narratives are prose.
"""

from __future__ import annotations

import re

from . import rules
from .contracts import BULLET_RATIO_LIMIT, NARRATIVE_MAX_PAGES, WORDS_PER_PAGE, NarrativeCheck, NarrativeFinding

_BULLET = re.compile(r"^\s{0,12}(?:[-*+]|\d{1,9}[.)])(?:\s+\S|\s*$)")
_RULE = re.compile(r"^\s{0,3}(?:[-*_]\s*){3,}$")  # a thematic break (---, * * *) is not a list item
_FENCE = re.compile(r"^\s{0,3}(`{3,}|~{3,})")
_APPENDIX = re.compile(r"^#\s+(?:appendix|appendices)\s*#*\s*$", re.IGNORECASE)


def count_words(markdown: str) -> int:
    """Words of the text as a reader sees it rendered (markup not counted): the page measure's unit."""
    return rules.words(markdown)


def bullet_lines(markdown: str) -> tuple[int, int]:
    """(non-blank lines outside fenced code, of which list items)."""
    lines = bullets = 0
    fence: str | None = None
    for line in (markdown or "").splitlines():
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if not line.strip():
            continue
        lines += 1
        if _BULLET.match(line) and not _RULE.match(line):
            bullets += 1
    return lines, bullets


def check_narrative(body: str, appendix: str = "") -> NarrativeCheck:
    """The page measure and the lint of a narrative (module docstring): its findings, empty when it passes."""
    words = count_words(body)
    pages = rules.pages(body)
    lines, bullets = bullet_lines(body)
    ratio = bullets / lines if lines else 0.0
    findings: list[NarrativeFinding] = []
    if words > NARRATIVE_MAX_PAGES * WORDS_PER_PAGE:
        findings.append(
            NarrativeFinding(
                "pages",
                f"the body is {words:,} words, {pages:g} pages of {WORDS_PER_PAGE} words: a narrative has at most "
                f"{NARRATIVE_MAX_PAGES} pages (move detail to the appendix)",
            )
        )
    if ratio > BULLET_RATIO_LIMIT:
        findings.append(
            NarrativeFinding(
                "bullets",
                f"{bullets} of the body's {lines} lines are list items ({ratio:.0%}, over {BULLET_RATIO_LIMIT:.0%}): "
                "narratives are prose",
            )
        )
    return NarrativeCheck(
        words=words,
        pages=pages,
        lines=lines,
        bullet_lines=bullets,
        bullet_ratio=ratio,
        appendix_words=count_words(appendix),
        findings=tuple(findings),
    )


def session_refusal(check: NarrativeCheck) -> str:
    """Why a reading session may not start on this narrative ("" when it may): over six pages."""
    if check.over_limit:
        return (
            f"a narrative over {NARRATIVE_MAX_PAGES} pages is not read in a session: this one is {check.words:,} "
            f"words ({check.pages:g} pages of {WORDS_PER_PAGE}); move detail to the appendix"
        )
    return ""


def split_appendix(markdown: str) -> tuple[str, str]:
    """A Markdown file as (body, appendix): the appendix is everything after a level-one `# Appendix` (or
    `# Appendices`) heading outside fenced code; without one, it is all body."""
    lines = (markdown or "").splitlines(keepends=True)
    fence: str | None = None
    for i, line in enumerate(lines):
        opened = _FENCE.match(line)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
            continue
        if opened:
            fence = opened.group(1)
            continue
        if _APPENDIX.match(line.rstrip("\r\n")):
            return "".join(lines[:i]).strip("\n"), "".join(lines[i + 1 :]).strip("\n")
    return (markdown or "").strip("\n"), ""
