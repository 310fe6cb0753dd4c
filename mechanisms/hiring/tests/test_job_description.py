"""An opening's job description is its document (documents app, owner kind `hiring_opening`, part `description`):
every revision is kept with its diff, the opening's version guards a change, the rule to open reads the current
revision, readers of the opening read and comment on it, whoever may change the opening revises it, and a closed
opening freezes it (DESIGN.md §2: one way of keeping revisions; MECHANISMS.md §5)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mechanisms.audit import services as audit_services
from mechanisms.documents import services as documents
from mechanisms.documents.contracts import Access
from mechanisms.hiring import services as hiring
from mechanisms.hiring.contracts import OpeningChanges, OpeningState
from mechanisms.kernel.actor import Actor
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation
from mechanisms.kernel.testing import error_of, field_of

from .conftest import JD

pytestmark = pytest.mark.django_db

KIND = hiring.JD_KIND


def _doc(org, opening, who="ann"):
    found = documents.find_document(actor=org.actor(who), owner_kind=KIND, owner_id=opening.id)
    assert found is not None
    return found


def test_a_new_opening_keeps_its_job_description_as_revision_one_of_its_document(hiring_org, make_opening):
    opening = make_opening(open=False)
    doc = _doc(hiring_org, opening)
    assert (opening.document_id, opening.job_description_revision) == (doc.id, 1)
    revision = documents.get_revision(actor=hiring_org.actor("ann"), document_id=doc.id)
    assert revision.text(hiring.JD_PART) == JD == opening.job_description
    assert doc.title == opening.title


def test_a_changed_job_description_is_the_next_revision_with_its_diff_and_note(hiring_org, make_opening):
    opening = make_opening()
    ann = hiring_org.actor("ann")
    changed = hiring.update_opening(
        actor=ann,
        opening_id=opening.id,
        changes=OpeningChanges(job_description=JD + "\n\nYou will also run the payments on-call."),
        version=opening.version,
        job_description_note="add the on-call duty",
    )
    assert changed.job_description_revision == 2 and changed.version == opening.version + 1
    assert changed.job_description.endswith("payments on-call.")
    page = documents.list_revisions(actor=ann, document_id=changed.document_id)
    assert [(r.number, r.note) for r in page.items][0] == (2, "add the on-call duty")
    (diff,) = documents.diff_revisions(actor=ann, document_id=changed.document_id, base=1)
    assert "+You will also run the payments on-call." in diff.lines


def test_the_opening_history_keeps_its_other_fields_and_the_document_history_the_job_description(
    hiring_org, make_opening
):
    opening = make_opening(open=False)
    ann = hiring_org.actor("ann")
    hiring.update_opening(
        actor=ann, opening_id=opening.id, changes=OpeningChanges(job_description=JD + " More."), version=1
    )
    opening_history = audit_services.list_changes(actor=ann, subject_type="hiring_opening", subject_id=opening.id)
    assert [c.verb for c in opening_history.items] == ["create"]  # the JD alone changed: not the opening's history
    assert all("job_description" not in (c.after or {}) for c in opening_history.items)
    doc_history = audit_services.list_changes(actor=ann, subject_type="document", subject_id=opening.document_id)
    assert [c.verb for c in doc_history.items] == ["revise", "create"]
    hiring.update_opening(actor=ann, opening_id=opening.id, changes=OpeningChanges(level="L7"), version=2)
    opening_history = audit_services.list_changes(actor=ann, subject_type="hiring_opening", subject_id=opening.id)
    assert [c.verb for c in opening_history.items] == ["update", "create"]


def test_the_same_job_description_keeps_the_current_revision(hiring_org, make_opening):
    opening = make_opening()
    same = hiring.update_opening(
        actor=hiring_org.actor("ann"),
        opening_id=opening.id,
        changes=OpeningChanges(job_description=JD, level="L7"),
        version=opening.version,
    )
    assert same.job_description_revision == 1 and same.level == "L7"


def test_a_stale_opening_version_revises_nothing(hiring_org, make_opening):
    opening = make_opening()
    ann = hiring_org.actor("ann")
    hiring.update_opening(actor=ann, opening_id=opening.id, changes=OpeningChanges(level="L7"), version=opening.version)
    with pytest.raises(Conflict):
        hiring.update_opening(
            actor=ann, opening_id=opening.id, changes=OpeningChanges(job_description=JD + " x"), version=opening.version
        )
    assert documents.list_revisions(actor=ann, document_id=opening.document_id).total == 1


def test_the_rule_to_open_reads_the_current_revision(hiring_org, make_opening):
    opening = make_opening(open=False, job_description="Engineer wanted.")
    ann = hiring_org.actor("ann")
    with pytest.raises(RuleViolation) as refused:
        hiring.open_opening(actor=ann, opening_id=opening.id, version=opening.version)
    assert refused.value.field == "job_description"
    doc = _doc(hiring_org, opening)
    documents.revise_document(actor=ann, document_id=doc.id, parts={hiring.JD_PART: JD}, version=doc.version)
    opened = hiring.open_opening(actor=ann, opening_id=opening.id, version=opening.version)
    assert opened.state is OpeningState.OPEN and opened.job_description == JD and opened.job_description_revision == 2


def test_an_open_opening_refuses_a_short_job_description_and_keeps_its_revision(hiring_org, make_opening):
    opening = make_opening()
    with pytest.raises(RuleViolation) as refused:
        hiring.update_opening(
            actor=hiring_org.actor("ann"),
            opening_id=opening.id,
            changes=OpeningChanges(job_description="short"),
            version=opening.version,
        )
    assert refused.value.field == "job_description"
    assert hiring.get_opening(actor=hiring_org.actor("gus"), opening_id=opening.id).job_description_revision == 1


def test_the_documents_door_keeps_the_rule_that_an_open_opening_has_a_written_job_description(
    as_, hiring_org, make_opening
):
    opening = make_opening()
    assert opening.state is not OpeningState.DRAFT
    url = f"/api/v1/documents/{opening.document_id}"
    version = as_("ann").get(url).json()["version"]
    short = as_("ann").put(
        url, {"parts": {hiring.JD_PART: "short"}, "version": version}, content_type="application/json"
    )
    assert short.status_code == 400 and field_of(short) == f"parts.{hiring.JD_PART}"
    assert hiring.get_opening(actor=hiring_org.actor("gus"), opening_id=opening.id).job_description_revision == 1


def test_readers_of_the_opening_read_and_comment_and_only_those_who_change_it_revise(hiring_org, make_opening):
    opening = make_opening()
    for who in ("gus", "bob", "hal"):  # signed-in people with no part in the opening
        doc = documents.get_document(actor=hiring_org.actor(who), document_id=opening.document_id)
        assert doc.access == frozenset({Access.READ, Access.COMMENT})
        with pytest.raises(PermissionDenied):
            documents.revise_document(
                actor=hiring_org.actor(who), document_id=doc.id, parts={hiring.JD_PART: JD + " x"}, version=doc.version
            )
    for who in ("ann", "rex", "admin"):  # its hiring manager, its recruiter, an admin
        doc = documents.get_document(actor=hiring_org.actor(who), document_id=opening.document_id)
        assert {Access.READ, Access.COMMENT, Access.REVISE, Access.ATTACH} <= doc.access
    doc = documents.revise_document(
        actor=hiring_org.actor("rex"), document_id=doc.id, parts={hiring.JD_PART: JD + " x"}, version=doc.version
    )
    assert hiring.get_opening(actor=hiring_org.actor("gus"), opening_id=opening.id).job_description == JD + " x"
    with pytest.raises(NotFound):  # an opening is for signed-in people: so is its job description
        documents.get_document(actor=Actor.anonymous(), document_id=opening.document_id)


def test_a_closed_opening_freezes_its_job_description(hiring_org, make_opening):
    opening = make_opening()
    ann = hiring_org.actor("ann")
    closed = hiring.close_opening(actor=ann, opening_id=opening.id, version=opening.version, reason="budget")
    assert closed.state is OpeningState.CLOSED
    doc = _doc(hiring_org, opening)
    with pytest.raises(RuleViolation) as refused:
        documents.revise_document(actor=ann, document_id=doc.id, parts={hiring.JD_PART: JD + " x"}, version=doc.version)
    assert "closed" in refused.value.message
    assert documents.get_document(actor=ann, document_id=doc.id).revision == 1


def test_listing_openings_reads_every_job_description_in_one_batch(hiring_org, make_opening):
    make_opening(title="Opening 0")
    gus = hiring_org.actor("gus")
    with CaptureQueriesContext(connection) as one:
        assert hiring.list_openings(actor=gus).items[0].job_description == JD
    for n in range(1, 6):
        make_opening(title=f"Opening {n}", job_description=f"{JD} ({n})")
    with CaptureQueriesContext(connection) as six:
        listed = hiring.list_openings(actor=gus)
    assert len(six.captured_queries) == len(one.captured_queries)
    assert {o.title: o.job_description for o in listed.items}["Opening 3"] == f"{JD} (3)"
    assert all(o.job_description_revision == 1 for o in listed.items)


def test_the_api_keeps_job_description_in_its_output_and_a_patch_revises_it(as_, hiring_org, make_opening):
    opening = make_opening(open=False)
    read = as_("gus").get(f"/api/v1/hiring/openings/{opening.id}").json()
    assert read["job_description"] == JD and read["document_id"] == opening.document_id
    assert read["job_description_revision"] == 1
    patched = as_("ann").patch(
        f"/api/v1/hiring/openings/{opening.id}",
        {"version": read["version"], "job_description": JD + " Remote is fine.", "job_description_note": "remote"},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["job_description_revision"] == 2
    assert patched.json()["job_description"].endswith("Remote is fine.")
    listed = as_("gus").get("/api/v1/hiring/openings").json()["items"]
    assert listed[0]["job_description"].endswith("Remote is fine.")
    stale = as_("ann").patch(
        f"/api/v1/hiring/openings/{opening.id}",
        {"version": read["version"], "job_description": JD},
        content_type="application/json",
    )
    assert stale.status_code == 409 and error_of(stale)["details"]["field"] == "version"
    assert documents.get_document(actor=hiring_org.actor("ann"), document_id=opening.document_id).revision == 2


def test_the_edit_page_revises_the_job_description_with_its_note_and_the_opening_page_links_its_revisions(
    hiring_org, make_opening
):
    import re

    from mechanisms.kernel.testing import page_text, signed_in

    opening = make_opening()
    client = signed_in("ann")
    form = client.get(f"/hiring/openings/{opening.id}/edit").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    assert 'name="job_description_note"' in form
    response = client.post(
        f"/hiring/openings/{opening.id}/edit",
        {
            "csrfmiddlewaretoken": token,
            "title": opening.title,
            "hiring_manager": "ann",
            "recruiter": "rex",
            "level": opening.level,
            "job_description": JD + "\n\nOn-call one week in six.",
            "job_description_note": "say how often on-call comes round",
            "principles": list(opening.principles),
            "version": opening.version,
        },
    )
    assert response.status_code == 302, page_text(response)
    latest = documents.list_revisions(actor=hiring_org.actor("gus"), document_id=opening.document_id).items[0]
    assert (latest.number, latest.note) == (2, "say how often on-call comes round")
    body = signed_in("gus").get(f"/hiring/openings/{opening.id}").content.decode()
    assert "On-call one week in six." in body and "Revision 2" in body
    assert f"/documents/{opening.document_id}/revisions" in body
    assert f"/documents/{opening.document_id}/diff?base=1&amp;head=2" in body


def test_a_reader_comments_on_a_passage_of_the_job_description_from_the_opening_page(hiring_org, make_opening):
    import re

    from mechanisms.kernel.testing import page_text, signed_in

    opening = make_opening()
    client = signed_in("gus")  # any signed-in person reads an opening, so comments on its job description
    page = client.get(f"/hiring/openings/{opening.id}").content.decode()
    assert 'id="doc-comment-form"' in page
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = client.post(
        f"/documents/{opening.document_id}/comments",
        {
            "csrfmiddlewaretoken": token,
            "next": f"/hiring/openings/{opening.id}",
            "revision": 1,
            "body": "Which **payment** hand-off?",
            "part": hiring.JD_PART,
            "quote": "the payment hand-off",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/hiring/openings/{opening.id}"
    text = page_text(signed_in("ann").get(f"/hiring/openings/{opening.id}"))
    assert "Which payment hand-off?" in text and "the payment hand-off" in text
    # The hiring manager rewrites that passage: the comment stays, saying plainly that its passage changed.
    hiring.update_opening(
        actor=hiring_org.actor("ann"),
        opening_id=opening.id,
        changes=OpeningChanges(job_description=JD.replace("the payment hand-off", "the hand-off to Payments")),
        version=opening.version,
    )
    text = page_text(signed_in("ann").get(f"/hiring/openings/{opening.id}"))
    assert "passage changed since revision 1" in text and "Which payment hand-off?" in text
    assert signed_in("gus").get(f"/hiring/openings/{opening.id}", {"candidates_offset": 0}).status_code == 200


def test_the_documents_api_asks_hiring_who_reads_and_revises_a_job_description(
    as_, api_client, hiring_org, make_opening
):
    opening = make_opening()
    url = f"/api/v1/documents/{opening.document_id}"
    assert api_client(None).get(url).status_code in (401, 404)  # no door for anonymous callers
    read = as_("gus").get(url)
    assert read.status_code == 200 and set(read.json()["access"]) == {"read", "comment"}
    body = {"parts": {hiring.JD_PART: JD + " Hybrid."}, "note": "hybrid", "version": read.json()["version"]}
    refused = as_("gus").put(url, body, content_type="application/json")
    assert refused.status_code == 403
    revised = as_("rex").put(url, body, content_type="application/json")  # the opening's recruiter
    assert revised.status_code == 200, revised.content
    assert as_("gus").get(f"/api/v1/hiring/openings/{opening.id}").json()["job_description"].endswith("Hybrid.")
    closed = hiring.close_opening(
        actor=hiring_org.actor("ann"), opening_id=opening.id, version=opening.version, reason="budget"
    )
    assert closed.state is OpeningState.CLOSED
    body = {"parts": {hiring.JD_PART: JD}, "version": revised.json()["version"]}
    frozen = as_("ann").put(url, body, content_type="application/json")
    assert frozen.status_code == 400 and "closed" in error_of(frozen)["message"]
    assert as_("gus").get(f"{url}/revisions").json()["total"] == 2


def test_a_job_description_exports_to_pdf_for_the_openings_readers(hiring_org, make_opening):
    from mechanisms.kernel.testing import pdf_text

    opening = make_opening()
    name, pdf = documents.export_pdf(actor=hiring_org.actor("gus"), document_id=opening.document_id)
    assert name.endswith("-r1.pdf") and "order confirmation" in pdf_text(pdf).replace("\n", " ")
    with pytest.raises(NotFound):
        documents.export_pdf(actor=Actor.anonymous(), document_id=opening.document_id)
