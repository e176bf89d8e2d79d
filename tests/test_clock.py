"""Clocks: tests and the simulator depend on these moving exactly as documented."""

from __future__ import annotations

import threading

import pytest

from odc_pipeline.clock import ManualClock, ScaledClock


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
