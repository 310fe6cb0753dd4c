"""Template context shared by every page: the signed-in actor and the navigation."""

from __future__ import annotations

from mechanisms.kernel import mounts
from mechanisms.notifications import services as notifications_services


def navigation(request):
    """The actor, the header's areas (every app's declared entries the viewer may see), the unread counter."""
    actor = getattr(request, "actor", None)
    areas = mounts.navigation(actor) if actor is not None else []
    nav = [(e.label, e.url) for area in areas for e in area.entries]
    return {"actor": actor, "nav": nav, "nav_areas": areas, "inbox_unread": _unread_counter(request)}


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
