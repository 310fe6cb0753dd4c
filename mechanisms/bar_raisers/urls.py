"""The bar-raiser pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    path("bar-raisers", views.pool_list, name="bar-raisers"),
    path("bar-raisers/<str:handle>", views.member_detail, name="bar-raiser"),
]
