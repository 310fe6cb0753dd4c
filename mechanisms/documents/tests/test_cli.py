"""`mech documents`: show, revisions, diff, comments (the hidden-comments rule holds here too), attach; errors
name the field and exit 1, an unreadable document is not found."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from mechanisms.documents import services
from mechanisms.documents.cli import documents
from mechanisms.documents.contracts import Anchor

from .conftest import PNG

runner = CliRunner()


def test_show_revisions_and_diff_read_a_document_as_a_reader(docs, make_doc):
    doc = make_doc(body="one\ntwo", appendix="extra")
    services.revise_document(actor=docs.actor("ann"), document_id=doc.id, parts={"body": "one\nthree"}, version=1)
    shown = runner.invoke(documents, ["show", str(doc.id), "--revision", "1", "--as", "cat"])
    assert shown.exit_code == 0 and "## Body" in shown.output and "two" in shown.output
    listed = runner.invoke(documents, ["revisions", str(doc.id), "--as", "cat", "--format", "json"])
    assert [r["number"] for r in json.loads(listed.output)["items"]] == [2, 1]
    diff = runner.invoke(documents, ["diff", str(doc.id), "--base", "1", "--as", "cat"])
    assert diff.exit_code == 0 and "+three" in diff.output and "## Appendix: unchanged" in diff.output


def test_an_unreadable_document_is_not_found_and_exits_1(docs, make_doc):
    doc = make_doc(body="secret words")
    for args in (["show", str(doc.id)], ["comments", str(doc.id), "--as", "dan"]):
        result = runner.invoke(documents, args)
        assert result.exit_code == 1 and "not found" in result.output and "secret" not in result.output


def test_comments_say_when_their_passage_changed(docs, make_doc):
    doc = make_doc(body="three days")
    services.add_comment(actor=docs.actor("bob"), document_id=doc.id, body="why?", anchor=Anchor("body", "three"))
    services.revise_document(actor=docs.actor("ann"), document_id=doc.id, parts={"body": "a week"}, version=1)
    result = runner.invoke(documents, ["comments", str(doc.id), "--as", "cat", "--format", "json"])
    [c] = json.loads(result.output)["items"]
    assert c["status"] == "changed" and c["body"] == "why?" and c["author"] == "Bob Ruiz"
    text = runner.invoke(documents, ["comments", str(doc.id), "--as", "cat"], env={"COLUMNS": "250"})
    assert text.exit_code == 0 and "passage changed since revision 1" in text.output


def test_attach_types_the_file_from_its_bytes_and_refuses_svg_naming_the_file(docs, make_doc, tmp_path):
    doc = make_doc(body="x")
    png, svg = tmp_path / "mock.png", tmp_path / "mock.svg"
    png.write_bytes(PNG)
    svg.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    ok = runner.invoke(documents, ["attach", str(doc.id), str(png), "--purpose", "mockup", "--as", "bob"])
    assert ok.exit_code == 0 and "image/png" in ok.output
    refused = runner.invoke(documents, ["attach", str(doc.id), str(svg), "--purpose", "mockup", "--as", "bob"])
    assert refused.exit_code == 1 and "(file)" in refused.output
    missing = runner.invoke(documents, ["attach", str(doc.id), str(tmp_path / "nope.png"), "--as", "bob"])
    assert missing.exit_code == 2
    assert services.count_attachments(document_id=doc.id, purpose="mockup") == 1
