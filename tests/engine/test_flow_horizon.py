"""The flow's estimate of when the release ends (each deploy's slack) and the start slots it
holds, driven directly on a manual clock with a known chain.

The release: Base (100 s) → Top (50 s), and Leaf (30 s) alone. Base's chain is 150 s, Top's
50 s, Leaf's 30 s, so at any moment Base-then-Top is the critical path and Leaf has slack.
"""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from odc_pipeline.clock import ManualClock
from odc_pipeline.engine.flow import _Horizon, _Reservations

DEPLOY = {"base": 100.0, "top": 50.0, "leaf": 30.0}
CHAIN = {"base": 150.0, "top": 50.0, "leaf": 30.0}
CONSUMERS = {"base": ["top"], "top": [], "leaf": []}
PRODUCERS = {"base": [], "top": ["base"], "leaf": []}


def _chains() -> NS:
    return NS(deploy_seconds=dict(DEPLOY), chain=dict(CHAIN), consumers=CONSUMERS)


def _ctx(clock: ManualClock, held: list[tuple[str, float, float, float]], before_deploy: str = "all") -> NS:
    def reserve_start(kind: str, *, priority: float, owner: str, at: float, grace: float):
        held.append((owner, priority, at, grace))
        return lambda: None

    return NS(
        clock=clock,
        platform=NS(reserve_start=reserve_start),
        spec=NS(impact=NS(before_deploy=before_deploy)),
    )


def _horizon(clock: ManualClock) -> tuple[_Horizon, list[str]]:
    started: list[str] = []
    return _Horizon(_ctx(clock, []), _chains(), on_start=started.append), started


def test_the_critical_chain_has_no_slack_and_a_shorter_one_has_the_difference() -> None:
    clock = ManualClock()
    horizon, started = _horizon(clock)
    base, leaf = horizon.slack("base"), horizon.slack("leaf")
    assert base() == 0.0
    assert leaf() == pytest.approx(150.0 - 30.0)
    assert started == ["base", "leaf"]  # each deploy's first question is its start, told once
    clock.advance(10.0)
    assert base() == 0.0
    assert started == ["base", "leaf"]


def test_a_finished_producer_holds_the_chain_until_its_consumer_starts() -> None:
    clock = ManualClock()
    horizon, _ = _horizon(clock)
    leaf = horizon.slack("leaf")
    horizon.slack("base")()
    leaf()
    clock.advance(100.0)
    horizon.finished("base")  # Top has not started yet (say, its POST waits for a slot)
    clock.advance(20.0)
    # the release now ends no earlier than now + Top's 50 s: Leaf (ended at 30 s) has 170 - 120
    assert leaf() == pytest.approx(170.0 - 120.0)
    top = horizon.slack("top")
    assert top() == 0.0  # Top started: it carries the chain, Base no longer does
    clock.advance(10.0)
    assert leaf() == pytest.approx(170.0 - 130.0)


def test_a_deploy_that_outruns_its_history_moves_the_release_end() -> None:
    clock = ManualClock()
    horizon, _ = _horizon(clock)
    base, leaf = horizon.slack("base"), horizon.slack("leaf")
    base()
    leaf()
    clock.advance(130.0)  # Base was expected to end at 100 s and still runs
    horizon.finished("leaf")
    assert base() == 0.0
    # Base ends no earlier than now, then Top's 50 s: the estimate moved 30 s later
    top_waiting_end = 130.0 + 50.0
    assert horizon.slack("leaf")() == pytest.approx(top_waiting_end - 130.0)


def test_a_consumers_slot_is_held_from_when_its_producer_really_started() -> None:
    """Base's POST waited a minute for a slot: Top's slot is due 100 s after the deploy began
    (its wait's first question), not after the task began, and lasts into Base's overrun."""
    clock = ManualClock()
    held: list[tuple[str, float, float, float]] = []
    ctx = _ctx(clock, held)
    by_key = {k: NS(producers=p) for k, p in PRODUCERS.items()}
    reservations = _Reservations(ctx, _chains(), by_key)
    horizon = _Horizon(ctx, _chains(), on_start=reservations.deploy_started)
    clock.advance(60.0)  # the task has waited this long for its start POST
    horizon.slack("base")()
    assert held == [("top", 50.0, 160.0, 10.0 + 0.5 * 100.0)]
    reservations.deploy_started("base")  # again at its end: only the first call counts
    assert len(held) == 1


def test_the_gate_holds_one_slot_per_first_deploy_once() -> None:
    clock = ManualClock(5.0)
    held: list[tuple[str, float, float, float]] = []
    by_key = {k: NS(producers=p) for k, p in PRODUCERS.items()}
    reservations = _Reservations(_ctx(clock, held), _chains(), by_key)
    plan = NS(apps=[NS(key=k, producers=p) for k, p in PRODUCERS.items()])
    released = reservations.gate_opened(plan)  # type: ignore[arg-type]
    assert reservations.gate_opened(plan) == []  # type: ignore[arg-type]
    assert sorted(held) == [("base", 150.0, 5.0, 10.0), ("leaf", 30.0, 5.0, 10.0)]
    assert sorted(a.key for a in released) == ["base", "leaf"]  # the first deploys, for their shared read
