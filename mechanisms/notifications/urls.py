"""The inbox pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    path("inbox", views.inbox, name="inbox"),
    path("inbox/read", views.inbox_read, name="inbox-read"),
    path("inbox/preferences", views.inbox_preferences, name="inbox-preferences"),
]
