"""The org app's pages (mounted by config into the one page namespace `web`; see kernel.mounts). The team and
person pages themselves are composite and belong to the shell."""

from django.urls import path

from . import views

urlpatterns = [
    path("teams", views.team_list, name="teams"),
    path("teams/new", views.team_new, name="team-new"),
    path("teams/<slug:slug>/edit", views.team_edit, name="team-edit"),
    path("people", views.person_list, name="people"),
]
