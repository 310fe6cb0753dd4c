"""The hiring pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns = [
    path("hiring", views.opening_list, name="hiring"),
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
