"""The app's pages (mounted by config into the one page namespace `web`; see kernel.mounts)."""

from django.urls import path

from . import views

urlpatterns: list = [
    # --- first part: the log and its literal segments (matched before a decision's number)
    path("decisions", views.decision_log, name="decisions"),
    path("decisions/new", views.new_decision, name="decision-new"),
    path("decisions/track-record", views.track_record, name="decision-track-record"),
    # --- second part: one decision
    path("decisions/<int:number>", views.decision_detail, name="decision"),
    path("decisions/<int:number>.pdf", views.decision_pdf, name="decision-pdf"),
    path("decisions/<int:number>/stance", views.sign_stance, name="decision-stance"),
    path("decisions/<int:number>/outcome", views.record_outcome, name="decision-outcome"),
    # --- third part: the machine's moves
    path("decisions/<int:number>/<slug:action>", views.decision_action, name="decision-action"),
]
