"""Pure rules of working backwards (MECHANISMS.md §6): the page measure, the PR/FAQ checker and the facts the
PR/FAQ machine's guards judge. No ORM, no Django settings: the server feeds them a revision's parts, the offline
`mech prfaqs check FILE.md` feeds them a Markdown file, with the same results (DESIGN.md §3).

The page measure, the one of PR/FAQs and narratives (`words`, `pages_of`, `pages`; docs/working-backwards.md): a
page is `WORDS_PER_PAGE` (500) words, a word being a run of letters, digits, apostrophes or hyphens in the text as
rendered (headings, tables and code count; markup and a link's URL do not), rounded up to a tenth. The press
release may take one page, the FAQ five, a narrative's body six (rules_narrative).

The checker's word lists are below: `JARGON` (insider words a customer would not use) and `WEASEL_WORDS` (words
that sound like a claim and commit to nothing). Each entry is matched as a whole word or phrase, case-insensitive,
and reported with the part it is in and how many times.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass

from mechanisms.kernel.markdown import plain_text

from .contracts import (
    CORE_PARTS,
    FAQ_PARTS,
    PRESS_RELEASE_PARTS,
    PRFAQ_PARTS,
    WORDS_PER_PAGE,
    CheckReport,
    Finding,
    PrFaqState,
    Severity,
)

PRESS_RELEASE_MAX_PAGES = 1
FAQ_MAX_PAGES = 5

_WORD = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*", re.UNICODE)


# Insider words: a PR/FAQ is written for the customer, in their words. Each says what to do instead.
JARGON: tuple[str, ...] = (
    "synergy",
    "synergies",
    "leverage",
    "leveraging",
    "paradigm",
    "paradigm shift",
    "best-of-breed",
    "best of breed",
    "world-class",
    "cutting-edge",
    "bleeding-edge",
    "next-generation",
    "holistic",
    "robust",
    "seamless",
    "seamlessly",
    "scalable",
    "turnkey",
    "value-add",
    "low-hanging fruit",
    "move the needle",
    "circle back",
    "deep dive",
    "boil the ocean",
    "game-changer",
    "game-changing",
    "disruptive",
    "empower",
    "empowers",
    "ecosystem",
    "omnichannel",
    "mission-critical",
    "actionable",
    "end-to-end",
    "best practices",
)

# Words that sound like a claim and commit to nothing: say the number, the date or the fact instead.
WEASEL_WORDS: tuple[str, ...] = (
    "very",
    "really",
    "extremely",
    "significantly",
    "substantially",
    "many",
    "various",
    "numerous",
    "several",
    "quite",
    "fairly",
    "relatively",
    "arguably",
    "virtually",
    "nearly all",
    "almost all",
    "most likely",
    "probably",
    "hopefully",
    "should be able to",
    "in the near future",
    "as soon as possible",
    "it is believed",
    "it is said",
    "studies show",
    "experts agree",
    "up to",
    "best-in-class",
    "industry-leading",
)


def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so a phrase wins over a word it starts with; whole words only (no match inside a word).
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


_JARGON = _pattern(JARGON)
_WEASEL = _pattern(WEASEL_WORDS)


def words(text: str | None) -> int:
    """How many words a text has (the page measure's unit), counted in the Markdown as rendered text
    (kernel.markdown.plain_text: headings, tables and code included; a link's URL, markup and table rules not)."""
    return len(_WORD.findall(plain_text(text)))


def pages_of(count: int) -> float:
    """Pages of `count` words: over WORDS_PER_PAGE, rounded up to a tenth (one word more than a page is 1.1)."""
    return math.ceil(count * 10 / WORDS_PER_PAGE) / 10


def pages(text: str | None) -> float:
    """How many pages a text takes: the one page measure of PR/FAQs and narratives (rules_narrative uses it)."""
    return pages_of(words(text))


def count_phrases(text: str, pattern: re.Pattern[str]) -> dict[str, int]:
    """How many times each listed word or phrase occurs, case-insensitive, keyed by its lower-case form."""
    found: dict[str, int] = {}
    for match in pattern.finditer(text or ""):
        key = re.sub(r"\s+", " ", match.group(0).lower())
        found[key] = found.get(key, 0) + 1
    return found


def check_prfaq(parts: Mapping[str, str]) -> CheckReport:
    """Check a PR/FAQ's parts (key -> Markdown) against MECHANISMS.md §6: a missing core paragraph (customer,
    problem, solution) is an error, which blocks leaving draft; another missing section, a press release over one
    page, an FAQ over five pages, jargon and weasel words are warnings. Parts it does not know are ignored."""
    findings: list[Finding] = []
    for part in PRFAQ_PARTS:
        if not (parts.get(part.key) or "").strip():
            core = part.key in CORE_PARTS
            findings.append(
                Finding(
                    rule="missing_core_paragraph" if core else "missing_section",
                    part=part.key,
                    message=f"{part.label} is missing" + (" (a core paragraph: needed to leave draft)" if core else ""),
                    severity=Severity.ERROR if core else Severity.WARNING,
                )
            )
    press = pages_of(sum(words(parts.get(p.key)) for p in PRESS_RELEASE_PARTS))
    faq = pages_of(sum(words(parts.get(p.key)) for p in FAQ_PARTS))
    if press > PRESS_RELEASE_MAX_PAGES:
        findings.append(
            Finding(
                rule="press_release_too_long",
                part="",
                message=f"the press release takes {press:g} pages; keep it to {PRESS_RELEASE_MAX_PAGES} "
                f"({PRESS_RELEASE_MAX_PAGES * WORDS_PER_PAGE} words)",
                severity=Severity.WARNING,
            )
        )
    if faq > FAQ_MAX_PAGES:
        findings.append(
            Finding(
                rule="faq_too_long",
                part="",
                message=f"the FAQ takes {faq:g} pages; keep it to {FAQ_MAX_PAGES} ({FAQ_MAX_PAGES * WORDS_PER_PAGE} "
                "words)",
                severity=Severity.WARNING,
            )
        )
    for part in PRFAQ_PARTS:
        text = parts.get(part.key) or ""
        for rule, pattern, advice in (
            ("jargon", _JARGON, "say what it does for the customer, in their words"),
            ("weasel_words", _WEASEL, "say the number, the date or the fact"),
        ):
            for phrase, count in count_phrases(text, pattern).items():
                times = "once" if count == 1 else f"{count} times"
                findings.append(
                    Finding(
                        rule=rule,
                        part=part.key,
                        message=f"{part.label}: “{phrase}” {times}; {advice}",
                        severity=Severity.WARNING,
                        count=count,
                    )
                )
    return CheckReport(findings=tuple(findings), pages_press_release=press, pages_faq=faq)


def missing_core(parts: Mapping[str, str]) -> tuple[str, ...]:
    """The core paragraphs (customer, problem, solution) not yet written, in order."""
    return tuple(k for k in CORE_PARTS if not (parts.get(k) or "").strip())


# --- the Markdown file of `mech prfaqs check FILE.md` ------------------------------------------------------------

_HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$")


def parse_markdown(text: str) -> tuple[dict[str, str], tuple[str, ...]]:
    """A PR/FAQ written as one Markdown file, whose `##` headings are the part labels (or keys), into parts.
    Returns the parts and the headings it did not recognise (so the command can name them). Text before the first
    heading is ignored; a part's text is what follows its heading up to the next `##` heading."""
    by_name = {}
    for part in PRFAQ_PARTS:
        by_name[_norm(part.label)] = part.key
        by_name[_norm(part.key)] = part.key
        by_name[_norm(part.key.replace("_", " "))] = part.key
    parts: dict[str, list[str]] = {}
    unknown: list[str] = []
    current: str | None = None
    for line in text.splitlines():
        heading = _HEADING.match(line)
        if heading:
            label = heading.group(1)
            current = by_name.get(_norm(label))
            if current is None:
                unknown.append(label)
            else:
                parts.setdefault(current, [])
            continue
        if current is not None:
            parts[current].append(line)
    return {k: "\n".join(v).strip() for k, v in parts.items()}, tuple(unknown)


def _norm(label: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", label.lower()).strip()


# --- the machine's facts -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PrFaqFacts:
    """What the PR/FAQ machine's guards judge (machines.py): its state and circle, the core paragraphs still
    missing, which circles have a named reviewer, the mockups attached, and the high-impact bar-raiser review."""

    state: PrFaqState
    circle: int
    missing_core: tuple[str, ...] = ()
    reviewed_circles: frozenset[int] = frozenset()  # circles with at least one named reviewer
    mockups: int = 0
    high_impact: bool = False
    review: str = ""  # the bar-raiser review: "" none, "open", "accepted", "overridden", "rejected" (do not proceed)
