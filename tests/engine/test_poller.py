"""The poller's cadence, timeout, cancellation and heartbeat, on a ManualClock (no sleeping)."""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from odc_pipeline.clock import ManualClock
from odc_pipeline.engine.poller import (
    DurationHint,
    PollSchedule,
    duration_hint,
    hint_from_operations,
    hint_from_spans,
    wait_for,
)
from odc_pipeline.errors import CancelledError, OperationTimeoutError

NO_JITTER = PollSchedule(jitter=0.0)


class Operation:
    """A fake ODC operation that finishes at ``finish`` clock seconds; records call times."""

    def __init__(self, clock: ManualClock, finish: float) -> None:
        self.clock = clock
        self.finish = finish
        self.call_times: list[float] = []

    def fetch(self) -> str:
        self.call_times.append(self.clock.monotonic())
        return "Finished" if self.clock.monotonic() >= self.finish else "Running"


def wait(op: Operation, **kwargs: object) -> str:
    params: dict[str, object] = {
        "what": "deployment 1234",
        "describe": str,
        "timeout": 3600.0,
        "clock": op.clock,
        "rng": random.Random(7),
    }
    params.update(kwargs)
    return wait_for(op.fetch, lambda status: status == "Finished", **params)  # type: ignore[arg-type]


def intervals(times: list[float]) -> list[float]:
    return [b - a for a, b in itertools.pairwise(times)]


# --- no history: fast at first, backing off to a cap --------------------------------------


def test_without_hint_first_call_waits_initial_then_backs_off_geometrically() -> None:
    op = Operation(ManualClock(), finish=200.0)
    assert wait(op, schedule=NO_JITTER) == "Finished"
    assert op.call_times[0] == pytest.approx(3.0)  # a just-started operation is never done at once
    gaps = intervals(op.call_times)
    assert gaps[:3] == pytest.approx([4.5, 6.75, 10.125])
    assert all(b >= a for a, b in itertools.pairwise(gaps))


def test_call_at_once_restores_an_immediate_first_call() -> None:
    clock = ManualClock()
    op = Operation(clock, finish=0.0)
    assert wait(op, schedule=PollSchedule(jitter=0.0, call_at_once=True)) == "Finished"
    assert op.call_times == [0.0]
    assert clock.sleeps == []
    later = Operation(ManualClock(), finish=20.0)
    wait(later, schedule=PollSchedule(jitter=0.0, call_at_once=True))
    assert intervals(later.call_times)[:2] == pytest.approx([3.0, 4.5])


def test_backoff_stops_at_the_cap() -> None:
    op = Operation(ManualClock(), finish=600.0)
    wait(op, schedule=NO_JITTER)
    gaps = intervals(op.call_times)
    assert max(gaps) == pytest.approx(30.0)
    assert gaps[-5:] == pytest.approx([30.0] * 5)


def test_jitter_spreads_delays_within_bounds() -> None:
    schedule = PollSchedule(jitter=0.2)
    rng = random.Random(1)
    delays = [schedule.delay(20, rng) for _ in range(500)]
    assert all(24.0 <= d <= 36.0 for d in delays)
    assert min(delays) < 25.0
    assert max(delays) > 35.0


def test_parallel_pollers_with_different_rngs_do_not_align() -> None:
    a = Operation(ManualClock(), finish=300.0)
    b = Operation(ManualClock(), finish=300.0)
    wait(a, rng=random.Random(1))
    wait(b, rng=random.Random(2))
    assert a.call_times[1:6] != pytest.approx(b.call_times[1:6], abs=0.5)


def test_returns_the_first_result_that_is_done() -> None:
    clock = ManualClock()
    op = Operation(clock, finish=1.0)
    assert wait(op, schedule=NO_JITTER) == "Finished"
    assert op.call_times == [3.0]
    assert clock.sleeps == [3.0]


# --- timeout and cancel -----------------------------------------------------------------


