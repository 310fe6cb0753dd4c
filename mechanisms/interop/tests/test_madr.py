"""MADR files in and out (interop/madr.py): pure, no database. The round trip is run on the MADR project's own
decision records and templates (`../shared/madr-examples/`, see its SOURCE.md)."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from mechanisms.interop import madr

ROOT = Path(__file__).resolve().parents[3]
# Beside the repository, as the Backstage examples are; MECH_MADR_EXAMPLES points elsewhere (a worktree).
EXAMPLES = Path(os.environ.get("MECH_MADR_EXAMPLES") or ROOT.parent / "shared" / "madr-examples")
FILES = sorted(p for p in EXAMPLES.glob("*.md") if p.name != "SOURCE.md") if EXAMPLES.is_dir() else []
needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason="../shared/madr-examples is not beside the repository"
)

SMALL = """\
---
status: accepted
date: 2026-03-02
decision-makers:
  - Ann Lee
  - bob
custom: kept
---
# Use PostgreSQL for orders

## Context and Problem Statement

Orders outgrow SQLite.

## Decision Drivers

* Operations know it

## Considered Options

* PostgreSQL
* DynamoDB

## Decision Outcome

Chosen option: "PostgreSQL", because we run it.

### Consequences

* Good, because backups exist

### Confirmation

A review of the schema.

## Pros and Cons of the Options

### PostgreSQL

* Good, because we run it

### DynamoDB

* Bad, because nobody knows it

## More Information

