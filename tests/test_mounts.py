"""Apps mount themselves (kernel.mounts): whatever an installed app declares in its AppConfig is mounted, by
config and the shell, with nothing else to edit. A new app that declares a router, commands, pages, navigation or
panels is checked here without this file changing."""

from __future__ import annotations

import re

import pytest
from django.apps import apps
from django.template.loader import get_template
from django.urls import resolve, reverse
from typer.testing import CliRunner

from mechanisms.kernel import mounts

runner = CliRunner()
SAMPLE = {"int": "7", "slug": "some-slug", "str": "some-name", "path": "some/path"}


def _declared():
    return mounts.declared()


def _app_configs():
    return [c for c in apps.get_app_configs() if c.name.startswith("mechanisms.")]


def test_every_installed_mechanisms_app_declares_its_mounts():
    missing = [c.name for c in _app_configs() if not isinstance(getattr(c, "mounts", None), mounts.Mounts)]
    assert missing == []


def test_the_cli_reads_the_same_declarations_without_setting_django_up():
    # The CLI imports each app's apps module instead of asking the app registry (mech check must start fast).
    assert mounts.declared_from_settings() == _declared()


@pytest.mark.parametrize("label", [label for label, m in mounts.declared() if m.api])
def test_every_declared_api_router_is_mounted_under_api_v1(label):
    from mechanisms.config.api import api

    router = mounts.load(dict(_declared())[label].api)
    schema_paths = set(api.get_openapi_schema()["paths"])
    # OpenAPI writes a path converter's parameter plainly: /teams/{int:team_id} is /teams/{team_id} there.
    own = {"/api/v1/" + re.sub(r"\{\w+:(\w+)\}", r"{\1}", path.lstrip("/")) for path in router.path_operations}
    assert own, f"{label} declares a router without paths"
    assert own <= schema_paths


def _page_patterns():
    for label, m in mounts.declared():
        if m.urls:
            for pattern in mounts.load(m.urls).urlpatterns:
                yield label, pattern


@pytest.mark.parametrize(("label", "pattern"), list(_page_patterns()), ids=lambda v: getattr(v, "name", v))
def test_every_declared_page_resolves_to_its_own_view(label, pattern):
    route = str(pattern.pattern)
    # A converter-less group (`<name>`, or a regular expression's `(?P<name>...)`) is a plain string.
    kwargs = {name: SAMPLE[kind or "str"] for kind, name in re.findall(r"<(?:(\w+):)?(\w+)>", route)}
    url = reverse(f"web:{pattern.name}", kwargs=kwargs)
    assert resolve(url).func == pattern.callback, f"{url} is shadowed by another app's page"


def test_page_names_are_unique_across_apps():
    names = [p.name for _, p in _page_patterns()]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def _commands():
    for label, m in mounts.declared():
        for command in m.cli:
            yield label, command


@pytest.mark.parametrize(("label", "command"), list(_commands()), ids=lambda v: getattr(v, "name", v))
def test_every_declared_command_is_mounted_in_mech(label, command):
    from mechanisms.config.cli import app

    words = [command.parent, command.name] if command.parent else [command.name]
    result = runner.invoke(app, [*words, "--help"])
    assert result.exit_code == 0, result.output


@pytest.mark.parametrize("entry", [e for _, m in mounts.declared() for e in m.nav], ids=lambda e: f"{e.area}:{e.label}")
def test_every_navigation_entry_leads_to_a_page(entry):
    assert resolve(entry.url.split("?")[0])


def test_the_navigation_shows_areas_in_order_and_only_those_with_entries(small_org):
    areas = mounts.navigation(small_org.actor("bob"))
    keys = [a.key for a in areas]
    assert keys == [k for k in mounts.AREAS if k in keys]
    assert all(a.entries for a in areas)
    assert "hiring" in keys  # hiring's openings (and the bar-raiser pages) are in it


def test_every_search_kind_is_found_by_its_provider(small_org):
    kinds = [k.name for k in mounts.search_kinds()]
    assert kinds[:4] == ["teams", "services", "people", "interfaces"]
    assert {"openings", "candidates"} <= set(kinds)
    for kind in mounts.search_kinds():
        assert callable(mounts.load(kind.provider))


@pytest.mark.parametrize(
    "panel", [p for _, m in mounts.declared() for p in m.panels], ids=lambda p: f"{p.page}:{p.template}"
)
def test_every_declared_panel_has_its_template_and_context_function(panel):
    assert get_template(panel.template)
    assert callable(mounts.load(panel.context))


def test_a_literal_path_is_matched_before_another_apps_converter_at_the_same_place():
    # workflows' "teams/form" and org's "teams/new" before the shell's "teams/<slug>", whatever the app order.
    assert resolve("/teams/form").url_name == "team-form"
    assert resolve("/teams/new").url_name == "team-new"
    assert resolve("/services/new").url_name == "service-new"
    assert resolve("/teams/checkout").url_name == "team"


def test_a_declaration_names_only_known_areas_pages_and_slots():
    with pytest.raises(ValueError, match="navigation area"):
        mounts.Mounts(nav=(mounts.NavEntry("gardening", "Roses", "/roses"),))
    with pytest.raises(ValueError, match="panel page"):
        mounts.Mounts(panels=(mounts.Panel("garden", "x.html", "m:f"),))
    with pytest.raises(ValueError, match="panel slot"):
        mounts.Mounts(panels=(mounts.Panel("team", "x.html", "m:f", slot="footer"),))


def test_an_entry_is_left_out_for_whom_its_predicate_says_no_and_so_is_an_area_left_empty(small_org):
    admin_only = mounts.NavEntry("metrics", "Finance", "/finance", visible=lambda actor: actor.is_admin)
    open_to_all = mounts.NavEntry("hiring", "Loops", "/loops", order=20)
    first = mounts.NavEntry("hiring", "Debriefs", "/debriefs", order=10)
    for_bob = mounts.navigation(small_org.actor("bob"), entries=[admin_only, open_to_all, first])
    assert [(a.title, [e.label for e in a.entries]) for a in for_bob] == [("Hiring", ["Debriefs", "Loops"])]
    for_admin = mounts.navigation(small_org.actor("admin"), entries=[admin_only, open_to_all, first])
    assert [a.key for a in for_admin] == ["hiring", "metrics"]
