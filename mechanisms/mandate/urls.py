"""The mandate's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    path("teams/<slug:slug>/scorecard", views.team_scorecard, name="team-scorecard"),
    path("units", views.org_unit_list, name="units"),
    path("units/<slug:slug>", views.org_unit_detail, name="unit"),
    path("waivers", views.waiver_list, name="waivers"),
    path("waivers/new", views.waiver_new, name="waiver-new"),
    path("waivers/<int:waiver_id>/revoke", views.waiver_revoke, name="waiver-revoke"),
    path("conway", views.conway, name="conway"),
    path("findings", views.findings, name="findings"),
    path("findings/evaluate", views.evaluate, name="evaluate"),
]
