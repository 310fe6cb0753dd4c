"""The hiring API's doors: shapes, status codes and permissions for principles, openings, candidates, résumés,
erasure and health."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from mechanisms.kernel.testing import error_of

from .conftest import JD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_principles_are_listed_for_every_signed_in_person(as_, hiring_org):
    response = as_("bob").get("/api/v1/hiring/principles")
    assert response.status_code == 200 and len(response.json()) == 16
    refused = as_("bob").post("/api/v1/hiring/principles", {"slug": "x", "name": "X"}, content_type="application/json")
    assert refused.status_code == 403


def test_an_opening_is_created_as_a_draft_and_opened_through_its_transition(as_, hiring_org):
    body = {
        "title": "SDE II",
        "team_id": hiring_org.teams["checkout"].id,
        "hiring_manager_id": hiring_org.people["ann"].id,
        "level": "L5",
        "job_description": "short",
        "principles": ["ownership"],
    }
    created = as_("ann").post("/api/v1/hiring/openings", body, content_type="application/json")
    assert created.status_code == 201, created.content
    opening = created.json()
    assert opening["state"] == "draft"
    refused = as_("ann").post(
        f"/api/v1/hiring/openings/{opening['id']}/open",
        {"version": opening["version"]},
        content_type="application/json",
    )
    assert refused.status_code == 400 and error_of(refused)["details"]["field"] == "job_description"
    patched = as_("ann").patch(
        f"/api/v1/hiring/openings/{opening['id']}",
        {"version": opening["version"], "job_description": JD},
        content_type="application/json",
    )
    assert patched.status_code == 200
    opened = as_("ann").post(
        f"/api/v1/hiring/openings/{opening['id']}/open",
        {"version": patched.json()["version"]},
        content_type="application/json",
    )
    assert opened.status_code == 200 and opened.json()["state"] == "open"
    stale = as_("ann").post(
        f"/api/v1/hiring/openings/{opening['id']}/hold", {"version": 1}, content_type="application/json"
    )
    assert stale.status_code == 409
    assert as_("gus").get(f"/api/v1/hiring/openings/{opening['id']}").status_code == 200
    assert as_("gus").get("/api/v1/hiring/openings?state=open").json()["total"] == 1


def test_an_unknown_field_is_refused(as_, hiring_org):
    response = as_("ann").post(
        "/api/v1/hiring/openings", {"title": "x", "colour": "red"}, content_type="application/json"
    )
    assert response.status_code == 422


def test_candidates_are_404_for_outsiders_through_the_api(as_, hiring_org, make_candidate):
    candidate = make_candidate()
    assert as_("rex").get(f"/api/v1/hiring/candidates/{candidate.id}").json()["name"] == "Jo Quinn"
    for outsider in ("admin", "bob", "fay"):
        assert as_(outsider).get(f"/api/v1/hiring/candidates/{candidate.id}").status_code == 404
        assert as_(outsider).get("/api/v1/hiring/candidates").json()["total"] == 0


def test_a_candidate_is_added_and_corrected_by_the_recruiter(as_, hiring_org, make_opening):
    opening = make_opening()
    body = {"opening_id": opening.id, "name": "Sam Roe", "email": "sam@example.com", "source": "inbound"}
    created = as_("rex").post("/api/v1/hiring/candidates", body, content_type="application/json")
    assert created.status_code == 201
    bad = as_("rex").post("/api/v1/hiring/candidates", {**body, "source": "billboard"}, content_type="application/json")
    assert bad.status_code == 422
    patched = as_("rex").patch(
        f"/api/v1/hiring/candidates/{created.json()['id']}",
        {"version": 1, "phone": "+44 20 7946 0000"},
        content_type="application/json",
    )
    assert patched.status_code == 200 and patched.json()["phone"] == "+44 20 7946 0000"


def test_a_resume_is_uploaded_as_multipart_and_downloaded_as_an_attachment(as_, hiring_org, make_candidate):
    candidate = make_candidate()
    upload = as_("rex").post(
        f"/api/v1/hiring/candidates/{candidate.id}/resume",
        {"version": candidate.version, "resume": SimpleUploadedFile("cv.pdf", b"%PDF-1.4 resume")},
    )
    assert upload.status_code == 200, upload.content
    assert upload.json()["resume_type"] == "application/pdf"
    download = as_("ann").get(f"/api/v1/hiring/candidates/{candidate.id}/resume")
    assert download.status_code == 200 and download.content == b"%PDF-1.4 resume"
    assert download["Content-Disposition"] == 'attachment; filename="cv.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    for outsider in ("admin", "bob"):
        assert as_(outsider).get(f"/api/v1/hiring/candidates/{candidate.id}/resume").status_code == 404


def test_a_resume_of_another_type_is_refused_naming_the_resume(as_, hiring_org, make_candidate):
    candidate = make_candidate()
    upload = as_("rex").post(
        f"/api/v1/hiring/candidates/{candidate.id}/resume",
        {"version": candidate.version, "resume": SimpleUploadedFile("cv.pdf", b"\x89PNG\r\n\x1a\nxx")},
    )
    assert upload.status_code == 400 and error_of(upload)["details"]["field"] == "resume"


def test_erasure_through_the_api_needs_a_reason(as_, hiring_org, make_candidate):
    candidate = make_candidate()
    url = f"/api/v1/hiring/candidates/{candidate.id}/erase"
    assert as_("rex").post(url, {"reason": ""}, content_type="application/json").status_code == 400
    assert as_("bob").post(url, {"reason": "asked"}, content_type="application/json").status_code == 404
    erased = as_("rex").post(url, {"reason": "asked"}, content_type="application/json")
    assert erased.status_code == 200 and erased.json()["name"] == f"Erased candidate #{candidate.id}"


def test_health_is_for_admins_leadership_and_recruiters(as_, hiring_org):
    assert as_("admin").get("/api/v1/hiring/health").status_code == 200
    assert as_("rex").get("/api/v1/hiring/health").json()["loops_decided"] == 0
    assert as_("ann").get("/api/v1/hiring/health").status_code == 403
    assert as_("admin").get("/api/v1/hiring/health?since=2026-02-01&until=2026-01-01").status_code == 400
