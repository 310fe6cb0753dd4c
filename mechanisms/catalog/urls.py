"""The catalog app's pages (mounted by config into the one page namespace `web`; see kernel.mounts). The service
page itself is composite and belongs to the shell."""

from django.urls import path

from . import views

urlpatterns = [
    path("services", views.service_list, name="services"),
    path("services/new", views.service_new, name="service-new"),
    path("services/<str:name>/edit", views.service_edit, name="service-edit"),
]
