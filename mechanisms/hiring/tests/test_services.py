"""Hiring services: principles, openings (the job description before a loop, the hiring-manager and recruiter
rules), candidates for insiders only, résumés (size, types, download), erasure, the offer that fills an opening."""

from __future__ import annotations

import io
import zipfile

import pytest

from mechanisms.audit import services as audit_services
from mechanisms.hiring import services as hiring
from mechanisms.hiring.contracts import CandidateChanges, CandidateState, OpeningChanges, OpeningState
from mechanisms.kernel.errors import Conflict, NotFound, PermissionDenied, RuleViolation

from .conftest import JD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def docx_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


# ------------------------------------------------------------------------------------------------ principles


def test_the_sixteen_leadership_principles_are_the_default_list(hiring_org):
    principles = hiring.list_principles(actor=hiring_org.actor("bob"))
    assert len(principles) == 16
    assert principles[0].slug == "customer-obsession"
    assert principles[-1].slug == "success-and-scale-bring-broad-responsibility"


def test_only_admins_and_company_wide_recruiters_manage_principles(hiring_org):
    added = hiring.add_principle(actor=hiring_org.actor("rae"), slug="write-it-down", name="Write It Down")
    assert added.position == 17
    with pytest.raises(PermissionDenied):
        hiring.add_principle(actor=hiring_org.actor("rex"), slug="other", name="Other")  # retail only
    with pytest.raises(PermissionDenied):
        hiring.add_principle(actor=hiring_org.actor("ann"), slug="other", name="Other")
    with pytest.raises(Conflict) as exc:
        hiring.add_principle(actor=hiring_org.actor("admin"), slug="write-it-down", name="Again")
    assert exc.value.field == "slug"
    off = hiring.update_principle(actor=hiring_org.actor("admin"), principle_id=added.id, version=1, active=False)
    assert not off.active
    assert "write-it-down" not in {p.slug for p in hiring.list_principles(actor=hiring_org.actor("bob"))}


# ------------------------------------------------------------------------------------------------ openings


def test_an_opening_starts_as_a_draft_readable_by_everyone(hiring_org, make_opening):
    opening = make_opening(open=False)
    assert opening.state is OpeningState.DRAFT
    seen = hiring.get_opening(actor=hiring_org.actor("gus"), opening_id=opening.id)
    assert seen.title == "Senior SDE (checkout)" and seen.hiring_manager_handle == "ann"
    assert hiring.list_openings(actor=hiring_org.actor("gus")).total == 1


def test_an_opening_needs_a_written_job_description_before_it_opens(hiring_org, make_opening):
    opening = make_opening(open=False, job_description="Engineer wanted.")
    with pytest.raises(RuleViolation) as exc:
        hiring.open_opening(actor=hiring_org.actor("ann"), opening_id=opening.id, version=opening.version)
    assert exc.value.field == "job_description"
    assert hiring.get_opening(actor=hiring_org.actor("ann"), opening_id=opening.id).version == opening.version


def test_an_opening_needs_a_principle_before_it_opens(hiring_org, make_opening):
    opening = make_opening(open=False, principles=())
    with pytest.raises(RuleViolation) as exc:
        hiring.open_opening(actor=hiring_org.actor("ann"), opening_id=opening.id, version=opening.version)
    assert exc.value.field == "principles"


def test_principles_of_an_opening_must_be_active_slugs(hiring_org, make_opening):
    with pytest.raises(RuleViolation) as exc:
        make_opening(principles=("customer-obsession", "telepathy"))
    assert exc.value.field == "principles"


def test_the_hiring_manager_leads_the_team_or_manages_its_leader(hiring_org, make_opening):
    with pytest.raises(RuleViolation) as exc:
        make_opening(hiring_manager_id=hiring_org.people["bob"].id)  # a member, not the leader
    assert exc.value.field == "hiring_manager_id"
    above = make_opening(hiring_manager_id=hiring_org.people["vp-retail"].id, actor="vp-retail")
    assert above.hiring_manager_handle == "vp-retail"


def test_the_recruiter_holds_the_recruiter_role_for_the_team_unit(hiring_org, make_opening):
    with pytest.raises(RuleViolation) as exc:
        make_opening(recruiter_id=hiring_org.people["fay"].id)
    assert exc.value.field == "recruiter_id"
    assert make_opening(recruiter_id=hiring_org.people["rae"].id).recruiter_handle == "rae"


