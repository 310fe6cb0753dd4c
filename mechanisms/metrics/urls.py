"""The app's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path  # noqa: F401

from . import views  # noqa: F401

urlpatterns: list = [
    # --- first part: the registry (/metrics, /metrics/<name>)
    # --- second part: data (/metrics/<name>/data, loads)
    # --- third part: decks (/wbr, /wbr/<slug>, snapshots)
    # --- fourth part: goals (/goals)
]
