"""The app's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path, re_path

from . import views

urlpatterns: list = [
    # --- first part: the registry (/metrics, /metrics/<name>)
    path("metrics", views.registry, name="metrics"),
    path("metrics/new", views.new_metric, name="metric-new"),
    path("metrics/loads", views.metric_loads, name="metric-loads"),
    # A metric's name may hold "/" (Defects/Million): the page takes the whole rest of the path, except a last
    # segment naming one of the other parts' sub-pages of a metric (data, loads, sql), which their routes take.
    re_path(r"^metrics/(?P<name>(?!.*/(?:data|loads|sql|completeness)$)[^\x00]+)$", views.metric_page, name="metric"),
    # --- second part: data (/metrics/<name>/data, loads)
    # --- third part: decks (/wbr, /wbr/<slug>, snapshots)
    # --- fourth part: goals (/goals)
]
