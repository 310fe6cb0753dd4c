"""Apps mount themselves: each app's `AppConfig` declares, in a `mounts` attribute, what it adds to the product.

- `api`: its ninja router (`"module:attribute"`), mounted under `/api/v1/`;
- `urls`: its URL module (with `urlpatterns`), its pages joining the one page namespace `web`;
- `cli`: its Typer sub-apps and commands, each under a name and a parent group (`None`: the root `mech`);
- `nav`: its navigation entries, each in an area (`AREAS`), with an optional visibility predicate over the actor;
- `panels`: what it adds to the composite pages (`PANEL_PAGES`): a template and a context function
  `(request, subject) -> dict | None` (None: nothing to show this viewer);
- `search`: the kinds of record it lets the search page find (`SearchKind`): a provider
  `(actor, text, limit, offset) -> SearchHits | None` that reads through the app's services, so each viewer finds
  only what they may see (None: no section for this viewer).

Everything is named by dotted path and imported only when mounted, so `apps.py` stays cheap to import and the CLI
can read the declarations without setting Django up (`declared_from_settings`). config mounts the API, the URLs
and the CLI; the shell (`mechanisms.web`) draws the navigation and the panels. This module imports no app.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

# The navigation's areas, in the order the header shows them. An area with no entry for the viewer is not shown.
AREAS: dict[str, str] = {
    "organization": "Organization",
    "catalog": "Catalog and mandate",
    "collaboration": "Collaboration",
    "hiring": "Hiring",
    "documents": "Documents",
    "metrics": "Metrics",
    "operations": "Operations",
    # Not an area of the product: what is the viewer's own (the inbox), drawn beside their name.
    "personal": "You",
}
# The composite pages, assembled from the panels of every app; the subject is what the page is about.
PANEL_PAGES = ("home", "team", "service", "person")
# Where a panel goes on its page: the heading, the links under the heading, the buttons beside it, the main
# column, the side column.
PANEL_SLOTS = ("head", "links", "actions", "main", "side")


@dataclass(frozen=True, slots=True)
class Command:
    """A CLI sub-app (a Typer app) or a single command (a function), mounted as `name` under `parent`."""

    name: str
    target: str  # "module:attribute"
    parent: str | None = None


@dataclass(frozen=True, slots=True)
class NavEntry:
    """A link in the header, in one of `AREAS`; `visible(actor)` hides it from those it is not for."""

    area: str
    label: str
    url: str
    order: int = 100
    visible: Callable[[Any], bool] | None = None


@dataclass(frozen=True, slots=True)
class Panel:
    """A part of a composite page: `context(request, subject, **bound)` returns the template's context, or None
    for nothing to show this viewer (a panel shows only what its app's services let the viewer see)."""

    page: str
    template: str
    context: str  # "module:function"
    order: int = 100
    slot: str = "main"


@dataclass(frozen=True, slots=True)
class SearchKind:
    """A kind of record the search page finds: `name` (the `only=` value and the section's id), `words` (its
    heading), `provider` ("module:function" taking `(actor, text, limit, offset)` and returning `SearchHits` or
    None), the section's `order` on the page."""

    name: str
    words: str
    provider: str
    order: int = 100


@dataclass(frozen=True, slots=True)
class SearchHits:
    """One search section: a page of items, the template drawing one item (`<li>`, with `item` in its context),
    and where to see them all (None: the search page's own `only=` list)."""

    page: Any
    template: str
    more_url: str | None = None


@dataclass(frozen=True, slots=True)
class Mounts:
    """What one app adds to the product (the `mounts` attribute of its AppConfig)."""

    api: str | None = None
    urls: str | None = None
    cli: tuple[Command, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    panels: tuple[Panel, ...] = field(default=())
    search: tuple[SearchKind, ...] = ()

    def __post_init__(self) -> None:
        for entry in self.nav:
            if entry.area not in AREAS:
                raise ValueError(f"navigation area {entry.area!r} is not one of {', '.join(AREAS)}")
        for panel in self.panels:
            if panel.page not in PANEL_PAGES:
                raise ValueError(f"panel page {panel.page!r} is not one of {', '.join(PANEL_PAGES)}")
            if panel.slot not in PANEL_SLOTS:
                raise ValueError(f"panel slot {panel.slot!r} is not one of {', '.join(PANEL_SLOTS)}")


def load(target: str) -> Any:
    """The object a dotted `"module:attribute"` names."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute) if attribute else importlib.import_module(module)


def declared() -> list[tuple[str, Mounts]]:
    """(app label, mounts) of every installed app that declares them, in `INSTALLED_APPS` order. Needs Django."""
    from django.apps import apps

    return [(c.label, c.mounts) for c in apps.get_app_configs() if isinstance(getattr(c, "mounts", None), Mounts)]


def declared_from_settings(settings_module: str | None = None) -> list[tuple[str, Mounts]]:
    """The same, without setting Django up (for the CLI, which must start fast): `INSTALLED_APPS` is read from the
    settings module and each app's `apps` module is imported for its AppConfig's declaration."""
    from django.apps import AppConfig

    name = settings_module or os.environ.get("DJANGO_SETTINGS_MODULE", "mechanisms.config.settings")
    found = []
    for entry in importlib.import_module(name).INSTALLED_APPS:
        if not entry.startswith("mechanisms."):
            # Only the product's apps declare mounts. Importing the others would cost the CLI its start-up, and
            # some cannot be imported before Django is set up (ninja's, installed for its static Swagger UI).
            continue
        try:
            module = importlib.import_module(f"{entry}.apps")
        except ModuleNotFoundError as exc:
            if exc.name != f"{entry}.apps":
                raise  # an apps module that exists but fails to import is a bug to see, not an app to skip
            continue
        for value in vars(module).values():
            if (
                isinstance(value, type)
                and issubclass(value, AppConfig)
                and getattr(value, "name", None) == entry
                and isinstance(getattr(value, "mounts", None), Mounts)
            ):
                found.append((getattr(value, "label", None) or entry.rpartition(".")[2], value.mounts))
                break
    return found


def url_patterns(declarations: Iterable[tuple[str, Mounts]]) -> list:
    """Every app's URL patterns (`path()` routes, each matching a whole path) in one list, a literal path segment
    before a converter at the same place (`teams/new` and `teams/form` before `teams/<slug>`, whichever app
    declares them); otherwise in app order."""
    patterns = [p for _, m in declarations if m.urls for p in load(m.urls).urlpatterns]

    def key(pattern) -> tuple[int, ...]:
        return tuple(1 if "<" in segment else 0 for segment in str(pattern.pattern).split("/"))

    return sorted(patterns, key=key)


@dataclass(frozen=True, slots=True)
class NavArea:
    """One area of the header with the entries the viewer may see."""

    key: str
    title: str
    entries: tuple[NavEntry, ...]


@cache
def _entries() -> tuple[NavEntry, ...]:
    return tuple(e for _, m in declared() for e in m.nav)


def navigation(actor: Any, *, entries: Iterable[NavEntry] | None = None) -> list[NavArea]:
    """The header's areas for this viewer, in `AREAS` order, each entry list by `order`; empty areas are left out.
    `entries` defaults to every installed app's."""
    declared_entries = tuple(entries) if entries is not None else _entries()
    areas = []
    for key, title in AREAS.items():
        entries_here = sorted(
            (e for e in declared_entries if e.area == key and (e.visible is None or e.visible(actor))),
            key=lambda e: (e.order, e.label),
        )
        if entries_here:
            areas.append(NavArea(key, title, tuple(entries_here)))
    return areas


@cache
def _panels(page: str) -> tuple[Panel, ...]:
    return tuple(sorted((p for _, m in declared() for p in m.panels if p.page == page), key=lambda p: p.order))


def panels(page: str) -> tuple[Panel, ...]:
    """The panels declared for one composite page, by `order`."""
    if page not in PANEL_PAGES:
        raise ValueError(f"{page!r} is not a composite page")
    return _panels(page)


@cache
def _search_kinds() -> tuple[SearchKind, ...]:
    return tuple(sorted((k for _, m in declared() for k in m.search), key=lambda k: (k.order, k.name)))


def search_kinds() -> tuple[SearchKind, ...]:
    """Every installed app's search kinds, by `order`."""
    return _search_kinds()


@dataclass(frozen=True, slots=True)
class ShownPanel:
    """A panel with its context for one viewer and subject, as the page's template draws it."""

    template: str
    context: dict[str, Any]


def panel_slots(request: Any, page: str, subject: Any, **bound: Any) -> dict[str, list[ShownPanel]]:
    """The page's panels by slot, each with its context for this viewer and subject; a panel with nothing to show
    is left out. `bound` carries a form posted back with errors to the panel that owns it (by keyword)."""
    slots: dict[str, list[ShownPanel]] = {slot: [] for slot in PANEL_SLOTS}
    for panel in panels(page):
        context = load(panel.context)(request, subject, **bound)
        if context is not None:
            slots[panel.slot].append(ShownPanel(panel.template, context))
    return slots
