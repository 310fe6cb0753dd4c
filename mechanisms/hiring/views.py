"""The hiring pages (MECHANISMS.md §5): openings, candidates, principles, mechanism health; then (below the
`# --- loops` banner) the loop pages.

Thin: parse, call one service, render. Who may see and do what is decided by the hiring services (hiring/policy.py):
a candidate the viewer may not see is the 404 page, whatever the door.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from mechanisms.kernel.pages import page


@page
def opening_list(request: HttpRequest) -> HttpResponse:
    return render(request, "hiring/opening_list.html", {"openings": []})


# --- loops: the loop pages below
