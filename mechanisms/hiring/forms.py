"""Forms of the hiring pages. They only parse what the browser sends; every rule is checked by the hiring services,
whose errors the views put next to the field they name (`kernel.pages.show_error`)."""

from __future__ import annotations

from django import forms  # noqa: F401  (the openings forms follow)

# --- loops: the loop pages' forms below
