"""What no release of a generated tenant can beat, from the tenant's own durations and limits.

The multi-asset benchmark divides the engine's time by these, so they must be true lower
bounds for any engine on the simulator: its rate limits are sliding 60 s windows (10 POSTs a
minute per deployments endpoint, 100 requests a minute per API domain), so request ``k``
(0-based) of one window can never come earlier than ``k // limit`` minutes after the first.
Builds are reused in this workload (each app's revision runs in Development, so its Release
build exists) and count nothing.
"""

from __future__ import annotations

from collections.abc import Mapping

from bench.tenant import Graph

POSTS_PER_MINUTE = 10
DOMAIN_PER_MINUTE = 100
# Requests one app needs in the Dependency Management domain before it may deploy: the
# analysis POST and at least one status GET; the producers reads come on top, one per graph
# (an app no other app uses: no other read lists it), see :func:`graph_reads`.
ANALYSIS_DOMAIN_REQUESTS = 2


def earliest_request(index: int, per_minute: int) -> float:
    """Seconds after the window's first request at which request ``index`` can come, at best."""
    return (index // per_minute) * 60.0


def longest_chain(graph: Graph, deploys: Mapping[str, float]) -> float:
    """The longest producer→consumer chain of deploys (a consumer starts after its producers)."""
    finish: dict[str, float] = {}
    for level in graph.levels:  # producers are always one level down, so levels are in order
        for app in level:
            finish[app] = deploys[app] + max((finish[p] for p in graph.producers[app]), default=0.0)
    return max(finish.values())


def deploy_span(graph: Graph, deploys: Mapping[str, float]) -> float:
    """From the first deploy POST to the last deploy's end, at best: the longest chain, or every
    POST within 10 a minute (the last one still takes the shortest deploy)."""
    posts = earliest_request(len(graph.apps) - 1, POSTS_PER_MINUTE) + min(deploys.values())
    return max(longest_chain(graph, deploys), posts)


def lower_bound(graph: Graph, deploys: Mapping[str, float], *, analysis: float) -> float:
    """Any release: the first deploy waits for one analysis, then the deploy span."""
    return analysis + deploy_span(graph, deploys)


def graph_reads(graph: Graph) -> int:
    """Producers reads no client can skip: one per app that no other app of the run uses (the
    graph of any app that uses it lists it, with its own producers, and so spares its read)."""
    used = {p for producers in graph.producers.values() for p in producers}
    return sum(1 for app in graph.apps if app not in used)


def analyses_first_floor(graph: Graph, deploys: Mapping[str, float], *, analysis: float) -> float:
    """A release that passes every analysis before its first deploy (``before-deploy: all``).

    The gate opens after the last analysis result was read: all the apps' Dependency
    Management requests (:func:`graph_reads`, then two per app) fit the domain's 100 a minute,
    and the last analysis POST still takes an analysis. At 50 apps that is a minute where
    :func:`lower_bound` counts one analysis.
    """
    apps = len(graph.apps)
    reads = graph_reads(graph)
    last_post = earliest_request(reads + apps - 1, DOMAIN_PER_MINUTE) + analysis
    last_read = earliest_request(reads + ANALYSIS_DOMAIN_REQUESTS * apps - 1, DOMAIN_PER_MINUTE)
    return max(last_post, last_read, analysis) + deploy_span(graph, deploys)
