"""Iterate every page shape the ODC APIs use (odc-api-notes §2.2).

* offset/limit with ``page.nextPageOffset`` (asset repository, code quality, portfolio,
  deployments list) — ``nextPageOffset`` is null on the last page; some shapes carry
  ``totalResults``, deployments does not;
* an opaque string cursor (deployment messages): ``offset`` is omitted for the first page and
  then set to the previous ``page.nextPageOffset``;
* unpaged lists under ``results`` (or ``builds``), where ``null`` means empty.

Each iterator stops on the first of: no next offset, an empty page, ``offset >= totalResults``
or a next offset that does not move forward — the last guard turns a server bug into a
finished iteration instead of an endless loop that would eat the rate limit for hours.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

DEFAULT_PAGE_SIZE = 100  # the documented maximum for most endpoints

Body = Mapping[str, Any]


def results_of(body: Body | None, key: str = "results") -> list[Any]:
    """The list under ``key``; absent or null lists are empty (most specs make them nullable)."""
    if not body:
        return []
    items = body.get(key)
    return list(items) if items else []


def iter_offset_pages(
    fetch: Callable[[int, int], Body], *, limit: int = DEFAULT_PAGE_SIZE, start: int = 0
) -> Iterator[Any]:
    """Yield the items of every page; ``fetch(offset, limit)`` returns one page body."""
    offset = start
    while True:
        body = fetch(offset, limit)
        items = results_of(body)
        yield from items
        page = body.get("page") or {}
        next_offset = page.get("nextPageOffset")
        total = page.get("totalResults")
        if not items or next_offset is None:
            return
        if not isinstance(next_offset, int) or next_offset <= offset:
            return
        if isinstance(total, int) and next_offset >= total:
            return
        offset = next_offset


def iter_cursor_pages(
    fetch: Callable[[str | None, int], Body], *, limit: int = DEFAULT_PAGE_SIZE
) -> Iterator[Any]:
    """Yield items of a string-cursor list; ``fetch(cursor, limit)`` with None for page one."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        body = fetch(cursor, limit)
        items = results_of(body)
        yield from items
        page = body.get("page") or {}
        next_cursor = page.get("nextPageOffset")
        if not items or not next_cursor or next_cursor in seen:
            return
        seen.add(next_cursor)
        cursor = str(next_cursor)
