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
    # --- second part
    #
    #
    #
    # --- third part
    path("prfaqs/board", views.prfaq_board, name="prfaq-board"),
    path("prfaqs/funnel", views.prfaq_funnel, name="prfaq-funnel"),
    #
]
