"""The away-team pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    path("away", views.request_list, name="away"),
    path("away/escalations", views.escalations, name="away-escalations"),
    path("away/tax", views.tax, name="away-tax"),
    path("away/credit", views.credit, name="away-credit"),
    path("away/requests/<int:request_id>", views.request_detail, name="away-request"),
    path("away/requests/<int:request_id>/<slug:action>", views.request_action, name="away-request-action"),
    path("teams/<slug:slug>/requests", views.team_requests, name="team-requests"),
    path("services/<str:name>/request-change", views.request_change, name="service-request-change"),
]
