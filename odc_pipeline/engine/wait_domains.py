"""Which API domain and which kind of operation each stage's waits poll.

The poller (:mod:`odc_pipeline.engine.poller`) knows cadences, not stages. The engine's one
wait (:meth:`RunContext.wait`) names its stage; this module turns that into the domain's
shared :class:`PollBudget` (one per domain and run, so every concurrent wait of a domain
shares it, fed by the client's rate-limiter count for that domain) and the tenant-independent
prior used when no history hint exists. ApplyConfigs waits (configure, and deploy when only
configuration changed) take the deploy prior: their duration is undocumented (UNDOC), and the
prior is wide enough to cover a shorter operation at the cost of a few seconds of lag.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from typing import Any

from odc_pipeline.api.endpoints import (
    BUILDS,
    CODE_QUALITY,
    DEPENDENCY_MANAGEMENT,
    DEPLOYMENTS,
    EXTERNAL_LIBRARIES,
    ApiDomain,
)
from odc_pipeline.clock import Clock
from odc_pipeline.engine.poller import PRIORS, DurationHint, PollBudget

STAGE_DOMAINS: dict[str, ApiDomain] = {
    "build": BUILDS,
    "impact-analysis": DEPENDENCY_MANAGEMENT,
    "configure": DEPLOYMENTS,
    "deploy": DEPLOYMENTS,
    "verify": CODE_QUALITY,
    "publish": EXTERNAL_LIBRARIES,  # library generations; no prior: their duration is UNDOC
}
STAGE_KINDS: dict[str, str] = {
    "build": "build",
    "impact-analysis": "analysis",
    "configure": "deploy",
    "deploy": "deploy",
}

# Slots of the domain's minute kept free of polls for starts. Analyses start in the same domain
# their waits poll, and the per-asset flow keeps at most 10 of them running
# (``Capabilities.starts_per_minute``), so 10 slots hold every start it can make while the rest
# goes to the polls that let running analyses finish. Deploys: ODC admits 10 Deploy POSTs a
# minute, each after one read of what runs on its asset, so 20 slots; the other 80 let the waits
# of up to 50 concurrent deploys see their end without lag. Elsewhere starts are less regular.
RESERVES: dict[str, int] = {DEPENDENCY_MANAGEMENT.slug: 10, DEPLOYMENTS.slug: 20}
DEFAULT_RESERVE = 30

_lock = threading.Lock()


def prior_for(stage: str) -> DurationHint | None:
    """The prior of the operations ``stage`` waits for, or ``None`` (blind back-off)."""
    kind = STAGE_KINDS.get(stage)
    return PRIORS.get(kind) if kind else None


def budget_for(
    budgets: MutableMapping[str, PollBudget], client: Any, clock: Clock, stage: str
) -> PollBudget | None:
    """The shared budget of the domain ``stage`` polls, created on first use in ``budgets``."""
    domain = STAGE_DOMAINS.get(stage)
    if domain is None:
        return None
    with _lock:
        budget = budgets.get(domain.slug)
        if budget is None:
            budget = PollBudget(
                clock,
                per_minute=domain.per_minute,
                reserve=RESERVES.get(domain.slug, DEFAULT_RESERVE),
                load=_domain_load(client, domain),
            )
            budgets[domain.slug] = budget
        return budget


def _domain_load(client: Any, domain: ApiDomain) -> Callable[[], int] | None:
    """The client's rate-limiter count for ``domain`` (stage tests' fake clients have none)."""
    limiter = getattr(getattr(client, "http", None), "rate_limiter", None)
    if limiter is None:
        return None
    key = domain.bucket
    return lambda: limiter.in_window(key)
