"""MADR import and export of the decision log (workflows/madr_io.py; issue 11 item 5): the MADR project's own files
import and export back unchanged; a bad file names its file, line and field and writes nothing; decision-makers
are matched to people by name, handle or e-mail."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.decisions import services as decisions_services
from mechanisms.decisions.contracts import DecisionChanges, Status
from mechanisms.interop import madr
from mechanisms.kernel.errors import PermissionDenied, RuleViolation
from mechanisms.workflows import madr_io

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]
EXAMPLES = Path(os.environ.get("MECH_MADR_EXAMPLES") or ROOT.parent / "shared" / "madr-examples")
needs_examples = pytest.mark.skipif(
    not EXAMPLES.is_dir(), reason="../shared/madr-examples is not beside the repository"
)

MADE_BY = """\
---
status: accepted
date: 2026-02-10
decision-makers:
  - Ann Lee
  - bob
  - cat@acme.test
---
# Cache product pages

## Context and Problem Statement

Pages are slow.

## Considered Options

* CDN
* In-process cache

## Decision Outcome

Chosen option: "CDN", because it is simplest.

## More Information

Measured in January.
"""


def _files() -> list[tuple[str, str]]:
    return [(p.name, p.read_text(encoding="utf-8")) for p in sorted(EXAMPLES.glob("*.md")) if p.name != "SOURCE.md"]


@needs_examples
def test_the_madr_projects_files_import_and_export_back_unchanged(small_org):
    ann = small_org.actor("ann")
    files = _files()
    report = madr_io.import_madr(actor=ann, files=files, owner_id=small_org.people["ann"].id)
    assert len(report.decisions) == len(files)
    for (name, text), decision in zip(files, report.decisions, strict=True):
        filename, exported = madr_io.export_madr(actor=ann, decision_id=decision.id)
        assert exported == text, name
        assert filename.startswith(f"{decision.number:04d}-")
    by_name = dict(zip((n for n, _ in files), report.decisions, strict=True))
    licence = by_name["0001-use-CC0-or-MIT-as-license.md"]
    assert licence.question == "Dual License the Work"
    assert licence.chosen.title == "Dual license with MIT and CC0"
    assert by_name["0003-provide-own-madr-tools.md"].status is Status.PROPOSED  # "on hold" stays in the file


@needs_examples
def test_an_edited_import_keeps_every_section_in_its_place(small_org):
    ann = small_org.actor("ann")
    name = "0013-use-yaml-front-matter-for-meta-data.md"
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    (decision,) = madr_io.import_madr(actor=ann, files=[(name, text)]).decisions  # owned by the importer
    decisions_services.update_decision(
        actor=ann,
        decision_id=decision.id,
        version=decision.version,
        changes=DecisionChanges(context="Metadata: in the file or beside it?"),
    )
    _, exported = madr_io.export_madr(actor=ann, decision_id=decision.id)
    before, after = madr.parse(text), madr.parse(exported)
    assert after.section_outline == before.section_outline
    assert after.context == "Metadata: in the file or beside it?"
    unchanged = [s.text() for s in before.sections if s.heading != "Context and Problem Statement"]
    assert unchanged == [s.text() for s in after.sections if s.heading != "Context and Problem Statement"]


def test_decision_makers_are_matched_by_name_handle_or_email(small_org):
    report = madr_io.import_madr(actor=small_org.actor("ann"), files=[("0001-cache.md", MADE_BY)])
    (decision,) = report.decisions
    assert decision.owner_id == small_org.people["ann"].id
    assert [p.person_id for p in decision.participants] == [small_org.people["bob"].id, small_org.people["cat"].id]
    assert all(p.stance is None for p in decision.participants)
    assert decision.status is Status.ACCEPTED and str(decision.decided_on) == "2026-02-10"
    assert report.unmatched == ()


def test_an_unknown_decision_maker_is_the_imports_error_unless_an_owner_is_named(small_org):
    text = MADE_BY.replace("  - bob\n", "  - Zed Nobody\n")
    ann = small_org.actor("ann")
    with pytest.raises(RuleViolation) as refused:
        madr_io.import_madr(actor=ann, files=[("0001-cache.md", text)])
    assert refused.value.details == {"file": "0001-cache.md", "line": 4, "field": "decision-makers"}
    report = madr_io.import_madr(actor=ann, files=[("0001-cache.md", text)], owner_id=small_org.people["ann"].id)
    assert report.unmatched == (("0001-cache.md", "Zed Nobody"),)
    _, exported = madr_io.export_madr(actor=ann, decision_id=report.decisions[0].id)
    assert "  - Zed Nobody\n" in exported  # kept in the file's front matter


def test_a_bad_file_names_the_file_line_and_field_and_nothing_is_written(small_org):
    admin = small_org.actor("admin")
    bad = MADE_BY.replace('Chosen option: "CDN"', 'Chosen option: "Edge workers"')
    changes_before = audit_services.list_changes(actor=admin).total
    with pytest.raises(RuleViolation) as refused:
        madr_io.import_madr(actor=small_org.actor("ann"), files=[("0001-good.md", MADE_BY), ("0002-bad.md", bad)])
    assert refused.value.details == {"file": "0002-bad.md", "line": 22, "field": "chosen_option"}
    assert "0002-bad.md, line 22: chosen_option" in refused.value.message
    assert decisions_services.list_decisions(actor=admin).total == 0
    assert audit_services.list_changes(actor=admin).total == changes_before


def test_only_an_admin_imports_for_another_owner(small_org):
    with pytest.raises(PermissionDenied):
        madr_io.import_madr(
            actor=small_org.actor("bob"), files=[("0001-cache.md", MADE_BY)], owner_id=small_org.people["ann"].id
        )
    with pytest.raises(PermissionDenied):  # the file's first decision-maker is Ann
        madr_io.import_madr(actor=small_org.actor("bob"), files=[("0001-cache.md", MADE_BY)])


def test_a_decision_that_never_was_a_file_exports_in_the_template_form(small_org):
    from mechanisms.decisions.contracts import OptionInput

    ann = small_org.actor("ann")
    d = decisions_services.create_decision(
        actor=ann,
        question="Which queue for events?",
        context="Events are lost today.",
        options=[OptionInput("SQS", "* Good, because managed"), OptionInput("Kafka")],
        participant_ids=[small_org.people["bob"].id],
    )
    d = decisions_services.decide_decision(
        actor=ann, decision_id=d.id, version=d.version, chosen_option=1, decision="Managed wins."
    )
    filename, text = madr_io.export_madr(actor=ann, decision_id=d.id)
    assert filename == f"{d.number:04d}-which-queue-for-events.md"
    record = madr.parse(text)
    assert record.decision_makers == ("Ann Lee", "Bob Ruiz")
    assert record.chosen_option == "SQS" and record.status == "accepted"
    assert [h for h, _ in record.section_outline][:3] == [
        "Context and Problem Statement",
        "Considered Options",
        "Decision Outcome",
    ]
