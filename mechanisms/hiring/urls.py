"""The hiring pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    path("hiring", views.opening_list, name="hiring"),
    # --- loops: the loop pages (the `hpages` helper's routes) below
]
