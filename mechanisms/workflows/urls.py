"""The team-lifecycle pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    path("teams/form", views.team_form, name="team-form"),
    path("teams/<slug:slug>/dissolve", views.team_dissolve, name="team-dissolve"),
    path("services/<str:name>/transfer", views.service_transfer, name="service-transfer"),
]