def test_timeout_raises_naming_the_operation_after_a_last_call_at_the_deadline() -> None:
    clock = ManualClock()
    op = Operation(clock, finish=10_000.0)
    with pytest.raises(OperationTimeoutError, match=r"deployment 1234.*Running"):
        wait(op, timeout=100.0)
    assert op.call_times[-1] == pytest.approx(100.0)
    assert clock.monotonic() == pytest.approx(100.0)  # never sleeps past the timeout


def test_timeout_bounds_a_hinted_first_delay_too() -> None:
    clock = ManualClock()
    op = Operation(clock, finish=10_000.0)
    with pytest.raises(OperationTimeoutError):
        wait(op, timeout=5.0, hint=DurationHint(median=900.0, spread=0.2))
    assert clock.monotonic() == pytest.approx(5.0)


def test_cancel_before_the_first_call_raises_without_calling() -> None:
    op = Operation(ManualClock(), finish=50.0)
    cancel = threading.Event()
    cancel.set()
    with pytest.raises(CancelledError, match="deployment 1234"):
        wait(op, cancel=cancel)
    assert op.call_times == []


class CancellingClock(ManualClock):
    """Sets ``cancel`` once its time passes ``at``, as a signal handler would mid-sleep."""

    def __init__(self, cancel: threading.Event, at: float) -> None:
        super().__init__()
        self.cancel = cancel
        self.at = at

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if self.monotonic() >= self.at:
            self.cancel.set()


def test_cancel_during_a_long_sleep_is_noticed_within_about_a_second() -> None:
    cancel = threading.Event()
    clock = CancellingClock(cancel, at=100.5)
    op = Operation(clock, finish=10_000.0)
    with pytest.raises(CancelledError, match="deployment 1234"):
        wait(op, cancel=cancel, schedule=PollSchedule(initial=30.0, jitter=0.0))
    assert 100.5 <= clock.monotonic() <= 101.5
    assert op.call_times == [30.0, 60.0, 90.0]


# --- heartbeat --------------------------------------------------------------------------


def test_heartbeat_comes_about_every_30_seconds_not_every_poll() -> None:
    beats: list[tuple[float, str]] = []
    clock = ManualClock()
    op = Operation(clock, finish=185.0)
    dense = PollSchedule(initial=2.0, factor=1.0, cap=2.0, jitter=0.0)
    wait(op, schedule=dense, heartbeat=lambda line: beats.append((clock.monotonic(), line)))
    assert len(op.call_times) > 90
    assert len(beats) == 6
    assert all(30.0 <= gap <= 32.0 for gap in intervals([0.0] + [t for t, _ in beats]))
    assert beats[0][1] == "deployment 1234: Running after 30s"


def test_heartbeat_is_time_driven_across_long_sleeps_with_a_60_second_cap() -> None:
    clock = ManualClock()
    op = Operation(clock, finish=900.0)
    sparse = PollSchedule(cap=60.0)  # the cap stretches polls to ~60 s, twice the heartbeat
    beats: list[tuple[float, str]] = []
    wait(op, schedule=sparse, heartbeat=lambda line: beats.append((clock.monotonic(), line)))
    poll_gaps = intervals(op.call_times)
    assert max(poll_gaps) > 45.0  # otherwise this would not test sleeps longer than a beat
    beat_times = [t for t, _ in beats]
    assert len(beats) >= 900 // 35
    assert all(30.0 <= gap <= 35.0 for gap in intervals([0.0, *beat_times]))
    assert 900.0 - beat_times[-1] <= 35.0  # never silent for long at the end either
    for t, line in beats:
        assert line == f"deployment 1234: Running after {t:.0f}s"


