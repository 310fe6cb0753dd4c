"""The narrative rules (pure, no database): the page measure counts the body's rendered words (markup not
counted, the appendix not counted), a body over six pages is a finding, and so is one over 20% list items."""

from __future__ import annotations

from mechanisms.working_backwards import rules_narrative as rules
from mechanisms.working_backwards.contracts import WORDS_PER_PAGE
from mechanisms.working_backwards.rules import pages


def _prose(words: int) -> str:
    sentence = "Customers wait too long for refunds today."  # 7 words
    text = " ".join([sentence] * (words // 7))
    rest = words - 7 * (words // 7)
    return text + (" " + " ".join(["more"] * rest) if rest else "")


def test_words_are_counted_as_rendered_so_markup_adds_none():
    assert rules.count_words("**Bold** and [a link](https://example.com/a/very/long/url)") == 4
    assert rules.count_words("# A heading\n\n| a | b |\n|---|---|\n| one two | three |") == 7
    assert rules.count_words("```\nx = compute(y)\n```") == 3
    assert rules.count_words("") == 0


def test_a_page_is_500_words_and_3001_words_are_over_six_pages():
    assert pages(_prose(WORDS_PER_PAGE)) == 1.0
    assert pages(_prose(3001)) == 6.1  # rounded up to a tenth
    check = rules.check_narrative(_prose(3000))
    assert check.words == 3000 and check.pages == 6.0 and check.ok
    over = rules.check_narrative(_prose(3001))
    assert [f.rule for f in over.findings] == ["pages"] and over.over_limit
    assert "3,001 words" in over.findings[0].message and "at most 6 pages" in over.findings[0].message
    assert "over 6 pages" in rules.session_refusal(over)


def test_the_appendix_is_not_counted_towards_the_six_pages():
    check = rules.check_narrative(_prose(2000), appendix=_prose(5000))
    assert check.pages == 4.0 and check.appendix_words == 5000 and check.ok
    assert rules.session_refusal(check) == ""


def test_a_body_over_a_fifth_list_items_is_not_prose():
    prose = "\n\n".join(["A paragraph of prose that argues a point."] * 4)
    assert rules.check_narrative(prose + "\n\n- one bullet").ok  # 1 of 5 lines: 20%, not over
    bullets = prose + "\n\n- one\n- two\n1. three"
    check = rules.check_narrative(bullets)
    assert (check.lines, check.bullet_lines) == (7, 3)
    assert [f.rule for f in check.findings] == ["bullets"] and "narratives are prose" in check.findings[0].message


def test_code_blocks_and_thematic_breaks_are_not_list_items():
    text = "Prose here.\n\n```\n- not a bullet\n- nor this\n```\n\n---\n\nMore prose."
    assert rules.bullet_lines(text) == (3, 0)


def test_a_file_splits_at_its_appendix_heading_outside_code():
    body, appendix = rules.split_appendix("Body text.\n\n```\n# Appendix\n```\n\n# Appendix\n\n| data |\n")
    assert body == "Body text.\n\n```\n# Appendix\n```" and appendix == "| data |"
    assert rules.split_appendix("No appendix here.\n") == ("No appendix here.", "")
    assert rules.split_appendix("Text\n# appendices\nTables")[1] == "Tables"
