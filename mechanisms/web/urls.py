"""The shell's pages: home, sign-in and out, search, and the composite pages (team, service, person) with the forms
posted on them. Every app's own pages are in its `urls.py`; config mounts them all into the one page namespace
`web` (kernel.mounts.url_patterns). Forms post to URLs of their own and redirect after a successful change."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signin", views.SignInView.as_view(), name="signin"),
    path("signout", views.signout, name="signout"),
    path("search", views.search, name="search"),
    path("teams/<slug:slug>", views.team_detail, name="team"),
    path("teams/<slug:slug>/members", views.member_add, name="member-add"),
    path("teams/<slug:slug>/members/<int:membership_id>/remove", views.member_remove, name="member-remove"),
    path("people/<str:handle>", views.person_detail, name="person"),
    path("services/<str:name>", views.service_detail, name="service"),
    path("services/<str:name>/interfaces", views.interface_add, name="interface-add"),
    path("services/<str:name>/datastores", views.datastore_add, name="datastore-add"),
    path("services/<str:name>/dependencies", views.dependency_add, name="dependency-add"),
    path(
        "services/<str:name>/dependencies/<int:dependency_id>/remove",
        views.dependency_remove,
        name="dependency-remove",
    ),
]
