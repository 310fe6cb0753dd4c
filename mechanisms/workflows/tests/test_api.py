"""Import and export through the API."""

from __future__ import annotations

import pytest

CATALOG = """apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: retail
spec:
  type: division
  children: [checkout]
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: checkout
  annotations:
    mechanisms.dev/leader: user:zoe
spec:
  type: team
  parent: retail
  children: []
---
apiVersion: backstage.io/v1alpha1
kind: User
metadata:
  name: zoe
spec:
  memberOf: [checkout]
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: cart
spec:
  type: service
  lifecycle: production
  owner: checkout
"""


@pytest.mark.django_db
def test_admin_imports_backstage_files_and_a_member_is_refused(api_client):
    payload = {"files": {"catalog-info.yaml": CATALOG}}
    refused = api_client("ann").post("/api/v1/imports/backstage", payload, content_type="application/json")
    assert refused.status_code == 403
    response = api_client("admin").post("/api/v1/imports/backstage", payload, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert response.json()["created"]["service"] == 1


@pytest.mark.django_db
def test_a_bad_upload_is_a_400_locating_every_problem_by_uploaded_name(api_client):
    broken = CATALOG.replace("name: cart", "name: Cart!")
    response = api_client("admin").post(
        "/api/v1/imports/backstage", {"files": {"svc/catalog-info.yaml": broken}}, content_type="application/json"
    )
    assert response.status_code == 400
    problems = response.json()["error"]["details"]["problems"]
    assert problems and problems[0]["source"].startswith("svc/catalog-info.yaml:")
    escape = api_client("admin").post(
        "/api/v1/imports/backstage", {"files": {"../x.yaml": CATALOG}}, content_type="application/json"
    )
    assert escape.status_code == 400 and escape.json()["error"]["details"]["field"] == "files"


@pytest.mark.django_db
def test_export_and_reimport_json_through_the_api(api_client):
    client = api_client("admin")
    document = client.get("/api/v1/exports/json").json()
    assert {t["slug"] for t in document["teams"]} == {"checkout", "payments", "identity"}
    response = client.post("/api/v1/imports/json", {"document": document}, content_type="application/json")
    assert response.status_code == 200
    assert sum(response.json()["created"].values()) == 0
    assert api_client(None).get("/api/v1/exports/json").status_code == 401
