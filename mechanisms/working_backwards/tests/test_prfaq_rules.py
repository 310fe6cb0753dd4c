"""The PR/FAQ checker and the page measure (pure: no database). MECHANISMS.md §6."""

from __future__ import annotations

from mechanisms.working_backwards import rules
from mechanisms.working_backwards.contracts import PRFAQ_PARTS, WORDS_PER_PAGE, Severity

from .conftest import GOOD_PRFAQ


def _rules(report, severity=None):
    return [(f.rule, f.part) for f in report.findings if severity is None or f.severity is severity]


def test_a_good_prfaq_has_no_findings_and_fits_its_pages():
    report = rules.check_prfaq(GOOD_PRFAQ)
    assert report.findings == ()
    assert report.ok
    assert 0 < report.pages_press_release <= 1
    assert 0 < report.pages_faq <= 5


def test_missing_core_paragraphs_are_errors_and_other_sections_warnings():
    parts = {k: v for k, v in GOOD_PRFAQ.items() if k not in ("problem", "leader_quote", "risks")}
    parts["solution"] = "   \n"  # blank is missing
    report = rules.check_prfaq(parts)
    assert _rules(report, Severity.ERROR) == [
        ("missing_core_paragraph", "problem"),
        ("missing_core_paragraph", "solution"),
    ]
    assert _rules(report, Severity.WARNING) == [("missing_section", "leader_quote"), ("missing_section", "risks")]
    assert not report.ok
    assert rules.missing_core(parts) == ("problem", "solution")


def test_an_empty_prfaq_misses_every_section():
    report = rules.check_prfaq({})
    assert len(report.findings) == len(PRFAQ_PARTS)
    assert len(report.errors) == 3


def test_the_press_release_over_one_page_and_the_faq_over_five_are_reported():
    long = dict(GOOD_PRFAQ, summary="word " * 480, external_faq="answer " * 2400, risks="risk " * 200)
    report = rules.check_prfaq(long)
    assert ("press_release_too_long", "") in _rules(report)
    assert ("faq_too_long", "") in _rules(report)
    assert report.pages_press_release > 1 and report.pages_faq > 5
    just = dict(GOOD_PRFAQ, external_faq="answer " * 2450)  # with the rest of the FAQ: just over five pages
    assert ("faq_too_long", "") in _rules(rules.check_prfaq(just))


def test_jargon_and_weasel_words_are_counted_per_part_as_whole_words_case_insensitive():
    parts = dict(
        GOOD_PRFAQ,
        summary="We Leverage synergies to leverage a world-class, SEAMLESS flow. Leveraged is not jargon here.",
        solution="It is very fast and really simple; it should be able to save many hours. Everyday use.",
    )
    report = rules.check_prfaq(parts)
    found = [(f.rule, f.part, f.count) for f in report.findings if f.rule in ("jargon", "weasel_words")]
    assert ("jargon", "summary", 2) in found  # "Leverage" and "leverage"; "Leveraged" is another word
    assert ("jargon", "summary", 1) in found  # synergies, world-class, seamless: once each
    assert sum(1 for r, p, _ in found if r == "jargon" and p == "summary") == 4
    weasel = sorted(f.message for f in report.findings if f.rule == "weasel_words" and f.part == "solution")
    assert len(weasel) == 4  # very, really, should be able to, many ("Everyday" holds no listed word)
    assert all(f.severity is Severity.WARNING for f in report.findings)
    assert any("“should be able to” once" in m for m in weasel)


def test_pages_counts_words_at_five_hundred_a_page():
    assert WORDS_PER_PAGE == 500
    assert rules.pages("") == 0
    assert rules.pages("one two three") == 0.1  # rounded up to a tenth
    assert rules.pages("word " * 750) == 1.5
    assert rules.words("**Bold** text, don't count `code` marks; e-mail is one word.") == 10


def test_a_markdown_file_is_read_by_its_part_headings():
    text = "# Acme Pay Later\n\n## Headline\nPay later\n\n## The customer\nMaria.\n\n## problem\nShe loses sales.\n"
    text += "\n## Internal FAQ: risks\nLosses.\n\n## Appendix\nignored\n"
    parts, unknown = rules.parse_markdown(text)
    assert parts == {"headline": "Pay later", "customer": "Maria.", "problem": "She loses sales.", "risks": "Losses."}
    assert unknown == ("Appendix",)
