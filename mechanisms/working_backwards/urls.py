"""The app's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns: list = [
    # --- first part
    #
    #
    #
    # --- second part: narratives (reading)
    path("narratives", views.narrative_list, name="narratives"),
    path("narratives/new", views.narrative_new, name="narrative-new"),
    path("narratives/<int:narrative_id>", views.narrative_detail, name="narrative"),
    path("narratives/<int:narrative_id>/edit", views.narrative_edit, name="narrative-edit"),
    path("narratives/<int:narrative_id>/sessions", views.narrative_start_session, name="narrative-start-session"),
    # --- third part
    #
    #
    #
]
