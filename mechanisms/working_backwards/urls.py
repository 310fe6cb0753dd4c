"""The app's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns: list = [
    # --- first part
    path("prfaqs", views.prfaq_list, name="prfaqs"),
    path("prfaqs/new", views.prfaq_new, name="prfaq-new"),
    path("prfaqs/<int:prfaq_id>", views.prfaq_detail, name="prfaq"),
    path("prfaqs/<int:prfaq_id>/edit", views.prfaq_edit, name="prfaq-edit"),
    path("prfaqs/<int:prfaq_id>/preview", views.prfaq_preview, name="prfaq-preview"),
    path("prfaqs/<int:prfaq_id>/circles", views.prfaq_circle, name="prfaq-circle"),
    path("prfaqs/<int:prfaq_id>/<slug:action>", views.prfaq_action, name="prfaq-action"),
    # --- second part: narratives (reading)
    path("narratives", views.narrative_list, name="narratives"),
    path("narratives/new", views.narrative_new, name="narrative-new"),
    path("narratives/<int:narrative_id>", views.narrative_detail, name="narrative"),
    path("narratives/<int:narrative_id>/edit", views.narrative_edit, name="narrative-edit"),
    path("narratives/<int:narrative_id>/sessions", views.narrative_start_session, name="narrative-start-session"),
    # --- third part
    path("prfaqs/board", views.prfaq_board, name="prfaq-board"),
    path("prfaqs/funnel", views.prfaq_funnel, name="prfaq-funnel"),
    #
]
