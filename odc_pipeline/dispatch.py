"""Which work a request belongs to, so the rate limiter can hand slots to the critical one.

The per-asset flow runs each asset's work in a worker thread and enters :func:`working` with
the asset's priority (its remaining chain in seconds: the longer, the more urgent) and its
key. The client's rate limiter reads :func:`current` when a request waits for a slot; nothing
else needs to know, so the platform clients stay unaware of scheduling.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkContext:
    """The work a request is made for: ``priority`` (higher first) and its ``owner`` (asset key)."""

    priority: float = 0.0
    owner: str | None = None


_CURRENT: ContextVar[WorkContext] = ContextVar("odc_pipeline_work", default=WorkContext())


def current() -> WorkContext:
    return _CURRENT.get()


@contextmanager
def working(priority: float, owner: str | None) -> Iterator[None]:
    """Requests made inside the block wait for slots with this priority, on behalf of ``owner``."""
    token = _CURRENT.set(WorkContext(priority, owner))
    try:
        yield
    finally:
        _CURRENT.reset(token)
