"""Template context shared by every page: the signed-in actor and the navigation."""

from __future__ import annotations

NAV = [("Home", "/"), ("Teams", "/teams"), ("Services", "/services"), ("People", "/people"), ("Conway", "/conway"),
       ("Search", "/search"), ("API", "/api/docs")]


def navigation(request):
    return {"actor": getattr(request, "actor", None), "nav": NAV}
