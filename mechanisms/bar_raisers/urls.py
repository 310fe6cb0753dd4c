"""The bar-raiser pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    # --- reviews (literal segments: matched before a member's handle)
    path("bar-raisers/queue", views.queue, name="bar-raiser-queue"),
    path("bar-raisers/overrides", views.overrides, name="bar-raiser-overrides"),
    path("bar-raisers/reviews/<int:review_id>", views.review_detail, name="bar-raiser-review"),
    path("bar-raisers/reviews/<int:review_id>/<slug:action>", views.review_action, name="bar-raiser-review-action"),
    # --- pool
    path("bar-raisers", views.pool_list, name="bar-raisers"),
    path("bar-raisers/<str:handle>", views.member_detail, name="bar-raiser"),
]
