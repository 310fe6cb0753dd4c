"""The app's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns: list = [
    # --- first part: the registry (/metrics, /metrics/<name>)
    # --- second part: data (/metrics/<name>/data, loads). Keep it before the registry's /metrics/<name> at merge.
    path("metrics/loads", views.metric_loads, name="metric-loads"),
    # --- third part: decks (/wbr, /wbr/<slug>, snapshots)
    # --- fourth part: goals (/goals)
]