def test_time_driven_heartbeat_makes_no_extra_status_calls() -> None:
    quiet = Operation(ManualClock(), finish=900.0)
    wait(quiet, schedule=PollSchedule(cap=60.0))
    beating_clock = ManualClock()
    beating = Operation(beating_clock, finish=900.0)
    beats: list[str] = []
    wait(beating, schedule=PollSchedule(cap=60.0), heartbeat=beats.append)
    assert len(beats) > len(beating.call_times) / 2
    assert len(beating.call_times) == len(quiet.call_times)
    assert beating.call_times == pytest.approx(quiet.call_times)


def test_heartbeat_repeats_the_last_status_seen_and_says_when_there_is_none_yet() -> None:
    clock = ManualClock()
    statuses = iter(["Queued", "Running", "Running", "Finished"])
    calls: list[float] = []

    def fetch() -> str:
        calls.append(clock.monotonic())
        return next(statuses)

    beats: list[str] = []
    wait_for(
        fetch,
        lambda status: status == "Finished",
        what="deployment 1234",
        describe=str,
        timeout=3600.0,
        clock=clock,
        schedule=PollSchedule(initial=40.0, factor=1.0, cap=40.0, jitter=0.0),
        heartbeat=beats.append,
    )
    assert calls == [40.0, 80.0, 120.0, 160.0]
    assert beats == [
        "deployment 1234: no status yet after 30s",
        "deployment 1234: Queued after 60s",
        "deployment 1234: Running after 90s",
        "deployment 1234: Running after 120s",
        "deployment 1234: Running after 150s",
    ]


def test_cancel_is_still_noticed_while_sleeping_between_heartbeats() -> None:
    cancel = threading.Event()
    clock = CancellingClock(cancel, at=100.0)
    op = Operation(clock, finish=10_000.0)
    beats: list[str] = []
    with pytest.raises(CancelledError):
        wait(op, cancel=cancel, schedule=PollSchedule(cap=60.0), heartbeat=beats.append)
    assert 100.0 <= clock.monotonic() <= 101.5
    assert len(beats) == 3


# --- history hint -----------------------------------------------------------------------


def test_hint_makes_polls_dense_near_the_expected_end_and_sparse_before() -> None:
    op = Operation(ManualClock(), finish=330.0)
    wait(op, schedule=NO_JITTER, hint=DurationHint(median=300.0, spread=0.15))
    early = [t for t in op.call_times if t < 150.0]
    near = [t for t in op.call_times if 280.0 <= t <= 340.0]
    assert len(early) >= 2
    assert intervals(early) == pytest.approx([NO_JITTER.hinted_cap] * (len(early) - 1))
    assert len(near) >= 5
    assert max(intervals(near)) <= 30.0 / 2
    assert op.call_times[-1] - 330.0 < 15.0


def test_hint_delays_the_first_call_that_would_only_see_running() -> None:
    op = Operation(ManualClock(), finish=300.0)
    wait(op, schedule=NO_JITTER, hint=DurationHint(median=300.0, spread=0.2))
    assert op.call_times[0] == pytest.approx(NO_JITTER.hinted_cap)


def test_short_hint_polls_quickly_from_the_start() -> None:
    op = Operation(ManualClock(), finish=3.0)
    wait(op, schedule=NO_JITTER, hint=DurationHint(median=3.0, spread=0.25))
    assert op.call_times[0] <= 4.0
    assert len(op.call_times) <= 2


def test_operation_outliving_its_hint_backs_off_to_the_cap() -> None:
    op = Operation(ManualClock(), finish=2000.0)
    wait(op, schedule=NO_JITTER, hint=DurationHint(median=60.0, spread=0.2))
    late = [t for t in op.call_times if t > 600.0]
    assert intervals(late) == pytest.approx([30.0] * (len(late) - 1), abs=1.0)


def test_hinted_interval_never_leaves_floor_and_cap() -> None:
    schedule = PollSchedule()
    hint = DurationHint(median=120.0, spread=0.1)
    got = [schedule.hinted_interval(t, hint) for t in range(0, 3000, 7)]
    assert min(got) >= schedule.floor
    assert max(got) <= schedule.hinted_cap
    assert min(got) < 10.0


