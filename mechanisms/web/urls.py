"""The shell's pages: home, sign-in and out, search, and the composite pages (team, service, person), assembled
from every app's panels. Every app's own pages are in its `urls.py`; config mounts them all into the one page namespace
`web` (kernel.mounts.url_patterns). Forms post to URLs of their own and redirect after a successful change."""

from django.urls import path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("signin", views.SignInView.as_view(), name="signin"),
    path("signout", views.signout, name="signout"),
    path("search", views.search, name="search"),
    path("teams/<slug:slug>", views.team_detail, name="team"),
    path("people/<str:handle>", views.person_detail, name="person"),
    path("services/<str:name>", views.service_detail, name="service"),
]
