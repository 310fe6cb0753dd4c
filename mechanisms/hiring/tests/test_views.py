"""The hiring pages: openings (list, new, detail with the job description and its moves, edit), candidates for
insiders only (the résumé download through the policy), principles, health, and the search page's candidates."""

from __future__ import annotations

import re

import pytest

from mechanisms.hiring import services as hiring
from mechanisms.kernel.testing import page_text, signed_in

from .conftest import JD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def csrf(client, url: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', client.get(url).content.decode()).group(1)


def test_the_openings_page_lists_openings_for_everyone(hiring_org, make_opening):
    make_opening()
    text = page_text(signed_in("gus").get("/hiring"))
    assert "Senior SDE (checkout)" in text and "New opening" not in text
    assert "New opening" in page_text(signed_in("ann").get("/hiring"))
    assert signed_in("gus").get("/hiring/openings/new").status_code == 403


def test_the_opening_page_renders_the_job_description_as_markdown(hiring_org, make_opening):
    opening = make_opening(job_description=JD + "\n\n<script>alert(1)</script> **bold**")
    response = signed_in("gus").get(f"/hiring/openings/{opening.id}")
    body = response.content.decode()
    assert response.status_code == 200
    assert "<strong>bold</strong>" in body and "<script>alert(1)" not in body
    assert "Customer Obsession" in body
    assert 'id="candidates"' not in body  # not an insider: no candidates section at all


def test_a_new_opening_is_written_in_the_page_and_opened_with_its_move(hiring_org):
    client = signed_in("ann")
    token = csrf(client, "/hiring/openings/new")
    response = client.post(
        "/hiring/openings/new",
        {
            "csrfmiddlewaretoken": token,
            "title": "SDE II (checkout)",
            "team": hiring_org.teams["checkout"].id,
            "hiring_manager": "bob",
            "level": "L5",
            "job_description": "too short",
            "principles": ["ownership"],
        },
    )
    assert response.status_code == 400
    assert "cannot be the hiring manager" in page_text(response)
    response = client.post(
        "/hiring/openings/new",
        {
            "csrfmiddlewaretoken": token,
            "title": "SDE II (checkout)",
            "team": hiring_org.teams["checkout"].id,
            "hiring_manager": "ann",
            "level": "L5",
            "job_description": "too short",
            "principles": ["ownership"],
        },
    )
    assert response.status_code == 302
    url = response["Location"]
    opening_id = int(url.rstrip("/").rsplit("/", 1)[1])
    refused = client.post(f"{url}/open", {"csrfmiddlewaretoken": token, "open-version": 1})
    assert refused.status_code == 400 and "Write the job description first" in page_text(refused)
    assert hiring.get_opening(actor=hiring_org.actor("ann"), opening_id=opening_id).state.value == "draft"


def test_the_candidate_page_is_404_for_outsiders(hiring_org, make_candidate):
    candidate = make_candidate()
    assert "Jo Quinn" in page_text(signed_in("ann").get(f"/hiring/candidates/{candidate.id}"))
    for outsider in ("admin", "bob", "fay"):
        assert signed_in(outsider).get(f"/hiring/candidates/{candidate.id}").status_code == 404
        assert signed_in(outsider).get(f"/hiring/candidates/{candidate.id}/resume").status_code == 404


def test_the_resume_download_is_an_attachment_that_is_never_sniffed(hiring_org, make_candidate):
    candidate = make_candidate()
    hiring.attach_resume(
        actor=hiring_org.actor("rex"),
        candidate_id=candidate.id,
        filename="cv.md",
        content=b"# Jo",
        version=candidate.version,
    )
    response = signed_in("ann").get(f"/hiring/candidates/{candidate.id}/resume")
    assert response.status_code == 200 and response.content == b"# Jo"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"


def test_a_resume_is_uploaded_from_the_candidate_page(hiring_org, make_candidate):
    from django.core.files.uploadedfile import SimpleUploadedFile

    candidate = make_candidate()
    client = signed_in("rex")
    url = f"/hiring/candidates/{candidate.id}"
    token = csrf(client, url)
    bad = client.post(
        f"{url}/resume/upload",
        {"csrfmiddlewaretoken": token, "version": candidate.version, "resume": SimpleUploadedFile("a.exe", b"MZ\x90")},
    )
    assert bad.status_code == 400 and "PDF" in page_text(bad)
    good = client.post(
        f"{url}/resume/upload",
        {"csrfmiddlewaretoken": token, "version": candidate.version, "resume": SimpleUploadedFile("a.txt", b"Jo")},
    )
    assert good.status_code == 302
    assert "a.txt" in page_text(client.get(url))


def test_the_candidate_is_erased_from_their_page(hiring_org, make_candidate):
    candidate = make_candidate()
    client = signed_in("rex")
    url = f"/hiring/candidates/{candidate.id}"
    token = csrf(client, url)
    assert client.post(f"{url}/erase", {"csrfmiddlewaretoken": token, "reason": ""}).status_code == 400
    assert client.post(f"{url}/erase", {"csrfmiddlewaretoken": token, "reason": "asked"}).status_code == 302
    text = page_text(client.get(url))
    assert f"Erased candidate #{candidate.id}" in text and "jo.quinn@example.com" not in text


def test_search_shows_candidates_only_to_insiders(hiring_org, make_candidate):
    make_candidate(name="Quentin Blake")
    assert "Quentin Blake" in page_text(signed_in("rex").get("/search?q=quentin"))
    for outsider in ("admin", "bob", "fay"):
        text = page_text(signed_in(outsider).get("/search?q=quentin"))
        assert "Quentin" not in text.replace("quentin", "").replace("“quentin”", "")
        assert "Candidates" not in text
    assert "Senior SDE (checkout)" in page_text(signed_in("bob").get("/search?q=senior"))


def test_the_principles_page_lists_the_sixteen(hiring_org):
    text = page_text(signed_in("bob").get("/hiring/principles"))
    assert "Customer Obsession" in text and "Add a principle" not in text
    assert "Add a principle" in page_text(signed_in("rae").get("/hiring/principles"))


def test_the_health_page_is_for_admins_leadership_and_recruiters(hiring_org):
    assert signed_in("rex").get("/hiring/health").status_code == 200
    assert signed_in("bob").get("/hiring/health").status_code == 403
    assert "Hiring health" in page_text(signed_in("rex").get("/hiring"))
    assert "Hiring health" not in page_text(signed_in("bob").get("/hiring"))
