"""A realistic mix of ODC operation durations, with the history the platform would show us.

Builds, impact analyses and deploys take from about 2 s to 20 min. Durations differ a lot
*between* assets (a small app deploys in a minute, a big one in ten) but much less between
runs of the *same* asset and stage, which is what makes recent durations worth reading. So
each operation is drawn in two steps: an asset's typical duration (log-normal across assets),
then this run's and its previous runs' durations (log-normal around the typical one).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

MIN_SECONDS = 2.0
MAX_SECONDS = 20 * 60.0


@dataclass(frozen=True)
class Kind:
    """One kind of operation: typical duration across assets and its run-to-run variation."""

    name: str
    median: float
    asset_spread: float
    run_spread: float


KINDS: tuple[Kind, ...] = (
    # Impact analysis: reported at about 2-4 s on real tenants.
    Kind("analysis", median=3.0, asset_spread=0.3, run_spread=0.25),
    # Release builds: about a minute for small apps, ten or more for big ones.
    Kind("build", median=90.0, asset_spread=0.8, run_spread=0.25),
    # Deploys: one to several minutes, occasionally up to the 20 min ceiling.
    Kind("deploy", median=150.0, asset_spread=0.8, run_spread=0.25),
)


@dataclass(frozen=True)
class Operation:
    """One wait to benchmark: its true duration and the durations of earlier runs."""

    kind: str
    duration: float
    history: tuple[float, ...]


def _lognormal(rng: random.Random, median: float, spread: float) -> float:
    return min(MAX_SECONDS, max(MIN_SECONDS, rng.lognormvariate(math.log(median), spread)))


def operations(
    rng: random.Random,
    count: int,
    *,
    history: int = 5,
    run_spread_scale: float = 1.0,
    median_scale: float = 1.0,
) -> list[Operation]:
    """``count`` operations, kinds in equal shares (a pipeline does one of each per asset).

    ``history`` earlier runs of the same asset and stage come with each operation (most
    recent first); ``run_spread_scale`` widens run-to-run variation to test robustness;
    ``median_scale`` makes the whole tenant slower or faster than the typical durations (and
    so than the poller's priors, which assume them).
    """
    result = []
    for i in range(count):
        kind = KINDS[i % len(KINDS)]
        typical = rng.lognormvariate(math.log(kind.median * median_scale), kind.asset_spread)
        spread = kind.run_spread * run_spread_scale
        past = tuple(_lognormal(rng, typical, spread) for _ in range(history))
        result.append(Operation(kind.name, _lognormal(rng, typical, spread), past))
    return result
