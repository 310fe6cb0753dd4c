"""Deck pages: the list, the deck (charts, box, exceptions first, commentary form), rows, exports, snapshots."""

from __future__ import annotations

import datetime as dt

from mechanisms.kernel.testing import page_text, signed_in
from mechanisms.metrics import services

from .test_decks_build import WEEK, deck  # noqa: F401 - the fixture


def test_the_deck_page_draws_charts_boxes_and_takes_a_note(small_org, deck):  # noqa: F811
    gus = signed_in("gus")
    assert "Checkout WBR" in page_text(gus.get("/wbr"))
    shown = gus.get(f"/wbr/checkout?week={WEEK}")
    assert shown.status_code == 200
    html = shown.content.decode()
    assert html.count("<svg") >= 3 and "Exceptions first" in html and "N/A" in html
    assert f"Week {shown.context['view'].result.week_number}" in page_text(shown)
    assert "Write commentary" not in html  # gus is not on the checkout team
    assert 'id="few-rows"' in html  # three charts: fewer than six
    assert gus.get(f"/wbr/checkout?week={WEEK - dt.timedelta(days=1)}").status_code == 400

    cat = signed_in("cat")
    mid = deck.rows[1].metric_id
    form = {"metric_id": mid, "week_ending": WEEK.isoformat(), "version": "", "body": "We lost *Wednesday*'s file."}
    posted = cat.post("/wbr/checkout/note", form)
    assert posted.status_code == 302
    again = gus.get(f"/wbr/checkout?week={WEEK}").content.decode()
    assert "<em>Wednesday</em>" in again
    stale = cat.post("/wbr/checkout/note", form)  # no version: someone (cat herself) wrote first
    assert stale.status_code == 409 and "Someone else changed" in stale.content.decode()
    assert signed_in("eve").post("/wbr/checkout/note", {**form, "metric_id": deck.rows[0].metric_id}).status_code == 403
    assert signed_in("eve").get(f"/wbr/checkout?week={WEEK}&exceptions=1").status_code == 200


def test_exports_snapshots_and_compare_pages(small_org, deck):  # noqa: F811
    bob = signed_in("bob")
    pdf = bob.get(f"/wbr/checkout/export.pdf?week={WEEK}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    page = bob.get(f"/wbr/checkout/export.html?week={WEEK}")
    assert page.status_code == 200 and "default-src 'none'" in page["Content-Security-Policy"]
    earlier = WEEK - dt.timedelta(days=7)
    assert bob.post("/wbr/checkout/snapshots", {"week_ending": earlier.isoformat()}).status_code == 302
    assert bob.post("/wbr/checkout/snapshots", {"week_ending": WEEK.isoformat()}).status_code == 302
    listing = bob.get("/wbr/checkout/snapshots")
    assert listing.status_code == 200 and "Take the snapshot" in listing.content.decode()
    frozen = signed_in("gus").get(f"/wbr/checkout/snapshots/{WEEK}")
    assert frozen.status_code == 200 and "<svg" in frozen.content.decode()
    cmp = signed_in("gus").get(f"/wbr/checkout/compare?a={earlier}&b={WEEK}")
    assert cmp.status_code == 200 and "last_week" in cmp.content.decode()
    assert signed_in("cat").post("/wbr/checkout/snapshots", {"week_ending": WEEK.isoformat()}).status_code == 403


def test_a_deck_is_made_and_its_rows_named_on_pages(small_org):
    from .deck_helpers import make_metric

    make_metric(small_org, "orders")
    make_metric(small_org, "visits")
    bob = signed_in("bob")
    made = bob.post(
        "/wbr/new", {"slug": "mine", "title": "Mine", "team": "checkout", "week_ends_on": 6, "fiscal_year_end_month": 3}
    )
    assert made.status_code == 302 and made["Location"] == "/wbr/mine/edit"
    made_deck = services.find_deck(actor=small_org.actor("bob"), slug="mine")
    bad = bob.post("/wbr/mine/edit", {"version": made_deck.version, "rows": "orders\nnope | x"})
    assert bad.status_code == 400 and "line 2" in bad.content.decode()
    ok = bob.post("/wbr/mine/edit", {"version": made_deck.version, "rows": "visits | Site visits\norders"})
    assert ok.status_code == 302
    rows = services.get_deck(actor=small_org.actor("bob"), deck_id=made_deck.id).rows
    assert [(r.metric_name, r.label) for r in rows] == [("visits", "Site visits"), ("orders", "")]
    assert (
        signed_in("eve")
        .post(
            "/wbr/new", {"slug": "x", "title": "X", "team": "checkout", "week_ends_on": 5, "fiscal_year_end_month": 12}
        )
        .status_code
        == 403
    )  # noqa: E501
