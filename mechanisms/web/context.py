"""Template context shared by every page: the signed-in actor and the navigation."""

from __future__ import annotations

from mechanisms.notifications import services as notifications_services

NAV = [("Home", "/"), ("Teams", "/teams"), ("Services", "/services"), ("People", "/people"), ("Conway", "/conway"),
       ("Away teams", "/away"), ("Waivers", "/waivers"), ("Search", "/search"), ("Inbox", "/inbox"),
       ("API", "/api/docs")]


def navigation(request):
    return {"actor": getattr(request, "actor", None), "nav": NAV, "inbox_unread": _unread_counter(request)}


def _unread_counter(request):
    """The unread badge of the nav: a callable the template calls only where it draws the badge, so a page costs
    one COUNT for a signed-in person and nothing otherwise (computed once per page, however often it is shown)."""
    counted: list[int] = []

    def count() -> int:
        if not counted:
            user = getattr(request, "user", None)
            actor = getattr(request, "actor", None)
            signed_in = user is not None and user.is_authenticated and actor is not None
            counted.append(notifications_services.unread_count(actor=actor) if signed_in else 0)
        return counted[0]

    return count
