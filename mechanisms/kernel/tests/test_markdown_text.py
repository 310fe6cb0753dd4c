"""kernel.markdown.plain_text: the words a reader sees once Markdown is rendered, what page measures count."""

from __future__ import annotations

from mechanisms.kernel.markdown import plain_text


def test_markup_and_link_targets_are_not_text_but_headings_tables_code_and_image_descriptions_are():
    text = plain_text(
        "# Title\n\nSome **bold** [words](https://example.com/long/path)\n\n| a | b |\n|---|---|\n| c | d |\n\n"
        "```\nx = 1\n```\n\n- item `code`\n\n![a chart](chart.png)"
    )
    assert text.split() == ["Title", "Some", "bold", "words", "a", "b", "c", "d", "x", "=", "1", "item", "code"] + [
        "a",
        "chart",
    ]
    assert "https" not in text and "**" not in text and "|" not in text


def test_empty_text_has_no_words():
    assert plain_text("") == "" and plain_text(None) == ""
