"""kernel.routing: which routes are indexed, and the first match kept in place (the API's own routes are checked
against Django's resolver in tests/test_api_routing.py)."""

from __future__ import annotations

import pytest
from django.urls import path, re_path
from django.urls.exceptions import Resolver404

from mechanisms.kernel.routing import _key, indexed_include


def test_only_whole_written_out_leading_segments_are_indexed():
    assert _key("v1/experiments/<key>/assignment") == ("v1", "experiments")
    assert _key("v1/experiments") == ("v1", "experiments")
    assert _key("v1/experiments/") == ("v1", "experiments")
    assert _key("v1/exp<key>") is None  # the second segment is not whole
    assert _key("v1/<key>/x") is None
    assert _key("v1/") is None
    assert _key("docs") is None
    assert _key("") is None


def test_a_route_that_cannot_be_indexed_is_tried_in_its_place():
    def view(request):
        return None

    def other(request):
        return None

    patterns = [
        path("v1/a/<int:n>", view, name="a"),
        re_path(r"^v1/a/(?P<n>\d+)$", other, name="re"),  # never reached: "a" matches first
        re_path(r"^v1/b/(?P<n>\d+)$", other, name="b-re"),  # not indexed, tried for every path
        path("v1/b/<int:n>", view, name="b"),  # listed after the regular expression that matches first
    ]
    indexed = indexed_include("", (patterns, "t", "t"))
    assert indexed.resolve("v1/a/3").url_name == "a"
    assert indexed.resolve("v1/b/3").url_name == "b-re"
    with pytest.raises(Resolver404):
        indexed.resolve("v1/c/3")
