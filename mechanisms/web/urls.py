"""Every page of the product (one URL per thing a person wants to see). Forms post to URLs of their own and
redirect after a successful change."""

from django.urls import path

from . import away_views, mandate_views, notification_views, role_views, views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("signin", views.SignInView.as_view(), name="signin"),
    path("signout", views.signout, name="signout"),
    path("search", views.search, name="search"),
    # Away teams (before "teams/<slug>", so that "teams/form" is this page), and the team lifecycle
    path("away", away_views.request_list, name="away"),
    path("away/escalations", away_views.escalations, name="away-escalations"),
    path("away/tax", away_views.tax, name="away-tax"),
    path("away/credit", away_views.credit, name="away-credit"),
    path("away/requests/<int:request_id>", away_views.request_detail, name="away-request"),
    path("away/requests/<int:request_id>/<slug:action>", away_views.request_action, name="away-request-action"),
    path("teams/form", away_views.team_form, name="team-form"),
    path("teams/<slug:slug>/requests", away_views.team_requests, name="team-requests"),
    path("teams/<slug:slug>/dissolve", away_views.team_dissolve, name="team-dissolve"),
    path("services/<str:name>/request-change", away_views.request_change, name="service-request-change"),
    path("services/<str:name>/transfer", away_views.service_transfer, name="service-transfer"),
    # Teams. "teams/new" comes before "teams/<slug>": a team whose slug is "new" is reached from lists and search.
    path("teams", views.team_list, name="teams"),
    path("teams/new", views.team_new, name="team-new"),
    path("teams/<slug:slug>", views.team_detail, name="team"),
    path("teams/<slug:slug>/edit", views.team_edit, name="team-edit"),
    path("teams/<slug:slug>/scorecard", mandate_views.team_scorecard, name="team-scorecard"),
    path("teams/<slug:slug>/members", views.member_add, name="member-add"),
    path("teams/<slug:slug>/members/<int:membership_id>/remove", views.member_remove, name="member-remove"),
    # Org units, with their scorecards
    path("units", mandate_views.org_unit_list, name="units"),
    path("units/<slug:slug>", mandate_views.org_unit_detail, name="unit"),
    # The mandate: waivers and the Conway report
    path("waivers", mandate_views.waiver_list, name="waivers"),
    path("waivers/new", mandate_views.waiver_new, name="waiver-new"),
    path("waivers/<int:waiver_id>/revoke", mandate_views.waiver_revoke, name="waiver-revoke"),
    path("conway", mandate_views.conway, name="conway"),
    # Your inbox and notification preferences
    path("inbox", notification_views.inbox, name="inbox"),
    path("inbox/read", notification_views.inbox_read, name="inbox-read"),
    path("inbox/preferences", notification_views.inbox_preferences, name="inbox-preferences"),
    # Role grants (org's roles; admins grant and end them)
    path("roles", role_views.role_grants, name="roles"),
    path("roles/<int:grant_id>/end", role_views.role_grant_end, name="role-grant-end"),
    # People
    path("people", views.person_list, name="people"),
    path("people/<str:handle>", views.person_detail, name="person"),
    # Services, and the parts of a service
    path("services", views.service_list, name="services"),
    path("services/new", views.service_new, name="service-new"),
    path("services/<str:name>", views.service_detail, name="service"),
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
