"""Who is asking: the priority and owner of the work the current thread is doing.

ODC's limits are per organization (10 start POSTs per endpoint and 100 requests per domain a
minute), so when many assets flow at once the order in which rate-limited slots are handed out
decides how long the release takes: a slot given to a leaf app while the app at the head of the
longest remaining chain waits costs that chain a whole minute. The engine knows which work is
critical (its remaining chain, in seconds); the rate limiter, deep inside the HTTP client, is
where slots are handed out. Passing a priority through every API call would touch every
signature in between, so the engine states it once around a piece of work::

    with dispatch.working(priority=remaining_chain_seconds, owner=asset_key):
        platform.start_deploy(run, request)

and :class:`odc_pipeline.api.ratelimit.RateLimiter` reads :func:`current` when it admits a
request. This module imports nothing from ``api`` or ``engine`` so both can depend on it.

A :class:`~contextvars.ContextVar` rather than a thread-local: it is per thread *and* per
asyncio task, and a block's value is restored on exit even when work nests. New threads start
from the default (priority 0, no owner) — ``ThreadPoolExecutor`` does not copy contexts — so
the engine enters :func:`working` inside each worker's task, not around the pool.

Reads (resolve, dependency graph, status polls) run at the default priority 0 and starts carry
the engine's priority (> 0), so on a shared domain bucket a waiting start is admitted before a
read that arrived after it, and a stream of polls cannot starve it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkContext:
    """The work a request belongs to.

    ``priority``: higher is more critical (the engine uses the asset's longest remaining chain
    in seconds); 0 is ordinary work such as reads. ``owner``: the asset key doing the work, so
    a slot reserved for that asset (``RateLimiter.reserve``) is used by its own request.
    ``slack``: how many seconds the work may end late before the whole release does, as the
    engine estimates it when called (None: not known); the poller waits more densely near the
    expected end of work with little slack, where lag is the release's own.
    """

    priority: float = 0.0
    owner: str | None = None
    slack: Callable[[], float] | None = None


DEFAULT = WorkContext()
_CURRENT: ContextVar[WorkContext] = ContextVar("odc_pipeline_work", default=DEFAULT)


def current() -> WorkContext:
    """The work the calling thread (or task) is doing; :data:`DEFAULT` outside any block."""
    return _CURRENT.get()


@contextmanager
def working(
    priority: float, owner: str | None, *, slack: Callable[[], float] | None = None
) -> Iterator[WorkContext]:
    """Requests made inside the block carry ``priority`` and ``owner`` (and waits ``slack``);
    the previous work is restored on exit. A NaN priority is refused: it would make every
    comparison false and silently disable the ordering."""
    if math.isnan(priority):
        raise ValueError("priority must be a number, not NaN")
    work = WorkContext(float(priority), owner, slack)
    token = _CURRENT.set(work)
    try:
        yield work
    finally:
        _CURRENT.reset(token)
