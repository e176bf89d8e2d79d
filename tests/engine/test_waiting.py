"""Every engine wait goes through ``RunContext.wait``: the poller, the stage timeout, heartbeats.

The poller's own tests cover its cadence; these prove the engine wires it up: heartbeats reach
the run's reporter about every 30 s of clock time (not every poll, and not only on a poll) with
the elapsed time and the operation's status, and the stage's timeout bounds the wait.
"""

from __future__ import annotations

import itertools
import re

import pytest

from odc_pipeline.engine.options import AssetSpec
from odc_pipeline.errors import OperationTimeoutError

from .fakes import FakeOdc, make_ctx


def _operation(ctx, finish: float, polls: list[float]):
    def fetch() -> str:
        polls.append(ctx.clock.monotonic())
        return "Finished" if ctx.clock.monotonic() >= finish else "Running"

    return fetch


def test_heartbeat_reaches_the_reporter_about_every_30_seconds_not_every_poll():
    ctx, reporter = make_ctx(FakeOdc(), assets=(AssetSpec(name="Orders API"),))
    polls: list[float] = []
    start = ctx.clock.monotonic()
    result = ctx.wait(
        _operation(ctx, start + 600, polls),
        lambda status: status == "Finished",
        what="deploy op-1 of Orders API",
        describe=str,
        stage="deploy",
    )
    assert result == "Finished"
    beats = reporter.texts("heartbeat")
    assert len(polls) > len(beats) >= 600 // 75  # not one per poll, yet never silent for long
    assert all("deploy op-1 of Orders API" in beat and "Running" in beat for beat in beats)
    elapsed = [int(m.group(1)) for beat in beats if (m := re.search(r"after (\d+)s", beat))]
    assert len(elapsed) == len(beats)
    gaps = [b - a for a, b in itertools.pairwise([0, *elapsed])]
    # Beats are driven by the clock, not by polls: the sleep between two polls (up to the
    # poller's cap) is cut at each heartbeat moment, so gaps stay at about 30 s.
    assert min(gaps) >= 29
    assert max(gaps) <= 35


def test_a_wait_is_bounded_by_its_stage_timeout():
    ctx, _ = make_ctx(FakeOdc(), assets=(AssetSpec(name="Orders API"),), timeouts={"build": 120.0})
    with pytest.raises(OperationTimeoutError, match="120"):
        ctx.wait(
            _operation(ctx, ctx.clock.monotonic() + 10_000, []),
            lambda status: status == "Finished",
            what="Release build b-1",
            describe=str,
            stage="build",
        )