See the runbook.
"""


def _headings(text: str) -> list[tuple[str, int]]:
    """Every heading of level 2+ outside fenced code, independently of the parser (for the outline check)."""
    out, fence = [], None
    for line in text.splitlines():
        stripped = line.lstrip()
        if stripped.startswith(("```", "~~~")):
            marker = stripped[:3]
            fence = None if fence == marker else (fence or marker)
            continue
        if fence is None and line.startswith("##"):
            hashes = len(line) - len(line.lstrip("#"))
            out.append((line[hashes:].strip(), hashes))
    return out


@needs_examples
@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_every_example_file_renders_back_byte_for_byte(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    record = madr.parse(text)
    assert madr.render(record) == text
    assert madr.render(madr.from_layout(madr.to_layout(record))) == text
    assert record.section_outline == tuple(_headings(text))


@needs_examples
def test_the_examples_yield_their_modelled_parts() -> None:
    records = {p.name: madr.parse(p.read_text(encoding="utf-8")) for p in FILES}
    licence = records["0001-use-CC0-or-MIT-as-license.md"]
    assert licence.title == "Dual License the Work"
    assert licence.chosen_option == "Dual license with MIT and CC0"
    assert [o.title for o in licence.options][:3] == [
        "[CC0](https://creativecommons.org/share-your-work/public-domain/cc0/)",
        "BSD3",
        "MIT",
    ]
    assert licence.options[0].description  # "### CC0" describes the option written as a link
    assert records["0003-provide-own-madr-tools.md"].status == "on hold"
    assert madr.status_of(records["0003-provide-own-madr-tools.md"]) == "proposed"
    # "MADR 4.0.0" names the option "[MADR](...) 4.0.0 – The Markdown ...": chosen words the title goes on after.
    assert records["0000-use-markdown-architectural-decision-records.md"].chosen_option.startswith("[MADR]")
    assert records["0004-write-own-toc-tool.md"].consequences
    # A heading inside fenced code is text of its section, not a section.
    assert "Context and problem statement" not in [
        h for h, _ in records["0013-use-yaml-front-matter-for-meta-data.md"].section_outline
    ]
    template = records["template-adr-template.md"]
    assert template.status == "" and template.decision_makers == ()  # placeholders in curly braces are empty


def test_front_matter_keeps_unknown_keys_and_reads_decision_makers() -> None:
    record = madr.parse(SMALL)
    assert [k for k, _ in record.front_matter] == ["status", "date", "decision-makers", "custom"]
    assert record.metadata == (
        ("status", "accepted"),
        ("date", "2026-03-02"),
        ("decision-makers", "Ann Lee, bob"),
        ("custom", "kept"),
    )
    assert record.decision_makers == ("Ann Lee", "bob")
    assert (record.status, record.date) == ("accepted", "2026-03-02")
    assert [o.title for o in record.options] == ["PostgreSQL", "DynamoDB"]
    assert record.options[1].description == "* Bad, because nobody knows it"
    assert record.chosen_option == "PostgreSQL"
    assert record.consequences == "* Good, because backups exist"


def _values(record: madr.MadrRecord, **changed) -> madr.Values:
    values = {
        "title": record.title,
        "status": madr.status_of(record),
        "date": record.date,
        "context": record.context,
        "options": tuple((o.title, o.description) for o in record.options),
        "decision": record.decision,
        "chosen_option": record.chosen_option,
        "consequences": record.consequences,
    }
    values.update(changed)
    return madr.Values(**values)


def test_unchanged_values_write_the_file_back_as_it_came() -> None:
    record = madr.parse(SMALL)
    assert madr.render(madr.updated(record, _values(record))) == SMALL


def test_a_changed_part_is_rewritten_in_place_and_the_sections_we_do_not_model_stay() -> None:
    record = madr.parse(SMALL)
    changed = madr.updated(
        record,
        _values(
            record,
            context="Orders outgrow SQLite; the ledger too.",
            options=(("PostgreSQL", "* Good, because we run it"), ("DynamoDB", "* Bad"), ("CockroachDB", "* New")),
            status="deprecated",
        ),
    )
    text = madr.render(changed)
    assert changed.section_outline == (
        ("Context and Problem Statement", 2),
        ("Decision Drivers", 2),
        ("Considered Options", 2),
        ("Decision Outcome", 2),
        ("Consequences", 3),
        ("Confirmation", 3),
        ("Pros and Cons of the Options", 2),
        ("PostgreSQL", 3),
        ("DynamoDB", 3),
        ("CockroachDB", 3),
        ("More Information", 2),
    )
    assert "status: deprecated\n" in text and "custom: kept\n" in text
    assert "A review of the schema." in text and "See the runbook." in text
    reread = madr.parse(text)
    assert reread.context == "Orders outgrow SQLite; the ledger too."
    assert [o.title for o in reread.options] == ["PostgreSQL", "DynamoDB", "CockroachDB"]
    assert reread.chosen_option == "PostgreSQL"


def test_a_new_record_is_written_in_the_template_order_and_reads_back() -> None:
    values = madr.Values(
        title="Use trunk-based development",
        status="accepted",
        date="2026-04-01",
        decision_makers=("Ann Lee",),
        context="Long branches hurt.",
        options=(("Trunk", "* Good, because small changes"), ("Git flow", "")),
        decision="We merge daily.",
        chosen_option="Trunk",
        consequences="* Bad, because flags are needed",
    )
    record = madr.parse(madr.render(madr.new_record(values)))
    assert record.section_outline == (
        ("Context and Problem Statement", 2),
        ("Considered Options", 2),
        ("Decision Outcome", 2),
        ("Consequences", 3),
        ("Pros and Cons of the Options", 2),
        ("Trunk", 3),
    )
    assert (record.title, record.status, record.date, record.decision_makers) == (
        "Use trunk-based development",
        "accepted",
        "2026-04-01",
        ("Ann Lee",),
    )
    assert record.chosen_option == "Trunk" and "We merge daily." in record.decision


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("Just text\n\n## Context and Problem Statement\n\nx\n", 1, "title"),
        ("---\nstatus: accepted\n# No end of the front matter\n", 1, "front_matter"),
        ("---\nstatus: accepted\ndate: last tuesday\n---\n# T\n", 3, "date"),
        ("---\nstatus: a\nstatus: b\n---\n# T\n", 3, "status"),
        (
            '# T\n\n## Considered Options\n\n* A\n* B\n\n## Decision Outcome\n\nChosen option: "C", because.\n',
            10,
            "chosen_option",
        ),
        ("# T\n\n## Considered Options\n\n* A\n* A\n", 6, "options"),
    ],
    ids=["no-title", "unclosed-front-matter", "bad-date", "key-twice", "unknown-chosen-option", "option-twice"],
)
def test_a_bad_file_is_refused_naming_the_line_and_the_field(text: str, line: int, field: str) -> None:
    with pytest.raises(madr.MadrError) as refused:
        madr.parse(text)
    assert (refused.value.line, refused.value.field) == (line, field)


def test_what_a_person_typed_never_makes_an_export_fail() -> None:
    # Quotes inside the chosen option's title, and titles that read alike once links and emphasis are set aside.
    values = madr.Values(
        title='Quote the "section"',
        options=(('Include in "More Information"', ""), ("A_B", ""), ("A B", "")),
        decision="Because.",
        chosen_option='Include in "More Information"',
    )
    text = madr.render(madr.new_record(values))
    assert "Chosen option: \"Include in 'More Information'\"" in text
    reread = madr.parse(text)  # and the file reads back as a MADR record (what another import would read)
    assert reread.chosen_option == 'Include in "More Information"'
    assert [o.title for o in reread.options] == ['Include in "More Information"', "A_B", "A B"]
    other = madr.parse(madr.render(madr.new_record(replace(values, chosen_option="A B"))))
    assert other.chosen_option == "A B"  # the same words first, then words that read alike
