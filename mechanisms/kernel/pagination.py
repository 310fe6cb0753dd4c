"""One page of a list. Every list in the product is paginated with a hard maximum page size."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
U = TypeVar("U")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
# Past the last row a page is empty anyway; the cap keeps OFFSET inside the database's 64-bit integer.
MAX_OFFSET = 2**62


def clamp_limit(limit: int | None) -> int:
    """A page size over the maximum is clamped, never refused (issue 2, bad input)."""
    if limit is None or limit < 1:
        return DEFAULT_LIMIT
    return min(limit, MAX_LIMIT)


def clamp_offset(offset: int | None) -> int:
    return min(max(offset or 0, 0), MAX_OFFSET)


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """Items of one page, with the total count so callers can show 'n of m' and link the next page."""

    items: Sequence[T]
    total: int
    limit: int
    offset: int

    @property
    def has_next(self) -> bool:
        return self.offset + len(self.items) < self.total

    @property
    def next_offset(self) -> int | None:
        return self.offset + self.limit if self.has_next else None

    @property
    def prev_offset(self) -> int | None:
        return max(self.offset - self.limit, 0) if self.offset > 0 else None

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        return Page(items=[fn(item) for item in self.items], total=self.total, limit=self.limit, offset=self.offset)


def paginate(queryset, *, limit: int | None, offset: int | None, convert: Callable) -> Page:
    """Slice a queryset into a Page, converting each row to a contract."""
    limit = clamp_limit(limit)
    offset = clamp_offset(offset)
    total = queryset.count()
    rows = list(queryset[offset : offset + limit])
    return Page(items=[convert(row) for row in rows], total=total, limit=limit, offset=offset)
