"""The decisions API (/api/v1/decisions): shapes, status codes, refusals naming the field, 409 on a stale version,
the generated machine endpoints, stances, outcome, track record, MADR import/export and the PDF."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db

BODY = {
    "question": "Which database for orders?",
    "context": "Orders outgrow SQLite.",
    "options": [{"title": "PostgreSQL", "description": "* Good"}, {"title": "DynamoDB"}],
}


def _post(client, url, body):
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _patch(client, url, body):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


def _create(as_, small_org, **extra):
    body = {**BODY, "participant_ids": [small_org.people["bob"].id], **extra}
    response = _post(as_("ann"), "/api/v1/decisions", body)
    assert response.status_code == 201, response.content
    return response.json()


def test_create_read_and_list(as_, small_org):
    created = _create(as_, small_org)
    assert created["status"] == "proposed" and created["owner_id"] == small_org.people["ann"].id
    assert [o["title"] for o in created["options"]] == ["PostgreSQL", "DynamoDB"]
    view = as_("eve").get(f"/api/v1/decisions/{created['id']}").json()  # a decision log is open to everyone
    assert view["decision"]["number"] == created["number"] and view["actions"] == []
    assert as_("ann").get(f"/api/v1/decisions/{created['id']}").json()["actions"] == ["decide", "reject"]
    listed = as_("eve").get("/api/v1/decisions?status=proposed").json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == created["id"]


def test_anonymous_callers_are_refused(api_client, small_org):
    assert api_client(None).get("/api/v1/decisions").status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"question": ""}, 422, "question"),
        ({**BODY, "door": "revolving"}, 422, "door"),
        ({**BODY, "options": [{"title": "A"}, {"title": "a"}]}, 400, "options[2].title"),
        ({**BODY, "high_impact": True, "category": "process"}, 400, "category"),
        ({**BODY, "surprise": 1}, 422, "surprise"),
    ],
    ids=["empty-question", "bad-door", "option-twice", "high-impact-category", "unknown-field"],
)
def test_bad_input_is_refused_naming_the_field(as_, small_org, body, status, field):
    response = _post(as_("ann"), "/api/v1/decisions", body)
    assert response.status_code == status, response.content
    assert field in json.dumps(response.json()["error"])
    assert as_("ann").get("/api/v1/decisions").json()["total"] == 0


def test_a_stale_version_is_a_409_and_changes_nothing(as_, small_org):
    d = _create(as_, small_org)
    url = f"/api/v1/decisions/{d['id']}"
    assert _patch(as_("ann"), url, {"version": d["version"], "context": "Newer."}).status_code == 200
    stale = _patch(as_("ann"), url, {"version": d["version"], "context": "Lost update."})
    assert stale.status_code == 409 and stale.json()["error"]["details"]["field"] == "version"
    decide = _post(as_("ann"), f"{url}/decide", {"version": d["version"], "chosen_option": 1, "decision": "PG."})
    assert decide.status_code == 409
    assert as_("ann").get(url).json()["decision"]["context"] == "Newer."


def test_the_machine_endpoints_decide_and_refuse_the_wrong_person(as_, small_org):
    d = _create(as_, small_org)
    url = f"/api/v1/decisions/{d['id']}/decide"
    body = {"version": d["version"], "chosen_option": 1, "decision": "PostgreSQL: we run it."}
    assert _post(as_("bob"), url, body).status_code == 403
    out_of_range = _post(as_("ann"), url, {**body, "chosen_option": 5})
    assert out_of_range.status_code == 400 and out_of_range.json()["error"]["details"]["field"] == "chosen_option"
    decided = _post(as_("ann"), url, body)
    assert decided.status_code == 200 and decided.json()["status"] == "accepted"


def test_stances_are_signed_by_their_participant_only(as_, small_org):
    d = _create(as_, small_org)
    url = f"/api/v1/decisions/{d['id']}/stance"
    assert _post(as_("ann"), url, {"stance": "agree"}).status_code == 403  # the owner signs for no one
    assert _post(as_("admin"), url, {"stance": "agree"}).status_code == 403
    missing = _post(as_("bob"), url, {"stance": "disagree_and_commit"})
    assert missing.status_code == 400 and missing.json()["error"]["details"]["field"] == "new_information"
    signed = _post(as_("bob"), url, {"stance": "disagree_and_commit", "new_information": "Latency budget."})
    assert signed.status_code == 200
    assert signed.json()["participants"][0]["stance"] == "disagree_and_commit"


def test_outcome_and_track_record(as_, small_org):
    d = _create(as_, small_org)
    decided = _post(
        as_("ann"),
        f"/api/v1/decisions/{d['id']}/decide",
        {"version": d["version"], "chosen_option": 1, "decision": "PG"},
    ).json()
    url = f"/api/v1/decisions/{d['id']}/outcome"
    assert _post(as_("bob"), url, {"version": decided["version"], "outcome": "right"}).status_code == 403
    assert _post(as_("ann"), url, {"version": decided["version"], "outcome": "brilliant"}).status_code == 422
    assert _post(as_("ann"), url, {"version": decided["version"], "outcome": "right"}).status_code == 200
    lines = as_("eve").get("/api/v1/decisions/track-record").json()
    assert lines == [
        {
            "owner_id": small_org.people["ann"].id,
            "decided": 1,
            "reviewed": 1,
            "right": 1,
            "partly_right": 0,
            "wrong": 0,
            "right_share": 1.0,
        }
    ]


def test_participants_are_added_and_removed_by_the_owner(as_, small_org):
    d = _create(as_, small_org)
    url = f"/api/v1/decisions/{d['id']}/participants"
    cat = small_org.people["cat"].id
    assert _post(as_("bob"), url, {"version": d["version"], "person_id": cat}).status_code == 403
    added = _post(as_("ann"), url, {"version": d["version"], "person_id": cat})
    assert added.status_code == 200 and len(added.json()["participants"]) == 2
    removed = as_("ann").delete(f"{url}/{cat}?version={added.json()['version']}")
    assert removed.status_code == 200 and len(removed.json()["participants"]) == 1


def test_madr_import_of_a_bad_file_is_a_400_naming_file_line_and_field(as_, small_org):
    files = [{"name": "0001-x.md", "text": "no title here\n"}]
    response = _post(as_("ann"), "/api/v1/decisions/madr-import", {"files": files})
    assert response.status_code == 400
    assert response.json()["error"]["details"] == {"file": "0001-x.md", "line": 1, "field": "title"}
    assert as_("ann").get("/api/v1/decisions").json()["total"] == 0


def test_madr_import_and_export(as_, small_org):
    text = '# Use tabs\n\n## Considered Options\n\n* Tabs\n* Spaces\n\n## Decision Outcome\n\nChosen option: "Tabs".\n'
    response = _post(as_("ann"), "/api/v1/decisions/madr-import", {"files": [{"name": "0007-tabs.md", "text": text}]})
    assert response.status_code == 201, response.content
    (decision,) = response.json()["decisions"]
    exported = as_("eve").get(f"/api/v1/decisions/{decision['id']}/madr").json()
    assert exported["text"] == text and exported["filename"] == f"{decision['number']:04d}-use-tabs.md"


def test_the_pdf(as_, small_org):
    d = _create(as_, small_org)
    response = as_("eve").get(f"/api/v1/decisions/{d['id']}/pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert as_("eve").get("/api/v1/decisions/999999/pdf").status_code == 404
