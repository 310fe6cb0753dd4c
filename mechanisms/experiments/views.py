"""The experiments pages: thin; each calls the services (docs/experiments.md)."""

from __future__ import annotations


def team_panel(request, team):
    """The team page's panel: the team's experiments (pages part)."""
    return None


def service_panel(request, service):
    """The service page's panel: the experiments on this service (pages part)."""
    return None


def search_experiments(actor, text, limit, offset):
    """The search page's experiments (pages part)."""
    return None
