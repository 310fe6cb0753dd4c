"""The experiments pages (docs/experiments.md), mounted by config into the one page namespace `web`."""

from __future__ import annotations

from django.urls import path

from . import views

urlpatterns: list = [
    # Literal segments first: they are matched before an experiment's key.
    path("experiments", views.experiment_list, name="experiments"),
    path("experiments/new", views.experiment_new, name="experiment-new"),
    path("experiments/glossary", views.glossary, name="experiments-glossary"),
    path("experiments/sample-size", views.sample_size, name="experiment-sample-size"),
    path("experiments/<slug:key>", views.experiment_detail, name="experiment"),
    path("experiments/<slug:key>/edit", views.experiment_edit, name="experiment-edit"),
    path("experiments/<slug:key>/revise", views.experiment_revise, name="experiment-revise"),
    path("experiments/<slug:key>/<slug:action>", views.experiment_action, name="experiment-action"),
]
