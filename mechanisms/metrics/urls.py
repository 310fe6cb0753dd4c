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
    path("wbr", views.deck_list, name="decks"),
    path("wbr/new", views.deck_new, name="deck-new"),
    path("wbr/<slug:slug>", views.deck_page, name="deck"),
    path("wbr/<slug:slug>/note", views.deck_note, name="deck-note"),
    path("wbr/<slug:slug>/edit", views.deck_edit, name="deck-edit"),
    path("wbr/<slug:slug>/export.<str:fmt>", views.deck_export, name="deck-export"),
    path("wbr/<slug:slug>/snapshots", views.snapshot_list, name="deck-snapshots"),
    path("wbr/<slug:slug>/snapshots/<str:week>", views.snapshot_page, name="deck-snapshot"),
    path("wbr/<slug:slug>/compare", views.snapshot_compare, name="deck-compare"),
    # --- fourth part: goals (/goals)
    path("goals", views.goal_list, name="goals"),
    path("goals/new", views.goal_new, name="goal-new"),
    path("goals/<int:goal_id>", views.goal_detail, name="goal"),
    path("goals/<int:goal_id>/<slug:action>", views.goal_action, name="goal-action"),
]
