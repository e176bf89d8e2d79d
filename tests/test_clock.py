"""Clocks: tests and the simulator depend on these moving exactly as documented."""

from __future__ import annotations

import threading

import pytest

from odc_pipeline.clock import LockstepClock, ManualClock, ScaledClock


def test_manual_clock_moves_only_when_told():
    clock = ManualClock(start=10.0)
    before = clock.now()
    assert clock.monotonic() == 10.0
    clock.sleep(5)
    clock.advance(2.5)
    assert clock.monotonic() == 17.5
    assert (clock.now() - before).total_seconds() == 7.5
    assert clock.sleeps == [5]


def test_manual_clock_is_safe_under_concurrent_sleepers():
    clock = ManualClock()
    threads = [threading.Thread(target=lambda: [clock.sleep(1) for _ in range(100)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert clock.monotonic() == 800


def test_scaled_clock_speeds_up_time():
    clock = ScaledClock(0.001)
    start = clock.monotonic()
    clock.sleep(20)  # 20 ms of real time
    assert clock.monotonic() - start >= 20


def test_scaled_clock_rejects_a_non_positive_scale():
    with pytest.raises(ValueError, match="positive"):
        ScaledClock(0)


def test_lockstep_clock_overlaps_concurrent_sleepers_in_virtual_time():
    clock = LockstepClock(3)
    log: list[tuple[str, float]] = []

    def sleeper(name: str, naps: list[float]) -> None:
        for nap in naps:
            clock.sleep(nap)
            log.append((name, clock.monotonic()))
        clock.leave()

    plans = {"a": [10, 10, 10], "b": [25], "c": [5, 30]}
    threads = [threading.Thread(target=sleeper, args=item) for item in plans.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    # Unlike ManualClock (which would add every nap: 90 s), naps overlap as in real time.
    assert clock.monotonic() == 35
    assert log == [("c", 5), ("a", 10), ("a", 20), ("b", 25), ("a", 30), ("c", 35)]