def test_only_admins_the_team_leader_chain_and_unit_recruiters_create_openings(hiring_org, make_opening):
    with pytest.raises(PermissionDenied):
        make_opening(actor="bob")
    with pytest.raises(PermissionDenied):
        make_opening(actor="fay")  # leads another team
    assert make_opening(actor="rex").state is OpeningState.OPEN
    assert make_opening(actor="admin").state is OpeningState.OPEN
    vp = hiring_org.people["vp-retail"].id
    assert make_opening(actor="vp-retail", hiring_manager_id=vp).state is OpeningState.OPEN


def test_an_update_names_the_version_it_read(hiring_org, make_opening):
    opening = make_opening()
    changed = hiring.update_opening(
        actor=hiring_org.actor("rex"),
        opening_id=opening.id,
        changes=OpeningChanges(level="L7"),
        version=opening.version,
    )
    assert changed.level == "L7"
    with pytest.raises(Conflict):
        hiring.update_opening(
            actor=hiring_org.actor("ann"), opening_id=opening.id, changes=OpeningChanges(level="L5"), version=1
        )
    with pytest.raises(PermissionDenied):
        hiring.update_opening(
            actor=hiring_org.actor("cat"),
            opening_id=opening.id,
            changes=OpeningChanges(level="L5"),
            version=changed.version,
        )


def test_an_open_opening_keeps_its_written_job_description(hiring_org, make_opening):
    opening = make_opening()
    with pytest.raises(RuleViolation) as exc:
        hiring.update_opening(
            actor=hiring_org.actor("ann"),
            opening_id=opening.id,
            changes=OpeningChanges(job_description="x"),
            version=opening.version,
        )
    assert exc.value.field == "job_description"


def test_hold_reopen_and_close_are_the_stewards_moves(hiring_org, make_opening):
    opening = make_opening()
    with pytest.raises(PermissionDenied):
        hiring.hold_opening(actor=hiring_org.actor("cat"), opening_id=opening.id, version=opening.version)
    held = hiring.hold_opening(actor=hiring_org.actor("ann"), opening_id=opening.id, version=opening.version)
    assert held.state is OpeningState.ON_HOLD
    assert hiring.opening_actions(actor=hiring_org.actor("rex"), opening_id=opening.id) == ("reopen", "close")
    assert hiring.opening_actions(actor=hiring_org.actor("cat"), opening_id=opening.id) == ()
    with pytest.raises(RuleViolation) as exc:
        hiring.close_opening(actor=hiring_org.actor("ann"), opening_id=opening.id, version=held.version, reason="")
    assert exc.value.field == "reason"
    closed = hiring.close_opening(
        actor=hiring_org.actor("admin"), opening_id=opening.id, version=held.version, reason="budget moved"
    )
    assert closed.state is OpeningState.CLOSED and closed.closed_on is not None


def test_would_be_reports_of_a_manager_opening_are_the_team_and_the_named_reports(hiring_org, make_opening):
    people = hiring_org.people
    manager = make_opening(manager_role=True, reports_ids=(people["eve"].id,))
    assert hiring.would_be_reports(manager) == {people["bob"].id, people["cat"].id, people["eve"].id}
    assert hiring.would_be_reports(make_opening()) == frozenset()


# ------------------------------------------------------------------------------------------------ candidates


def test_candidates_are_seen_by_insiders_only(hiring_org, make_candidate):
    candidate = make_candidate()
    for insider in ("rex", "ann", "rae"):
        assert hiring.get_candidate(actor=hiring_org.actor(insider), candidate_id=candidate.id).name == "Jo Quinn"
        assert hiring.list_candidates(actor=hiring_org.actor(insider)).total == 1
    for outsider in ("admin", "bob", "cat", "fay", "vp-retail"):
        with pytest.raises(NotFound):
            hiring.get_candidate(actor=hiring_org.actor(outsider), candidate_id=candidate.id)
        assert hiring.list_candidates(actor=hiring_org.actor(outsider)).total == 0


def test_only_recruiters_and_the_hiring_manager_add_candidates(hiring_org, make_opening, make_candidate):
    opening = make_opening()
    assert make_candidate(opening=opening, actor="ann").state is CandidateState.APPLIED
    with pytest.raises(PermissionDenied):
        make_candidate(opening=opening, actor="admin")
    with pytest.raises(PermissionDenied):
        make_candidate(opening=opening, actor="bob")
    with pytest.raises(RuleViolation) as exc:
        make_candidate(opening=opening, email="not-an-address")
    assert exc.value.field == "email"
    with pytest.raises(RuleViolation) as exc:
        make_candidate(opening=opening, source="billboard")
    assert exc.value.field == "source"


