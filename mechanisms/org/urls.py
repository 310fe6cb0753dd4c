"""The org app's pages (mounted by config into the one page namespace `web`; see kernel.mounts). The team and
person pages themselves are composite and belong to the shell; org adds panels to them (apps.py)."""

from django.urls import path

from . import views

urlpatterns = [
    path("teams", views.team_list, name="teams"),
    path("teams/new", views.team_new, name="team-new"),
    path("teams/<slug:slug>/edit", views.team_edit, name="team-edit"),
    path("teams/<slug:slug>/members", views.member_add, name="member-add"),
    path("teams/<slug:slug>/members/<int:membership_id>/remove", views.member_remove, name="member-remove"),
    path("people", views.person_list, name="people"),
]
