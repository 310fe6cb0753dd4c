"""Puts the Actor on every request (`request.actor`), computed lazily once from the signed-in user."""

from __future__ import annotations

from django.utils.functional import SimpleLazyObject

from mechanisms.org import services as org_services


class ActorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.actor = SimpleLazyObject(lambda: org_services.actor_for_user(getattr(request, "user", None)))
        return self.get_response(request)
