"""The catalog app's pages (mounted by config into the one page namespace `web`; see kernel.mounts). The service
page itself is composite and belongs to the shell; catalog adds panels to it (apps.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("services", views.service_list, name="services"),
    path("services/new", views.service_new, name="service-new"),
    path("services/<str:name>/edit", views.service_edit, name="service-edit"),
    path("services/<str:name>/interfaces", views.interface_add, name="interface-add"),
    path("services/<str:name>/datastores", views.datastore_add, name="datastore-add"),
    path("services/<str:name>/dependencies", views.dependency_add, name="dependency-add"),
    path(
        "services/<str:name>/dependencies/<int:dependency_id>/remove",
        views.dependency_remove,
        name="dependency-remove",
    ),
]
