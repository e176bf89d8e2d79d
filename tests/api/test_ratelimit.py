"""The client-side limiter keeps ODC's per-organization windows under concurrent callers."""

from __future__ import annotations

import threading

from odc_pipeline.api.ratelimit import Limit, RateLimiter
from odc_pipeline.clock import ManualClock

from .stub import Reply


def max_in_any_window(times: list[float], window: float = 60.0) -> int:
    times = sorted(times)
    return max(sum(1 for t in times if start <= t < start + window) for start in times)


def test_ten_posts_per_minute_hold_under_concurrent_callers():
    clock = ManualClock()
    limiter = RateLimiter(clock)
    post = [Limit("domain:builds", 100), Limit("post:builds", 10)]
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
