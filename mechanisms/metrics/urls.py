"""The app's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns: list = [
    # --- first part: the registry (/metrics, /metrics/<name>)
    # --- second part: data (/metrics/<name>/data, loads)
    # --- third part: decks (/wbr, /wbr/<slug>, snapshots)
    # --- fourth part: goals (/goals)
    path("goals", views.goal_list, name="goals"),
    path("goals/new", views.goal_new, name="goal-new"),
    path("goals/<int:goal_id>", views.goal_detail, name="goal"),
    path("goals/<int:goal_id>/<slug:action>", views.goal_action, name="goal-action"),
]