def test_candidate_updates_are_versioned(hiring_org, make_candidate):
    candidate = make_candidate()
    changed = hiring.update_candidate(
        actor=hiring_org.actor("rex"),
        candidate_id=candidate.id,
        changes=CandidateChanges(phone="+1 555 0199"),
        version=candidate.version,
    )
    assert changed.phone == "+1 555 0199"
    with pytest.raises(Conflict):
        hiring.update_candidate(
            actor=hiring_org.actor("rex"),
            candidate_id=candidate.id,
            changes=CandidateChanges(phone="1"),
            version=candidate.version,
        )


# ------------------------------------------------------------------------------------------------ résumés


@pytest.mark.parametrize(
    ("filename", "content", "content_type"),
    [
        ("cv.pdf", b"%PDF-1.7\n...", "application/pdf"),
        ("cv.docx", None, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("cv.md", b"# Jo Quinn\n\nEngineer.", "text/markdown"),
        ("cv.txt", b"Jo Quinn, engineer", "text/plain"),
    ],
)
def test_a_resume_is_a_pdf_docx_or_text_recognised_by_content(
    hiring_org, make_candidate, filename, content, content_type, media
):
    candidate = make_candidate()
    content = content if content is not None else docx_bytes()
    stored = hiring.attach_resume(
        actor=hiring_org.actor("rex"),
        candidate_id=candidate.id,
        filename=filename,
        content=content,
        version=candidate.version,
    )
    assert stored.resume_type == content_type and stored.resume_size == len(content)
    name, read_type, read_content = hiring.read_resume(actor=hiring_org.actor("ann"), candidate_id=candidate.id)
    assert (name, read_type, read_content) == (filename, content_type, content)
    files = list((media / "resumes").iterdir())
    assert len(files) == 1 and filename not in files[0].name  # a random key, never the uploaded name


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n....", b"MZ\x90\x00 an executable", b"PK\x03\x04 not really a zip", b""],
)
def test_anything_else_is_refused_naming_the_resume(hiring_org, make_candidate, content, media):
    candidate = make_candidate()
    with pytest.raises(RuleViolation) as exc:
        hiring.attach_resume(
            actor=hiring_org.actor("rex"),
            candidate_id=candidate.id,
            filename="cv.pdf",
            content=content,
            version=candidate.version,
        )
    assert exc.value.field == "resume"
    assert hiring.get_candidate(actor=hiring_org.actor("rex"), candidate_id=candidate.id).version == candidate.version
    assert not (media / "resumes").exists() or not list((media / "resumes").iterdir())


def test_a_resume_over_the_size_limit_is_refused(hiring_org, make_candidate, settings):
    settings.MECHANISMS = {**settings.MECHANISMS, "RESUME_MAX_BYTES": 100}
    candidate = make_candidate()
    with pytest.raises(RuleViolation) as exc:
        hiring.attach_resume(
            actor=hiring_org.actor("rex"),
            candidate_id=candidate.id,
            filename="cv.txt",
            content=b"x" * 101,
            version=candidate.version,
        )
    assert exc.value.field == "resume" and "100 bytes" in exc.value.message


def test_a_resume_is_read_by_insiders_only(hiring_org, make_candidate):
    candidate = make_candidate()
    hiring.attach_resume(
        actor=hiring_org.actor("rex"),
        candidate_id=candidate.id,
        filename="cv.txt",
        content=b"Jo",
        version=candidate.version,
    )
    for outsider in ("admin", "bob", "fay"):
        with pytest.raises(NotFound):
            hiring.read_resume(actor=hiring_org.actor(outsider), candidate_id=candidate.id)
        with pytest.raises(NotFound):
            hiring.attach_resume(
                actor=hiring_org.actor(outsider),
                candidate_id=candidate.id,
                filename="x.txt",
                content=b"x",
                version=2,
            )


def test_a_new_resume_replaces_the_old_file(hiring_org, make_candidate, media, django_capture_on_commit_callbacks):
    candidate = make_candidate()
    first = hiring.attach_resume(
        actor=hiring_org.actor("rex"),
        candidate_id=candidate.id,
        filename="a.txt",
        content=b"one",
        version=candidate.version,
    )
    with django_capture_on_commit_callbacks(execute=True):
        hiring.attach_resume(
            actor=hiring_org.actor("rex"),
            candidate_id=candidate.id,
            filename="b.txt",
            content=b"two",
            version=first.version,
        )
    assert [p.read_bytes() for p in (media / "resumes").iterdir()] == [b"two"]


# ------------------------------------------------------------------------------------------------ offers


