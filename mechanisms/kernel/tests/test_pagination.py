"""Pagination (kernel.pagination): every list has a hard maximum page size; bad sizes and offsets are clamped,
never refused and never passed to the database out of its range."""

from __future__ import annotations

import pytest

from mechanisms.kernel.pagination import DEFAULT_LIMIT, MAX_LIMIT, MAX_OFFSET, Page, clamp_limit, clamp_offset


@pytest.mark.parametrize(
    ("asked", "got"),
    [
        (None, DEFAULT_LIMIT),
        (0, DEFAULT_LIMIT),
        (-5, DEFAULT_LIMIT),
        (1, 1),
        (MAX_LIMIT, MAX_LIMIT),
        (MAX_LIMIT + 1, MAX_LIMIT),
        (2**70, MAX_LIMIT),
    ],
)
def test_a_page_size_is_clamped_to_the_maximum(asked, got):
    assert clamp_limit(asked) == got


@pytest.mark.parametrize(("asked", "got"), [(None, 0), (-1, 0), (-(2**70), 0), (10, 10), (2**70, MAX_OFFSET)])
def test_an_offset_is_clamped_inside_the_databases_integer(asked, got):
    assert clamp_offset(asked) == got


def test_next_and_previous_offsets():
    page = Page(items=[1, 2], total=5, limit=2, offset=2)
    assert (page.has_next, page.next_offset, page.prev_offset) == (True, 4, 0)
    last = Page(items=[5], total=5, limit=2, offset=4)
    assert (last.has_next, last.next_offset, last.prev_offset) == (False, None, 2)
    assert Page(items=[], total=0, limit=2, offset=0).prev_offset is None


def test_map_keeps_the_counts():
    page = Page(items=[1, 2], total=9, limit=2, offset=4).map(str)
    assert (page.items, page.total, page.limit, page.offset) == (["1", "2"], 9, 2, 4)


@pytest.mark.django_db
def test_the_api_clamps_a_huge_page_size_and_offset(small_org, as_):
    body = as_("bob").get(f"/api/v1/people?limit={2**70}&offset=0").json()
    assert body["limit"] == MAX_LIMIT and len(body["items"]) == body["total"]
    beyond = as_("bob").get(f"/api/v1/people?offset={2**70}").json()
    assert (beyond["items"], beyond["offset"]) == ([], MAX_OFFSET)
