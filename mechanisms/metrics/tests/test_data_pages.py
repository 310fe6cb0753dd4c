"""The data pages (docs/metrics.md, Data): /metrics/loads lists loads and takes an upload (a bad file comes back
with its lines and fields, nothing loaded); the metric page's data partial shows N/A and a visible flag for an
incomplete week, never 0, and offers the upload only to those who may load."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from django.test import RequestFactory

from mechanisms.kernel.testing import page_text, signed_in
from mechanisms.metrics import services

from .data_helpers import metric, stored

pytestmark = pytest.mark.django_db


def test_the_loads_page_takes_an_upload_and_a_bad_file_names_its_lines(small_org):
    orders = metric(small_org, "orders")
    client = signed_in("bob")
    good = SimpleUploadedFile("o.csv", b"date,orders\n2026-01-01,4\n")
    shown = client.post("/metrics/loads", {"file": good})
    assert shown.status_code == 200
    assert "Loaded o.csv into orders: 1 added" in page_text(shown)
    bad = SimpleUploadedFile("bad.csv", b"date,orders\n2026-01-02,four\n")
    refused = client.post("/metrics/loads", {"file": bad})
    assert refused.status_code == 400
    assert "bad.csv: line 2: orders:" in page_text(refused)
    assert stored(orders) == {dt.date(2026, 1, 1): 4.0}
    assert signed_in("gus").get("/metrics/loads").status_code == 200
    from django.test import Client

    assert Client().get("/metrics/loads").status_code == 302  # to sign-in


def _partial(o, handle, metric_row):
    request = RequestFactory().get("/")
    request.actor = o.actor(handle)
    view = services.get_metric(actor=o.actor(handle), metric_id=metric_row.pk)
    from mechanisms.metrics.views import metric_data_context

    return render_to_string("metrics/_metric_data.html", metric_data_context(request, view), request=request)


def test_the_metric_data_partial_shows_na_for_an_incomplete_week_and_the_upload_to_those_allowed(small_org):
    orders = metric(small_org, "orders")
    saturday = dt.date(2026, 3, 14)
    days = [saturday - dt.timedelta(days=i) for i in range(14)]  # two weeks; one day missing in the last
    content = "date,orders\n" + "".join(f"{d},2\n" for d in days if d != saturday - dt.timedelta(days=2))
    services.load_values_csv(actor=small_org.actor("ann"), content=content.encode(), file_name="o.csv")
    with time_machine.travel(dt.datetime(2026, 3, 16, 12, tzinfo=dt.UTC), tick=False):
        figures = services.weekly_figures(actor=small_org.actor("ann"), metric_id=orders.pk)
        html = _partial(small_org, "ann", orders)
        outsider = _partial(small_org, "eve", orders)
    assert [(w.week_ending, f) for w, f in figures[-2:]] == [(dt.date(2026, 3, 7), 14.0), (saturday, None)]
    assert figures[0][1] is None  # nothing loaded that week: N/A, not 0
    assert "N/A" in html and "incomplete" in html and "03-12" in html
    assert 'name="file"' in html and 'name="file"' not in outsider
