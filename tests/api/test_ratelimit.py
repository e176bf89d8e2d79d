"""The client-side limiter keeps ODC's per-organization windows under concurrent callers."""

from __future__ import annotations

import os
import threading

from odc_pipeline.api.ratelimit import Limit, RateLimiter
from odc_pipeline.clock import ManualClock

from .stub import Reply


def max_in_any_window(times: list[float], window: float = 60.0) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


class InterleavingLimit:
    """A Limit that hands the CPU to another thread whenever the limiter reads it.

    The limiter reads ``capacity`` right after counting a window, so a limiter without one
    critical section around check-and-record lets several callers into the same last slot.
    No sleeping: ``os.sched_yield`` only gives up the rest of the time slice.
    """

    def __init__(self, key: str, capacity: int, window: float = 60.0) -> None:
        self.key = key
        self._capacity = capacity
        self.window = window

    @property
    def capacity(self) -> int:
        os.sched_yield()
        return self._capacity


def test_ten_posts_per_minute_hold_under_concurrent_callers():
    clock = ManualClock()
    limiter = RateLimiter(clock)
    post = [InterleavingLimit("domain:builds", 100), InterleavingLimit("post:builds", 10)]
    granted: list[float] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def worker() -> None:
        start.wait()
        for _ in range(4):
            t = limiter.acquire(post)
            with lock:
                granted.append(t)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert len(granted) == 32
    assert max_in_any_window(granted) == 10
    assert max(granted) >= 180.0  # 32 requests need at least four windows
    assert limiter.in_window("post:builds") <= 10


def test_posts_count_toward_the_domain_pool():
    clock = ManualClock()
    limiter = RateLimiter(clock)
    for _ in range(10):
        limiter.acquire([Limit("domain:d", 100), Limit("post:d", 10)])
    for _ in range(90):
        limiter.acquire([Limit("domain:d", 100)])
    assert clock.monotonic() == 0.0  # 100 requests fit in the first window
    t = limiter.acquire([Limit("domain:d", 100)])  # a GET: only the domain pool is full
    assert t == 60.0


def test_window_slides_instead_of_resetting():
    clock = ManualClock()
    limiter = RateLimiter(clock)
    limit = [Limit("k", 2)]
    assert limiter.acquire(limit) == 0.0
    clock.advance(30)
    assert limiter.acquire(limit) == 30.0
    assert limiter.acquire(limit) == 60.0  # the first left the window at t=60
    assert limiter.acquire(limit) == 90.0  # and the second at t=90


def test_client_spaces_build_posts_and_leaves_gets_alone(client, stub, clock):
    stub.on("POST", "/api/builds/v1/build-operations", Reply(201, {"buildKey": "b", "isSuccessful": True}))
    stub.on("GET", "/api/builds/v1/build-operations", Reply(200, {"builds": []}))
    for _ in range(10):
        client.builds.start("a1", 1)
        client.builds.list("a1")
    assert clock.monotonic() == 0.0
    client.builds.list("a1")  # GETs of the domain are not held by the POST limit
    assert clock.monotonic() == 0.0
    client.builds.start("a1", 1)
    assert clock.monotonic() == 60.0
    assert client.http.call_counts["POST /api/builds/v1/build-operations"] == 11


def test_deployment_and_build_posts_have_separate_windows(client, stub, clock):
    stub.on("POST", "/api/builds/v1/build-operations", Reply(201, {"buildKey": "b", "isSuccessful": True}))
    stub.on(
        "POST", "/api/deployments/v1/deployment-operations", Reply(201, {"key": "d", "status": "Running"})
    )
    for _ in range(10):
        client.builds.start("a1", 1)
        client.deployments.start(
            operation="Deploy", asset_key="a1", environment_key="e", revision=1, build_key="b"
        )
    assert clock.monotonic() == 0.0


def test_concurrent_client_callers_send_at_most_ten_build_posts_per_minute(client, stub):
    """Admission times are recorded (not the stub's clock reading): with a ManualClock another
    thread's sleep may move time between admission and sending, which real time does not."""
    limiter = client.http.rate_limiter
    admitted: list[float] = []
    lock = threading.Lock()
    acquire = limiter.acquire

    def recording_acquire(limits):
        granted = acquire(limits)
        if any(limit.key.startswith("post:") for limit in limits):
            with lock:
                admitted.append(granted)
        return granted

    limiter.acquire = recording_acquire
    stub.on("POST", "/api/builds/v1/build-operations", Reply(201, {"buildKey": "b", "isSuccessful": True}))
    client.http.auth.token()  # fetch the token first: the threads then only compete for slots
    threads = [
        threading.Thread(target=lambda: [client.builds.start("a1", n) for n in range(5)]) for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert not any(t.is_alive() for t in threads)
    assert len(admitted) == 30
    assert max_in_any_window(admitted) == 10
    assert max(admitted) >= 120.0  # 30 POSTs need three windows
    assert len(stub.calls("POST", "/api/builds/v1/build-operations")) == 30


def test_a_slot_reopens_a_window_after_the_answer_arrived_not_after_admission():
    clock = ManualClock()
    limiter = RateLimiter(clock)
    limit = [Limit("post:k", 1)]
    admitted = limiter.acquire(limit)
    clock.advance(4)  # the request took 4 s to reach ODC and answer
    limiter.settle(limit, admitted)
    assert limiter.acquire(limit) == 64.0  # ODC counted it at ~4 s: 60 s later, not at 60


def test_a_slow_first_answer_does_not_let_an_eleventh_post_into_the_servers_minute(client, stub, clock):
    arrived: list[float] = []

    def answer(seen):
        clock.advance(5.0 if not arrived else 0.1)  # the first upload is slow, the rest are quick
        arrived.append(clock.monotonic())  # ODC counts the request when it arrives
        return Reply(201, {"buildKey": "b", "isSuccessful": True})

    stub.on("POST", "/api/builds/v1/build-operations", answer)
    for n in range(21):
        client.builds.start("a1", n)
    assert len(arrived) == 21
    assert max_in_any_window(arrived) == 10