def test_an_accepted_offer_hires_the_candidate_and_fills_the_opening(hiring_org, make_opening, make_candidate):
    opening = make_opening()
    candidate = make_candidate(opening=opening)
    with pytest.raises(RuleViolation):
        hiring.accept_offer(actor=hiring_org.actor("rex"), candidate_id=candidate.id, version=candidate.version)
    hiring.set_candidate_state(actor=hiring_org.actor("ann"), candidate_id=candidate.id, state=CandidateState.OFFER)
    current = hiring.get_candidate(actor=hiring_org.actor("rex"), candidate_id=candidate.id)
    hired = hiring.accept_offer(actor=hiring_org.actor("rex"), candidate_id=candidate.id, version=current.version)
    assert hired.state is CandidateState.HIRED
    assert hiring.get_opening(actor=hiring_org.actor("bob"), opening_id=opening.id).state is OpeningState.FILLED


def test_a_withdrawn_candidate_cannot_withdraw_again(hiring_org, make_candidate):
    candidate = make_candidate()
    gone = hiring.withdraw_candidate(
        actor=hiring_org.actor("rex"), candidate_id=candidate.id, version=candidate.version, reason="took another offer"
    )
    assert gone.state is CandidateState.WITHDRAWN
    with pytest.raises(RuleViolation):
        hiring.withdraw_candidate(actor=hiring_org.actor("rex"), candidate_id=candidate.id, version=gone.version)


# ------------------------------------------------------------------------------------------------ erasure


def test_erasure_blanks_the_candidate_and_deletes_the_resume(
    hiring_org, make_candidate, media, django_capture_on_commit_callbacks
):
    candidate = make_candidate()
    hiring.attach_resume(
        actor=hiring_org.actor("rex"),
        candidate_id=candidate.id,
        filename="jo-quinn.pdf",
        content=b"%PDF-1.4 Jo",
        version=candidate.version,
    )
    with django_capture_on_commit_callbacks(execute=True):
        erased = hiring.erase_candidate(
            actor=hiring_org.actor("rex"), candidate_id=candidate.id, reason="the candidate asked"
        )
    assert erased.name == f"Erased candidate #{candidate.id}" and erased.erased
    assert (erased.email, erased.phone, erased.source_detail, erased.resume_name) == ("", "", "", "")
    assert erased.state is CandidateState.APPLIED and erased.source.value == "referral"  # aggregates stay
    assert not list((media / "resumes").iterdir())
    with pytest.raises(NotFound):
        hiring.read_resume(actor=hiring_org.actor("rex"), candidate_id=candidate.id)
    history = audit_services.list_changes(
        actor=hiring_org.actor("rex"), subject_type="hiring_candidate", subject_id=candidate.id
    ).items
    assert history[0].verb == "erase"
    assert all(c.erased and not c.before and not c.after for c in history[1:])
    assert "Jo" not in repr(history)


def test_erasure_needs_a_reason_and_a_unit_recruiter_or_an_admin(hiring_org, make_candidate):
    candidate = make_candidate()
    with pytest.raises(RuleViolation) as exc:
        hiring.erase_candidate(actor=hiring_org.actor("rex"), candidate_id=candidate.id, reason=" ")
    assert exc.value.field == "reason"
    with pytest.raises(PermissionDenied):
        hiring.erase_candidate(actor=hiring_org.actor("ann"), candidate_id=candidate.id, reason="asked")
    with pytest.raises(NotFound):
        hiring.erase_candidate(actor=hiring_org.actor("bob"), candidate_id=candidate.id, reason="asked")
    assert hiring.erase_candidate(actor=hiring_org.actor("admin"), candidate_id=candidate.id, reason="asked").erased
    with pytest.raises(RuleViolation):
        hiring.update_candidate(
            actor=hiring_org.actor("rex"), candidate_id=candidate.id, changes=CandidateChanges(name="Jo"), version=9
        )


def test_job_description_fixture_is_long_enough_to_open():
    assert len(JD) >= 200


def test_erasing_through_the_audit_app_blanks_the_candidate_too(hiring_org, make_candidate):
    candidate = make_candidate()
    audit_services.erase_subject(
        actor=hiring_org.actor("admin"), subject_type="hiring_candidate", subject_id=candidate.id, reason="asked"
    )
    erased = hiring.get_candidate(actor=hiring_org.actor("rex"), candidate_id=candidate.id)
    assert erased.erased and erased.name == f"Erased candidate #{candidate.id}" and not erased.email


def test_listing_candidates_costs_the_same_for_one_or_many(
    hiring_org, make_opening, make_candidate, django_assert_max_num_queries
):
    opening = make_opening()
    make_candidate(opening=opening)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        hiring.list_candidates(actor=hiring_org.actor("rex"))
    for n in range(5):
        make_candidate(opening=opening, name=f"Candidate {n}", email=f"c{n}@example.com")
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert hiring.list_candidates(actor=hiring_org.actor("rex")).total == 6
