"""The metrics app's pages (MECHANISMS.md §8): the registry, a metric's page (series, completeness, lineage,
plans), the WBR decks (charts, box, commentary, exceptions first, snapshots, PDF/HTML/JSON), goals per team and
org unit. Thin: parse, call one service, render (kernel.pages). Templates are in `metrics/templates/metrics/`.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mechanisms.kernel.pages import FORM_ERRORS, PAGE_SIZE, page, query_int

# --- first part: the registry --------------------------------------------------------------------------------

# --- second part: data ---------------------------------------------------------------------------------------


def metric_data_context(request, metric_view) -> dict:
    """The context of `metrics/_metric_data.html` on a metric's page: the last 10 ended weeks' figures (N/A and
    a visible flag for an incomplete week, never 0), the completeness table, the SQL source with its last run, and
    whether the viewer may upload values. `metric_view` is the registry's MetricView (its `id`, `name`)."""
    from . import services as data_services

    actor = request.actor
    weeks = data_services.weekly_figures(actor=actor, metric_id=metric_view.id)
    return {
        "data_metric": metric_view,
        "data_weeks": [{"week": week, "figure": figure} for week, figure in weeks],
        "data_incomplete": sum(1 for week, _ in weeks if not week.complete),
        "data_sql": data_services.find_sql_source(actor=actor, metric_id=metric_view.id),
        "data_loads": data_services.list_loads(actor=actor, metric_id=metric_view.id, limit=5).items,
        "data_may_load": data_services.may_change_data(actor=actor, metric_id=metric_view.id),
    }


@page
def metric_loads(request: HttpRequest) -> HttpResponse:
    """Recent loads (CSV uploads, API pushes, SQL pulls), newest first; POST uploads a CSV (all or nothing: a bad
    file comes back with every problem's line and field, and nothing is loaded)."""
    from . import services as data_services

    report, problems, error, status = None, [], "", 200
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error, status = "Choose a CSV file to upload.", 400
        else:
            try:
                report = data_services.load_values_csv(
                    actor=request.actor, content=upload.read(), file_name=upload.name or "upload.csv"
                )
            except FORM_ERRORS as exc:
                status = 400
                error = exc.message
                details = exc.details if isinstance(exc.details, dict) else {}
                problems = details.get("problems") or []
    found = data_services.list_loads(actor=request.actor, limit=PAGE_SIZE, offset=query_int(request, "offset"))
    context = {"page": found, "loads": found.items, "report": report, "problems": problems, "error": error}
    return render(request, "metrics/loads.html", context, status=status)


# --- third part: decks and snapshots -------------------------------------------------------------------------

# --- fourth part: goals --------------------------------------------------------------------------------------
