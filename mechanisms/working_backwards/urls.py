"""The app's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path  # noqa: F401

from . import views  # noqa: F401

urlpatterns: list = [
    # --- first part
    #
    #
    #
    # --- second part
    #
    #
    #
    # --- third part
    path("prfaqs/board", views.prfaq_board, name="prfaq-board"),
    path("prfaqs/funnel", views.prfaq_funnel, name="prfaq-funnel"),
    #
]
