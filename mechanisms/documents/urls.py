"""The documents pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path  # noqa: F401

from . import views  # noqa: F401

urlpatterns: list = []

# --- PDF export (helper `pdfseal`)
urlpatterns += [path("documents/<int:document_id>/pdf", views.export_pdf, name="document-pdf")]
