"""The hiring pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    path("hiring", views.opening_list, name="hiring"),
    path("hiring/principles", views.principles, name="hiring-principles"),
    path("hiring/health", views.health, name="hiring-health"),
    path("hiring/openings/new", views.opening_new, name="hiring-opening-new"),
    path("hiring/openings/<int:opening_id>", views.opening_detail, name="hiring-opening"),
    path("hiring/openings/<int:opening_id>/edit", views.opening_edit, name="hiring-opening-edit"),
    path("hiring/openings/<int:opening_id>/candidates", views.candidate_add, name="hiring-candidate-add"),
    path("hiring/openings/<int:opening_id>/<slug:action>", views.opening_action, name="hiring-opening-action"),
    path("hiring/candidates/<int:candidate_id>", views.candidate_detail, name="hiring-candidate"),
    path("hiring/candidates/<int:candidate_id>/resume", views.resume_download, name="hiring-resume"),
    path("hiring/candidates/<int:candidate_id>/resume/upload", views.resume_upload, name="hiring-resume-upload"),
    path("hiring/candidates/<int:candidate_id>/withdraw", views.candidate_withdraw, name="hiring-candidate-withdraw"),
    path("hiring/candidates/<int:candidate_id>/accept-offer", views.candidate_accept, name="hiring-candidate-accept"),
    path("hiring/candidates/<int:candidate_id>/erase", views.candidate_erase, name="hiring-candidate-erase"),
    # --- loops: the loop pages (the `hpages` helper's routes) below
]
