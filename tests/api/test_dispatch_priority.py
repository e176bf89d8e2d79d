"""Slots go to the critical path: waiters ranked by priority, reservations held for a critical start.

Concurrent waits run on a :class:`LockstepClock` (virtual time moves only when every participant
sleeps, ties wake in the order the sleeps were asked), so the admission times below are exact
and no test sleeps. Single-caller cases use a :class:`ManualClock`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import pytest

from odc_pipeline import dispatch
from odc_pipeline.api.admission import RESERVATION_RECHECK
from odc_pipeline.api.ratelimit import Limit, RateLimiter, starting
from odc_pipeline.clock import LockstepClock, ManualClock

POST = Limit("post:POST /api/deployments/v1/deployment-operations", 10)
DOMAIN = Limit("domain:/api/deployments/v1", 100)
Participant = Callable[[LockstepClock, RateLimiter, dict[str, float]], None]


def at(
    moment: float, name: str, limits: Sequence[Limit], *, priority: float = 0.0, owner: str | None = None
) -> Participant:
    """Arrive at ``moment`` and ask for one slot of ``limits`` as work of ``priority``/``owner``."""

    def participant(clock: LockstepClock, limiter: RateLimiter, admitted: dict[str, float]) -> None:
        clock.sleep(moment - clock.monotonic())
        with dispatch.working(priority, owner):
            admitted[name] = limiter.acquire(limits)

    return participant


def filler(times: Sequence[float], limits: Sequence[Limit]) -> Participant:
    """Take one slot at each of ``times`` (ordinary work), so slots reopen at ``time + 60``."""

    def participant(clock: LockstepClock, limiter: RateLimiter, admitted: dict[str, float]) -> None:
        for n, moment in enumerate(times):
            clock.sleep(moment - clock.monotonic())
            admitted[f"fill{n}"] = limiter.acquire(limits)

    return participant


def run_together(
    participants: Sequence[Participant], setup: Callable[[RateLimiter], None] | None = None
) -> tuple[dict[str, float], RateLimiter]:
    clock = LockstepClock(len(participants))
    limiter = RateLimiter(clock)
    if setup is not None:
        setup(limiter)
    admitted: dict[str, float] = {}

    def run(participant: Participant) -> None:
        try:
            participant(clock, limiter, admitted)
        finally:
            clock.leave()

    threads = [threading.Thread(target=run, args=(p,), daemon=True) for p in participants]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=20)
    assert not any(t.is_alive() for t in threads)
    return admitted, limiter


def order(admitted: dict[str, float], names: Sequence[str]) -> list[str]:
    return sorted(names, key=lambda name: admitted[name])


# --- critical-path order ---------------------------------------------------------------------


def test_waiters_on_a_full_bucket_are_admitted_highest_priority_first_as_slots_reopen():
    priorities = {"p1": 1, "p5": 5, "p3": 3, "p4": 4, "p2": 2}  # arrival order: p1 first
    waiters = [
        at(20 + 0.1 * n, name, [POST], priority=priority, owner=name)
        for n, (name, priority) in enumerate(priorities.items())
    ]
    admitted, _ = run_together([filler([float(t) for t in range(10)], [POST]), *waiters])
    assert [admitted[f"fill{n}"] for n in range(10)] == [float(t) for t in range(10)]
    # the fills leave the window one a second from t=60: one waiter per reopened slot, best first
    assert {name: admitted[name] for name in priorities} == {
        "p5": 60.0,
        "p4": 61.0,
        "p3": 62.0,
        "p2": 63.0,
        "p1": 64.0,
    }


def test_equal_priorities_are_admitted_in_arrival_order():
    waiters = [
        at(20, "a", [POST], priority=2),
        at(21, "b", [POST], priority=2),
        at(22, "critical", [POST], priority=5),
        at(23, "d", [POST], priority=2),
    ]
    admitted, _ = run_together([filler([float(t) for t in range(10)], [POST]), *waiters])
    assert order(admitted, ["a", "b", "critical", "d"]) == ["critical", "a", "b", "d"]
    assert [admitted[n] for n in ("critical", "a", "b", "d")] == [60.0, 61.0, 62.0, 63.0]


# --- the domain bucket shared by reads and starts --------------------------------------------


def test_a_read_is_not_held_for_a_start_that_waits_on_its_post_window():
    """The start cannot go before its POST window reopens, so it claims no domain slot meanwhile."""
    domain, post = Limit("domain:d", 2), Limit("post:d", 1)
    admitted, limiter = run_together(
        [
            at(0, "start0", [domain, post]),
            at(10, "start1", [domain, post], priority=5, owner="app1"),
            at(20, "read", [domain]),
        ]
    )
    assert admitted == {"start0": 0.0, "read": 20.0, "start1": 60.0}
    assert limiter.held_back == 0


def test_a_waiting_start_takes_the_reopened_domain_slot_before_a_read_that_waited_longer():
    """Reads run at priority 0, starts at the engine's priority: the read asked first (t=5) and
    would be first in line without ranking; the start gets the slot at 60, the read the next."""
    domain, post = Limit("domain:d", 2), Limit("post:d", 1)
    admitted, limiter = run_together(
        [
            at(0, "start0", [domain, post]),
            at(1, "read0", [domain]),
            at(5, "read1", [domain]),
            at(10, "start1", [domain, post], priority=5, owner="app1"),
        ]
    )
    assert admitted == {"start0": 0.0, "read0": 1.0, "start1": 60.0, "read1": 61.0}
    assert limiter.held_back == 1  # read1 had room at 60 and gave way


def poller(name: str, reads: int, limits: Sequence[Limit]) -> Participant:
    """Polls as fast as the window lets it (a quarter second between answer and next request)."""

    def participant(clock: LockstepClock, limiter: RateLimiter, admitted: dict[str, float]) -> None:
        for n in range(reads):
            admitted[f"{name}{n}"] = limiter.acquire(limits)
            clock.sleep(0.25)

    return participant


def test_polls_that_keep_the_domain_busy_do_not_starve_a_waiting_start():
    """Three pollers saturate a 4/min domain; a start asking at 30 gets the first slot that
    reopens (60), although the pollers, asking again and again, are first in line by arrival."""
    domain, post = Limit("domain:d", 4), Limit("post:d", 10)
    admitted, _ = run_together(
        [
            poller("a", 30, [domain]),
            poller("b", 30, [domain]),
            poller("c", 30, [domain]),
            at(30.1, "start", [domain, post], priority=5, owner="app"),
        ]
    )
    assert admitted["start"] == 60.0
    polls = sorted(t for name, t in admitted.items() if name != "start")
    assert polls[:7] == [0.0, 0.0, 0.0, 0.25, 60.0, 60.0, 60.25]  # the start took one of the three at 60


# --- reservations ------------------------------------------------------------------------------


def _filled(n: int, capacity: int = 10) -> tuple[ManualClock, RateLimiter, Limit]:
    clock = ManualClock()
    limiter = RateLimiter(clock)
    limit = Limit("post:k", capacity)
    for _ in range(n):
        limiter.acquire([limit])
    return clock, limiter, limit


def test_a_reservation_holds_the_last_slot_from_lower_priority_work_until_it_expires():
    clock, limiter, limit = _filled(9)
    reservation = limiter.reserve(limit.key, priority=5, owner="critical", at=30, grace=10)
    assert limiter.holding(limit.key) == 1
    with dispatch.working(1.0, "leaf"):
        assert limiter.acquire([limit]) == 40.0  # at + grace: the critical start never came
    assert reservation.state == "expired"
    assert limiter.reservations_expired == 1
    assert limiter.holding(limit.key) == 0
    assert limiter.held_back == 1
    assert limiter.waited == 40.0
    assert set(clock.sleeps) == {RESERVATION_RECHECK}  # it looked again every few seconds


@pytest.mark.parametrize("priority", [5.0, 9.0])
def test_equal_or_higher_priority_work_is_not_held_back_by_a_reservation(priority):
    _, limiter, limit = _filled(9)
    reservation = limiter.reserve(limit.key, priority=5, owner="critical", at=30)
    with dispatch.working(priority, "other"):
        assert limiter.acquire([limit]) == 0.0
    assert reservation.state == "pending"  # someone else's request does not use it up
    assert limiter.held_back == 0


def test_the_owners_start_uses_up_its_reservation_even_at_a_lower_priority():
    _, limiter, limit = _filled(8)
    reservation = limiter.reserve(limit.key, priority=5, owner="critical", at=30)
    with dispatch.working(0.0, "critical"):
        assert limiter.acquire([limit]) == 0.0
    assert reservation.state == "consumed"
    assert limiter.reservations_consumed == 1
    assert limiter.holding(limit.key) == 0
    with dispatch.working(1.0, "leaf"):
        assert limiter.acquire([limit]) == 0.0  # the 10th slot is free again: nothing held any more


def test_the_owners_reads_do_not_use_up_the_slot_promised_to_its_start():
    _, limiter, limit = _filled(8)
    reservation = limiter.reserve(limit.key, priority=5, owner="critical", at=30, grace=10)
    with dispatch.working(5.0, "critical"), starting(False):  # a poll of the same asset
        assert limiter.acquire([limit]) == 0.0
    assert reservation.state == "pending"
    with dispatch.working(1.0, "leaf"):
        assert limiter.acquire([limit]) == 40.0  # 9 taken + 1 held: the leaf waits for expiry


def test_n_reservations_hold_n_slots():
    _, limiter, limit = _filled(7)
    for owner in ("a", "b"):
        limiter.reserve(limit.key, priority=5, owner=owner, at=30, grace=10)
    with dispatch.working(1.0, "leaf"):
        assert limiter.acquire([limit]) == 0.0  # 7 + 2 held < 10
    limiter.reserve(limit.key, priority=5, owner="c", at=30, grace=10)
    assert limiter.holding(limit.key) == 3
    with dispatch.working(1.0, "leaf"):
        assert limiter.acquire([limit]) == 40.0  # 8 + 3 held: full until they expire


def test_a_reservation_is_active_from_at_minus_the_window():
    """A slot taken at t is taken until t+60, so a start due at 100 needs the slot kept from 40."""
    clock, limiter, limit = _filled(1, capacity=2)
    limiter.reserve(limit.key, priority=5, owner="critical", at=100)
    clock.advance(39.9)
    with dispatch.working(1.0, "leaf"):
        assert limiter.acquire([limit]) == 39.9  # not active yet
    assert limiter.held_back == 0

    clock, limiter, limit = _filled(1, capacity=2)
    limiter.reserve(limit.key, priority=5, owner="critical", at=100)
    clock.advance(40.0)
    with dispatch.working(1.0, "leaf"):
        assert limiter.acquire([limit]) == 60.0  # held from 40: waits for the first slot to reopen
    assert limiter.held_back == 1


def test_cancel_releases_the_slot_and_is_idempotent():
    _, limiter, limit = _filled(9)
    reservation = limiter.reserve(limit.key, priority=5, owner="critical", at=30)
    reservation.cancel()
    reservation.cancel()
    assert reservation.state == "cancelled"
    with dispatch.working(1.0, "leaf"):
        assert limiter.acquire([limit]) == 0.0

    _, limiter, limit = _filled(8)
    used = limiter.reserve(limit.key, priority=5, owner="critical", at=30)
    with dispatch.working(5.0, "critical"):
        limiter.acquire([limit])
    used.cancel()
    assert used.state == "consumed"  # cancelling after use changes nothing


def test_a_request_waiting_behind_a_reservation_goes_soon_after_it_is_cancelled():
    limit = Limit("post:k", 2)
    box: dict[str, object] = {}

    def setup(limiter: RateLimiter) -> None:
        limiter.acquire([limit])
        box["reservation"] = limiter.reserve(limit.key, priority=5, owner="critical", at=30, grace=100)

    def canceller(clock: LockstepClock, limiter: RateLimiter, admitted: dict[str, float]) -> None:
        clock.sleep(12)
        box["reservation"].cancel()  # type: ignore[attr-defined]  # the critical build failed

    admitted, limiter = run_together([at(0, "leaf", [limit], priority=1, owner="leaf"), canceller], setup)
    assert admitted == {"leaf": 15.0}  # the next look after the cancel (every 5 s), not at 130
    assert limiter.held_back == 1


def test_a_reservation_keeps_a_slot_for_the_critical_start_against_leaves_that_asked_first():
    """The scenario reservations exist for: the critical app's build ends at 65.5, six leaves have
    been waiting since 60.5. Without the reservation they take every slot reopening from 60.5 to
    65 and the critical start, asking at 65.5, finds the window full until 66."""

    def setup(limiter: RateLimiter) -> None:
        limiter.reserve(POST.key, priority=400, owner="critical", at=65.5, grace=10)

    leaves = [f"leaf{n}" for n in range(1, 7)]
    admitted, limiter = run_together(
        [
            filler([float(t) for t in range(10)], [POST]),
            *(at(60.5 + 0.01 * n, leaf, [POST], priority=30, owner=leaf) for n, leaf in enumerate(leaves)),
            at(65.5, "critical", [POST], priority=400, owner="critical"),
        ],
        setup,
    )
    assert admitted["critical"] == 65.5  # its slot was kept: it goes the moment it asks
    assert [admitted[leaf] for leaf in leaves] == [61.0, 62.0, 63.0, 64.0, 65.0, 66.0]
    assert limiter.reservations_consumed == 1
    assert limiter.held_back >= 1  # at 60.5 a slot was free, and held


def test_reserve_refuses_nonsense():
    limiter = RateLimiter(ManualClock())
    with pytest.raises(ValueError, match="NaN"):
        limiter.reserve("k", priority=float("nan"), owner="a", at=1)
    with pytest.raises(ValueError, match="grace"):
        limiter.reserve("k", priority=1, owner="a", at=1, grace=-1)
