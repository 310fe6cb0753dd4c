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
    path("hiring/interviews", views.my_interviews, name="hiring-interviews"),
    path("hiring/interviews/<int:interview_id>/feedback", views.feedback, name="hiring-feedback"),
    path("hiring/candidates/<int:candidate_id>/loop", views.create_loop, name="hiring-loop-new"),
    path("hiring/loops/<int:loop_id>", views.loop_detail, name="hiring-loop"),
    path("hiring/loops/<int:loop_id>/debrief", views.debrief, name="hiring-debrief"),
    path("hiring/loops/<int:loop_id>/interviews", views.add_interview, name="hiring-interview-add"),
    path(
        "hiring/loops/<int:loop_id>/interviews/<int:interview_id>/edit",
        views.edit_interview,
        name="hiring-interview-edit",
    ),
    path(
        "hiring/loops/<int:loop_id>/interviews/<int:interview_id>/cancel",
        views.cancel_interview,
        name="hiring-interview-cancel",
    ),
    path("hiring/loops/<int:loop_id>/bar-raiser", views.change_bar_raiser, name="hiring-bar-raiser"),
    path("hiring/loops/<int:loop_id>/votes", views.change_vote, name="hiring-vote"),
    path("hiring/loops/<int:loop_id>/recommendation", views.recommend, name="hiring-recommend"),
    path("hiring/loops/<int:loop_id>/<slug:action>", views.loop_action, name="hiring-loop-action"),
]
