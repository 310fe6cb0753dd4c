"""Decks through the API: create, rows, build, exports, commentary, snapshots (a few calls per door)."""

from __future__ import annotations

import datetime as dt

from mechanisms.kernel.testing import error_of, field_of

from .deck_helpers import make_metric
from .test_decks_build import WEEK, deck  # noqa: F401 - the fixture

J = "application/json"


def test_a_deck_is_created_and_its_rows_set_through_the_api(small_org, as_):
    m = make_metric(small_org, "orders")
    made = as_("bob").post(
        "/api/v1/decks", {"slug": "api-deck", "title": "API", "team_id": small_org.teams["checkout"].id}, J
    )
    assert made.status_code == 201, made.content
    deck_id, version = made.json()["id"], made.json()["version"]
    rows = as_("bob").put(
        f"/api/v1/decks/{deck_id}/rows", {"version": version, "rows": [{"metric_id": m.pk, "label": "O"}]}, J
    )
    assert rows.status_code == 200 and rows.json()["rows"][0]["metric_name"] == "orders"
    stale = as_("bob").put(f"/api/v1/decks/{deck_id}/rows", {"version": version, "rows": []}, J)
    assert stale.status_code in (400, 409)
    refused = as_("eve").patch(f"/api/v1/decks/{deck_id}", {"version": version + 1, "title": "mine"}, J)
    assert refused.status_code == 403
    bad = as_("bob").post(
        "/api/v1/decks", {"slug": "x", "title": "X", "team_id": small_org.teams["checkout"].id, "week_ends_on": 9}, J
    )  # noqa: E501
    assert bad.status_code == 400 and field_of(bad) == "week_ends_on"
    assert as_("gus").get("/api/v1/decks").json()["total"] == 1
    from django.test import Client

    assert Client().get("/api/v1/decks").status_code == 401


def test_build_export_comment_and_snapshot_through_the_api(small_org, as_, deck):  # noqa: F811
    url = f"/api/v1/decks/{deck.id}"
    built = as_("gus").get(f"{url}/build?week_ending={WEEK}")
    assert built.status_code == 200
    body = built.json()
    assert set(body["metrics"]["orders"]["box"]) >= {"last_week", "wow", "yoy", "mtd", "qtd_yoy", "ytd_yoy"}
    assert body["metrics"]["visits"]["box"]["last_week"] is None
    wrong_day = as_("gus").get(f"{url}/build?week_ending={WEEK - dt.timedelta(days=1)}")
    assert wrong_day.status_code == 400 and field_of(wrong_day) == "week_ending"
    pdf = as_("gus").get(f"{url}/export.pdf?week_ending={WEEK}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    html = as_("gus").get(f"{url}/export.html?week_ending={WEEK}")
    assert html.status_code == 200 and b"<svg" in html.content
    assert as_("gus").get(f"{url}/export.xls?week_ending={WEEK}").status_code == 400

    note = {"metric_id": deck.rows[0].metric_id, "week_ending": str(WEEK), "body": "Easter"}
    assert as_("eve").post(f"{url}/commentary", note, J).status_code == 403
    first = as_("cat").post(f"{url}/commentary", note, J)
    assert first.status_code == 200 and first.json()["html"].strip() == "<p>Easter</p>"
    again = as_("bob").post(f"{url}/commentary", note, J)
    assert again.status_code == 409, error_of(again)
    listed = as_("gus").get(f"{url}/commentary?week_ending={WEEK}").json()
    assert [n["body"] for n in listed["items"]] == ["Easter"]

    snap = as_("bob").post(f"{url}/snapshots", {"week_ending": str(WEEK)}, J)
    assert snap.status_code == 201 and snap.json()["payload"]["commentary"][0]["body"] == "Easter"
    assert as_("gus").get(f"{url}/snapshots").json()["total"] == 1
    assert as_("gus").get(f"{url}/snapshots/{WEEK}").status_code == 200
    missing = as_("gus").get(f"{url}/snapshots/compare?week_a={WEEK - dt.timedelta(days=7)}&week_b={WEEK}")
    assert missing.status_code == 404
