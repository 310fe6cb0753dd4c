"""URL resolution for long, flat pattern lists (the API's): the same answers as Django's, without the linear scan.

Django resolves a path by trying each pattern of a resolver in order, so a path near the end of the API's few
hundred routes pays for every route before it (about a third of a cheap endpoint's time). `IndexedResolver` is a
`URLResolver` that first looks at the path's leading literal segments: a route whose leading segments are written
out (``v1/experiments/<key>/assignment`` starts with ``v1`` and ``experiments``) can only match a path that starts
with them, so it is tried only for those paths. Routes that do not start with two written-out segments (regular
expressions, nested resolvers, converters early in the route, the API root) are tried for every path, in their
place. Within what is tried the order is Django's, so the first match is the same one; when nothing in the index
matches, the resolver falls back to Django's full scan, so a miss (404, the APPEND_SLASH probe) behaves and reports
exactly as before. Reversing, namespaces and the resolved view are Django's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.urls import ResolverMatch, URLPattern, URLResolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import RoutePattern
from django.utils.functional import cached_property

DEPTH = 2  # leading segments indexed: "v1/<app>/" separates the API's routers


def _key(route: str) -> tuple[str, ...] | None:
    """The route's first DEPTH literal segments, or None when the route may match a path not starting with them."""
    literal, _, rest = route.partition("<")
    segments = literal.split("/")
    if rest:  # a converter follows: the last (possibly empty) literal piece is not a whole segment
        segments = segments[:-1]
    if len(segments) < DEPTH or any(not s for s in segments[:DEPTH]):
        return None
    return tuple(segments[:DEPTH])


class IndexedResolver(URLResolver):
    """A URLResolver that tries only the patterns that can match the path's leading segments (module docstring)."""

    @cached_property
    def _index(self) -> tuple[dict[tuple[str, ...], list[Any]], list[Any]]:
        keyed: list[tuple[tuple[str, ...] | None, Any]] = []
        for pattern in self.url_patterns:
            key = None
            if isinstance(pattern, URLPattern) and isinstance(pattern.pattern, RoutePattern):
                key = _key(str(pattern.pattern._route))
            keyed.append((key, pattern))
        buckets: dict[tuple[str, ...], list[Any]] = {}
        for key in {k for k, _ in keyed if k is not None}:
            buckets[key] = [p for k, p in keyed if k is None or k == key]
        everywhere = [p for k, p in keyed if k is None]
        return buckets, everywhere

    def resolve(self, path):
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            raise Resolver404({"path": path})
        new_path, args, kwargs = match
        buckets, everywhere = self._index
        candidates = buckets.get(tuple(new_path.split("/", DEPTH)[:DEPTH]), everywhere)
        found = self._first_match(candidates, new_path, args, kwargs)
        if found is None:
            return super().resolve(path)  # Django's full scan: the same 404 (and its list of tried patterns)
        return found

    def _first_match(self, candidates: Sequence[Any], new_path: str, args, kwargs) -> ResolverMatch | None:
        """The match of the first candidate that matches, built as URLResolver.resolve builds it (its `tried`
        lists only that pattern: the skipped ones could not match)."""
        for pattern in candidates:
            try:
                sub_match = pattern.resolve(new_path)
            except Resolver404:
                continue
            if not sub_match:
                continue
            sub_match_dict = {**kwargs, **self.default_kwargs}
            sub_match_dict.update(sub_match.kwargs)
            sub_match_args = sub_match.args
            if not sub_match_dict:
                sub_match_args = args + sub_match.args
            current_route = "" if isinstance(pattern, URLPattern) else str(pattern.pattern)
            tried: list[list[Any]] = []
            self._extend_tried(tried, pattern, sub_match.tried)
            return ResolverMatch(
                sub_match.func,
                sub_match_args,
                sub_match_dict,
                sub_match.url_name,
                [self.app_name, *sub_match.app_names],
                [self.namespace, *sub_match.namespaces],
                self._join_route(current_route, sub_match.route),
                tried,
                captured_kwargs=sub_match.captured_kwargs,
                extra_kwargs={**self.default_kwargs, **sub_match.extra_kwargs},
            )
        return None


def indexed_include(route: str, urls: tuple[list[Any], str, str]) -> IndexedResolver:
    """`path(route, (patterns, app_name, namespace))` with an IndexedResolver, e.g. `indexed_include("api/",
    api.urls)` for the NinjaAPI's flat list of routes."""
    patterns, app_name, namespace = urls
    return IndexedResolver(RoutePattern(route, is_endpoint=False), patterns, app_name=app_name, namespace=namespace)