def test_hint_beats_docs_cadence_on_lag_without_more_calls_for_a_typical_deploy() -> None:
    hinted = Operation(ManualClock(), finish=160.0)
    wait(hinted, schedule=NO_JITTER, hint=duration_hint([150.0, 140.0, 170.0, 155.0, 145.0]))
    docs_call_times = [*range(0, 31, 5), *range(60, 181, 30)]  # 5 s for 30 s, then 30 s
    docs_lag = next(t for t in docs_call_times if t >= 160.0) - 160.0
    assert hinted.call_times[-1] - 160.0 < docs_lag / 2
    assert len(hinted.call_times) <= len(docs_call_times)


# --- turning history into a hint ----------------------------------------------------------


def test_duration_hint_uses_the_median_and_ignores_one_outlier() -> None:
    hint = duration_hint([100.0, 110.0, 90.0, 105.0, 5000.0])
    assert hint is not None
    assert hint.median == pytest.approx(105.0)
    assert hint.samples == 5
    assert hint.spread < 0.2


def test_duration_hint_without_usable_history_is_none() -> None:
    assert duration_hint([]) is None
    assert duration_hint([0.0, -3.0, float("nan")]) is None


def test_duration_hint_from_few_samples_is_wide_and_identical_samples_are_floored() -> None:
    few = duration_hint([60.0])
    assert few is not None
    assert few.spread == pytest.approx(0.5)
    same = duration_hint([60.0] * 6)
    assert same is not None
    assert same.spread == pytest.approx(0.15)


def test_duration_hint_reads_only_the_most_recent_samples() -> None:
    hint = duration_hint([10.0] * 10 + [1000.0] * 20)
    assert hint is not None
    assert hint.median == pytest.approx(10.0)


def test_hint_from_spans_skips_running_and_inconsistent_operations() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    spans = [
        (t0, t0 + timedelta(seconds=120)),
        (t0, None),
        (t0, t0 - timedelta(days=1)),
        (None, t0),
        (t0, t0 + timedelta(seconds=80)),
        (t0, t0 + timedelta(seconds=100)),
    ]
    hint = hint_from_spans(spans)
    assert hint is not None
    assert hint.samples == 3
    assert hint.median == pytest.approx(100.0)


class FakeOperation:
    """What the API read models look like to the hint helper: two optional timestamps."""

    def __init__(self, started: datetime, seconds: float | None, status: str = "Finished") -> None:
        self.started_date_time = started
        self.finished_date_time = None if seconds is None else started + timedelta(seconds=seconds)
        self.status = status


def test_hint_from_operations_reads_api_models_and_stops_after_enough_samples() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    consumed: list[int] = []

    def history() -> Iterator[FakeOperation]:
        for i in range(1000):
            consumed.append(i)
            yield FakeOperation(t0, 90.0 if i % 2 else None)

    hint = hint_from_operations(history(), max_samples=4)
    assert hint is not None
    assert hint.median == pytest.approx(90.0)
    assert hint.samples == 4
    assert len(consumed) <= 12  # a paged list is not read to its end
    assert hint_from_operations([FakeOperation(t0, None), object()]) is None


def test_hint_from_operations_ignores_failed_operations() -> None:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    ops = [FakeOperation(t0, 5.0, "FinishedWithError")] * 5 + [FakeOperation(t0, 120.0)] * 3
    hint = hint_from_operations(ops)
    assert hint is not None
    assert hint.median == pytest.approx(120.0)
    assert hint.samples == 3


@pytest.mark.parametrize(("median", "spread"), [(0.0, 0.3), (-1.0, 0.3), (10.0, 0.0), (float("inf"), 0.3)])
def test_duration_hint_rejects_nonsense(median: float, spread: float) -> None:
    with pytest.raises(ValueError, match="must be positive"):
        DurationHint(median=median, spread=spread)
