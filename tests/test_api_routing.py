"""The API's routes under kernel.routing's indexed resolver: Django's answer for every route, its 404 for the rest."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, reverse
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern

from mechanisms.config.urls import urlpatterns
from mechanisms.kernel.routing import IndexedResolver, indexed_include

SAMPLES = {
    "int": "7",
    "str": "some-key",
    "slug": "a-slug",
    "path": "a/b/c",
    "uuid": "3f1c2a4e-0000-4000-8000-0123456789ab",
}


def _sample(route: str) -> str:
    return re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES[m.group(1) or "str"], route)


MOUNTED = next(p for p in urlpatterns if isinstance(p, IndexedResolver))


def _indexed() -> IndexedResolver:
    """The API's routes (the very views the site serves) under a fresh indexed resolver."""
    return indexed_include("api/", (MOUNTED.url_patterns, MOUNTED.app_name, MOUNTED.namespace))


def _plain() -> URLResolver:
    """The same routes under Django's own resolver."""
    pattern = RoutePattern("api/", is_endpoint=False)
    return URLResolver(pattern, MOUNTED.url_patterns, app_name=MOUNTED.app_name, namespace=MOUNTED.namespace)


def _same(got, want) -> None:
    assert (got.func, got.args, got.kwargs, got.url_name, got.route, got.namespaces, got.app_names) == (
        want.func,
        want.args,
        want.kwargs,
        want.url_name,
        want.route,
        want.namespaces,
        want.app_names,
    )


def test_the_api_is_mounted_with_the_indexed_resolver():
    mounted = [p for p in urlpatterns if isinstance(p, IndexedResolver)]
    assert len(mounted) == 1 and str(mounted[0].pattern) == "api/"
    assert reverse("api:assign_unit", kwargs={"key": "k"}) == "/api/v1/experiments/k/assignment"
    assert reverse("api:openapi-json") == "/api/openapi.json"


def test_every_api_route_resolves_as_django_resolves_it():
    indexed, plain = _indexed(), _plain()
    routes = [str(p.pattern) for p in plain.url_patterns if isinstance(p, URLPattern)]
    assert len(routes) > 100  # the API's flat list, not an empty stand-in
    for route in routes:
        path = "api/" + _sample(route)
        _same(indexed.resolve(path), plain.resolve(path))


@pytest.mark.parametrize(
    "path",
    [
        "api/v1/experiments/some-key/assignment",
        "api/v1/experiments/assignments",  # a literal route listed before /experiments/{key}/...
        "api/v1/experiments",
        "api/docs",
        "api/",
    ],
)
def test_the_first_match_wins_as_in_django(path):
    _same(_indexed().resolve(path), _plain().resolve(path))


@pytest.mark.parametrize(
    "path", ["api/v1/no-such-app/1", "api/v1/experiments/some-key/nothing", "api/v2/experiments", "api/v1", "api/x"]
)
def test_a_miss_is_djangos_404_with_the_same_tried_list(path):
    with pytest.raises(Resolver404) as got:
        _indexed().resolve(path)
    with pytest.raises(Resolver404) as want:
        _plain().resolve(path)
    assert got.value.args[0]["path"] == want.value.args[0]["path"]
    assert [[str(p.pattern) for p in t] for t in got.value.args[0]["tried"]] == [
        [str(p.pattern) for p in t] for t in want.value.args[0]["tried"]
    ]
