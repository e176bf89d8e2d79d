"""Dependency-order execution: producers before consumers, independent work in parallel.

ODC deploys one asset per operation, so a multi-asset release is a fan-out whose order matters:
a consumer deployed before the producer it needs breaks at runtime. This module owns the graph
(topological levels, cycles reported with the assets on the cycle) and a small executor that
starts each node as soon as everything it depends on has succeeded, never more than
``max_parallel`` at a time, and stops starting new work on the first failure or on cancel.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable, Iterable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from odc_pipeline.errors import UsageError

N = TypeVar("N", bound=Hashable)
R = TypeVar("R")


class DependencyCycleError(UsageError):
    """The assets depend on each other in a circle, so no deploy order exists."""

    def __init__(self, cycle: list[str]) -> None:
        self.cycle = cycle
        super().__init__("dependency cycle between assets: " + " -> ".join(cycle))


def topological_levels(nodes: Iterable[N], depends_on: Mapping[N, Iterable[N]]) -> list[list[N]]:
    """Group ``nodes`` into levels: each level only depends on earlier levels.

    Edges to nodes outside ``nodes`` are ignored (a producer that is not part of this run is
    already where it is). Order inside a level follows the input order, so plans are stable.
    Raises :class:`DependencyCycleError` naming one cycle.
    """
    ordered = list(dict.fromkeys(nodes))
    members = set(ordered)
    deps = {n: [d for d in dict.fromkeys(depends_on.get(n, ())) if d in members and d != n] for n in ordered}
    level_of: dict[N, int] = {}
    remaining = list(ordered)
    levels: list[list[N]] = []
    while remaining:
        ready = [n for n in remaining if all(d in level_of for d in deps[n])]
        if not ready:
            raise DependencyCycleError([str(n) for n in _find_cycle(remaining, deps)])
        for n in ready:
            level_of[n] = len(levels)
        levels.append(ready)
        remaining = [n for n in remaining if n not in level_of]
    return levels


def _find_cycle(candidates: list[N], deps: Mapping[N, list[N]]) -> list[N]:
    """Walk dependencies from a stuck node until a node repeats; return that loop."""
    stuck = set(candidates)
    path: list[N] = []
    seen: dict[N, int] = {}
    node = candidates[0]
    while node not in seen:
        seen[node] = len(path)
        path.append(node)
        node = next(d for d in deps[node] if d in stuck)
    return [*path[seen[node] :], node]


@dataclass
class Outcome(Generic[N, R]):
    """What happened to every node: a result, an error, or never started (and why)."""

    results: dict[N, R] = field(default_factory=dict)
    errors: dict[N, BaseException] = field(default_factory=dict)
    not_started: list[N] = field(default_factory=list)
    order_started: list[N] = field(default_factory=list)

    @property
    def first_error(self) -> BaseException | None:
        for node in self.order_started:
            if node in self.errors:
                return self.errors[node]
        return None


def run_in_order(
    nodes: Iterable[N],
    depends_on: Mapping[N, Iterable[N]],
    work: Callable[[N], R],
    *,
    max_parallel: int,
    cancel: threading.Event | None = None,
    failed: Callable[[R], bool] = lambda _result: False,
) -> Outcome[N, R]:
    """Run ``work(node)`` for every node, dependencies first, up to ``max_parallel`` at once.

    A node starts as soon as all its dependencies succeeded (not when its whole level is done).
    After an exception, a result for which ``failed`` holds, or ``cancel``, nothing new starts;
    running nodes are waited for, and the rest are listed in ``not_started``.
    """
    return run_graph(nodes, depends_on, work, max_parallel=max_parallel, cancel=cancel, failed=failed)


STOP_ALL = None  # what a ``drop`` hook returns to stop every node not yet started


def run_graph(
    nodes: Iterable[N],
    depends_on: Mapping[N, Iterable[N]],
    work: Callable[[N], R],
    *,
    max_parallel: int,
    cancel: threading.Event | None = None,
    failed: Callable[[R], bool] = lambda _result: False,
    priority: Callable[[N], float] | None = None,
    drop: Callable[[N, BaseException | None], Iterable[N] | None] | None = None,
    group: Callable[[N], Hashable] | None = None,
    caps: Mapping[Hashable, int] | None = None,
) -> Outcome[N, R]:
    """The one executor behind every fan-out: :func:`run_in_order` and the per-asset flow.

    ``priority`` orders the nodes that are ready at the same moment (highest first; ties keep
    the input order), so the work on the longest remaining chain gets the free workers first.
    ``drop`` decides what a failure stops: called with the node and its exception (``None``
    for a result ``failed`` rejected), it returns the nodes that must not start any more, or
    :data:`STOP_ALL` (the default without a hook): nothing new starts. Dropped nodes and nodes
    whose dependency failed are listed in ``not_started``; running nodes are always waited for.
    ``group`` and ``caps`` bound how many nodes of one group run at once (below ``max_parallel``).
    """
    ordered = list(dict.fromkeys(nodes))
    topological_levels(ordered, depends_on)  # validates: raises on cycles before any work
    members = set(ordered)
    deps = {n: {d for d in depends_on.get(n, ()) if d in members and d != n} for n in ordered}
    position = {n: i for i, n in enumerate(ordered)}
    outcome: Outcome[N, R] = Outcome()
    done: set[N] = set()
    pending = list(ordered)
    dropped: set[N] = set()
    running: dict[Future[R], N] = {}
    stop = False
    limit = max(1, max_parallel)

    def stop_for(node: N, error: BaseException | None) -> None:
        nonlocal stop
        more = drop(node, error) if drop is not None else STOP_ALL
        if more is STOP_ALL:
            stop = True
        else:
            dropped.update(more)

    with ThreadPoolExecutor(max_workers=limit, thread_name_prefix="odc-stage") as pool:
        while pending or running:
            if cancel is not None and cancel.is_set():
                stop = True
            if not stop:
                ready = [n for n in pending if n not in dropped and deps[n] <= done]
                if priority is not None:
                    ready.sort(key=lambda n: (-priority(n), position[n]))
                for node in ready:
                    if len(running) >= limit:
                        break
                    if group is not None and caps:
                        kind = group(node)
                        cap = caps.get(kind)
                        if cap is not None and sum(1 for n in running.values() if group(n) == kind) >= cap:
                            continue
                    pending.remove(node)
                    outcome.order_started.append(node)
                    running[pool.submit(work, node)] = node
            if not running:
                break
            finished, _ = wait(list(running), timeout=0.5, return_when=FIRST_COMPLETED)
            for future in finished:
                node = running.pop(future)
                error = future.exception()
                if error is not None:
                    outcome.errors[node] = error
                    stop_for(node, error)
                    continue
                result = future.result()
                outcome.results[node] = result
                if failed(result):
                    stop_for(node, None)
                else:
                    done.add(node)
    outcome.not_started = pending
    return outcome
