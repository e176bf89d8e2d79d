"""Deploy POSTs against the simulator's real 10/min limit go by priority, with a reservation, no 429.

The real client and the real simulator on loopback share one clock. Ten deploys fill the
minute's window; ten leaves of distinct priorities then wait for it to reopen, and a
reservation keeps one slot for a critical app whose build "ends" after every filled slot has
reopened. What must hold: the leaves get the reopened slots most urgent first, the critical app
is admitted the moment it asks (its slot was kept from leaves that asked earlier), the least
urgent leaf waits for the next minute, and the simulator answers no request with 429.

Two clocks. A :class:`LockstepClock` (every thread a participant; HTTP takes no clock time)
makes the admission times exact. A :class:`ScaledClock` adds real latency, so the answers'
arrival (``settle``) and thread wake-ups are real; at its scale a thread woken a few
milliseconds late is seconds of clock time, so there the order is asserted per minute, not per
slot (a leaf may use a spare slot while a more urgent one is still waking up).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from odc_pipeline import dispatch
from odc_pipeline.api import OdcClient
from odc_pipeline.api.ratelimit import RateLimiter, Reservation
from odc_pipeline.clock import Clock, LockstepClock, ScaledClock
from odc_pipeline.settings import Settings
from odc_pipeline.simulator import parse_tenant, start_simulator

from .e2e import RATE_LIMITED, two_stage_tenant
from .test_e2e_rate_limits import most_in_a_minute

FILL = [f"Fill {n:02d}" for n in range(1, 11)]
LEAVES = {f"Leaf {n:02d}": float(10 * n) for n in range(1, 11)}  # priority: Leaf 10 is the most urgent
BY_PRIORITY = sorted(LEAVES, key=LEAVES.__getitem__, reverse=True)
CRITICAL = "Critical"
NAMES = [*FILL, *LEAVES, CRITICAL]
DEPLOY_BUCKET = "post:POST /api/deployments/v1/deployment-operations"


def tenant() -> str:
    assets = [
        {
            "name": name,
            "type": "WebApplication",
            "revisions": [{"revision": 1}, {"revision": 2}],
            "builds": [{"revision": 2, "type": "Release"}],
        }
        for name in NAMES
    ]
    return two_stage_tenant(
        "Critical Path", assets, deployments={"QA": dict.fromkeys(NAMES, 1)}, **RATE_LIMITED
    )


@dataclass
class Release:
    """The deploy POSTs of one scenario: when each owner asked, was admitted, and waited."""

    simulator: Any
    client: OdcClient
    clock: Clock
    asked: dict[str, float] = field(default_factory=dict)
    admitted: dict[str, float] = field(default_factory=dict)
    blocked: dict[str, float] = field(default_factory=dict)  # clock time spent inside acquire
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def limiter(self) -> RateLimiter:
        return self.client.http.rate_limiter

    def record_admissions(self) -> None:
        acquire = self.limiter.acquire

        def recording(limits: Any) -> float:
            entered = self.clock.monotonic()
            granted = acquire(limits)
            owner = dispatch.current().owner
            if owner and any(limit.key == DEPLOY_BUCKET for limit in limits):
                with self.lock:
                    self.admitted[owner] = granted
                    self.blocked[owner] = granted - entered
            return granted

        self.limiter.acquire = recording  # type: ignore[method-assign]

    def deploy(self, name: str, priority: float) -> None:
        state = self.simulator.state
        qa = next(s.key for s in state.stages if s.name == "QA")
        asset = next(a.key for a in state.assets.values() if a.name == name)
        build = next(
            b.key
            for b in state.builds.values()
            if b.asset_key == asset and b.revision == 2 and b.build_type == "Release"
        )
        with dispatch.working(priority, name):
            self.asked[name] = self.clock.monotonic()
            self.client.deployments.start(
                operation="Deploy", asset_key=asset, environment_key=qa, revision=2, build_key=build
            )

    def reserve(self, at: float) -> Reservation:
        return self.limiter.reserve(DEPLOY_BUCKET, priority=1000.0, owner=CRITICAL, at=at)

    def order(self) -> list[str]:
        return sorted([*LEAVES, CRITICAL], key=self.admitted.__getitem__)

    def check_the_simulator_saw_no_429_and_each_deploy_once(self) -> None:
        log = self.simulator.request_log.entries()
        assert [e for e in log if e.status == 429] == []
        accepted = [
            e for e in log if e.method == "POST" and "/deployment-operations" in e.path and e.status == 201
        ]
        state = self.simulator.state
        assert sorted(state.asset(e.body["assetKey"]).name for e in accepted) == sorted(NAMES)
        assert most_in_a_minute([e.time for e in accepted]) <= 10


def run_threads(targets: list[Callable[[], None]]) -> None:
    threads = [threading.Thread(target=target, daemon=True) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads)


def scenario(clock: Clock, body: Callable[[Release], None]) -> Release:
    with start_simulator(parse_tenant(tenant()), clock=clock) as simulator:
        settings = Settings.from_env(
            {}, portal_url=simulator.url, client_id=simulator.client_id, client_secret=simulator.client_secret
        )
        release = Release(simulator, OdcClient(settings, clock=clock), clock)
        release.record_admissions()
        try:
            body(release)
        finally:
            release.client.close()
        release.check_the_simulator_saw_no_429_and_each_deploy_once()
        return release


def test_on_a_lockstep_clock_each_reopened_slot_goes_to_the_most_urgent_leaf_and_one_waits_for_its_app():
    clock = LockstepClock(2 + len(LEAVES))
    reservation: list[Reservation] = []

    def participant(work: Callable[[], None]) -> Callable[[], None]:
        def run() -> None:
            try:
                work()
            finally:
                clock.leave()

        return run

    def body(release: Release) -> None:
        reservation.append(release.reserve(at=75.0))  # active from 15 s

        def fill() -> None:
            for n, name in enumerate(FILL):
                clock.sleep(n - clock.monotonic())  # one a second: the slots reopen at 60..69
                release.deploy(name, 0.0)

        def leaf(n: int, name: str) -> Callable[[], None]:
            def run() -> None:
                clock.sleep(20 + 0.1 * n)  # they all ask long before the window reopens
                release.deploy(name, LEAVES[name])

            return run

        def critical() -> None:
            clock.sleep(75.0)  # its build ends after every filled slot has reopened
            release.deploy(CRITICAL, 1000.0)

        run_threads(
            [
                participant(fill),
                *(participant(leaf(n, name)) for n, name in enumerate(LEAVES)),
                participant(critical),
            ]
        )

    release = scenario(clock, body)
    assert [release.admitted[name] for name in FILL] == [float(n) for n in range(10)]
    assert release.order() == [*BY_PRIORITY[:9], CRITICAL, BY_PRIORITY[9]]
    # slot 60 is the held one; without the reservation Leaf 10 takes it, Leaf 01 gets 69 and the
    # critical app 120
    assert [release.admitted[name] for name in BY_PRIORITY[:9]] == [float(t) for t in range(61, 70)]
    assert release.admitted[CRITICAL] == 75.0
    assert release.blocked[CRITICAL] == 0.0  # it did not wait at all
    assert release.admitted[BY_PRIORITY[9]] == 121.0  # Leaf 10's slot reopens
    assert reservation[0].state == "consumed"
    assert release.limiter.held_back >= 1


def test_on_a_scaled_clock_the_reserved_slot_waits_for_its_app_and_the_last_leaf_for_the_next_minute():
    clock = ScaledClock(0.002)
    reservation: list[Reservation] = []

    def body(release: Release) -> None:
        for name in FILL:
            release.deploy(name, 0.0)
        assert release.limiter.in_window(DEPLOY_BUCKET) == 10
        critical_at = clock.monotonic() + 70.0  # after every filled slot has reopened (+60)
        reservation.append(release.reserve(at=critical_at))

        def critical() -> None:
            clock.sleep(critical_at - clock.monotonic())
            release.deploy(CRITICAL, 1000.0)

        run_threads([*(lambda n=name: release.deploy(n, LEAVES[n]) for name in LEAVES), critical])

    release = scenario(clock, body)
    order = release.order()
    assert set(order[:9]) == set(BY_PRIORITY[:9])  # the nine most urgent take the reopened slots
    # without the reservation the least urgent leaf, waiting since long, takes the tenth reopened
    # slot before the critical app asks, and the critical app waits for the next minute
    assert order[9:] == [CRITICAL, BY_PRIORITY[9]]
    assert release.admitted[BY_PRIORITY[9]] > min(release.admitted[n] for n in BY_PRIORITY[:9]) + 59.0
    assert reservation[0].state == "consumed"
    assert release.limiter.held_back >= 1
