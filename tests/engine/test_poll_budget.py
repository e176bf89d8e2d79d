"""Polls that spend the domain budget: shared across concurrent waits, dense near the expected
end when the domain is idle, never crowding out start POSTs, bounded by the timeout.

Concurrent waits run on a :class:`LockstepClock` (virtual time that moves only when every wait
sleeps), single waits on a :class:`ManualClock`; nothing sleeps in real time.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Sequence
from contextlib import ExitStack

import pytest

from odc_pipeline.api.ratelimit import Limit, RateLimiter
from odc_pipeline.clock import LockstepClock, ManualClock
from odc_pipeline.engine.poller import (
    DEFAULT_SCHEDULE,
    HEARTBEAT_SECONDS,
    PRIORS,
    DurationHint,
    PollBudget,
    PollSchedule,
    wait_for,
)
from odc_pipeline.engine.wait_domains import budget_for, prior_for
from odc_pipeline.errors import OperationTimeoutError

TIGHT = DurationHint(median=120.0, spread=0.15)


def _wait(clock, finish: float, calls: list[float], **kwargs: object) -> str:
    def fetch() -> str:
        calls.append(clock.monotonic())
        return "Finished" if clock.monotonic() >= finish else "Running"

    params: dict[str, object] = {
        "what": "deploy op-1",
        "describe": str,
        "timeout": 3600.0,
        "clock": clock,
        "rng": random.Random(7),
    }
    params.update(kwargs)
    return wait_for(fetch, lambda s: s == "Finished", **params)  # type: ignore[arg-type]


def _concurrently(finishes: Sequence[float], *, budget: bool) -> tuple[list[list[float]], PollBudget | None]:
    """One wait per finish time, all started together and all hinted near 120 s."""
    clock = LockstepClock(len(finishes))
    shared = PollBudget(clock) if budget else None
    calls: list[list[float]] = [[] for _ in finishes]
    errors: list[BaseException] = []

    def worker(i: int) -> None:
        try:
            _wait(clock, finishes[i], calls[i], hint=TIGHT, budget=shared, rng=random.Random(i))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            clock.leave()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(finishes))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert all(not t.is_alive() for t in threads)
    return calls, shared


def _busiest_minute(times: list[float]) -> int:
    times = sorted(times)
    return max(sum(1 for u in times[i:] if u < t + 60.0) for i, t in enumerate(times))


FINISHES = [115.0 + (i % 11) for i in range(30)]


def test_concurrent_waits_stay_within_the_domain_poll_budget_and_all_finish() -> None:
    unbudgeted, _ = _concurrently(FINISHES, budget=False)
    budgeted, budget = _concurrently(FINISHES, budget=True)
    assert budget is not None
    # Thirty waits dense around the same expected end would overrun the domain on their own...
    assert _busiest_minute(list(itertools.chain(*unbudgeted))) > budget.polls_per_minute
    # ...sharing a budget they stay within its share, leaving the reserve for starts.
    assert _busiest_minute(list(itertools.chain(*budgeted))) <= budget.polls_per_minute
    assert budget.polls_per_minute + budget.reserve == 100
    for finish, times in zip(FINISHES, budgeted, strict=True):
        assert times[-1] >= finish  # every wait saw its operation finish
        assert times[-1] - finish < 60.0
    assert budget.active == 0  # shares are released when waits end


def test_a_lone_wait_polls_densely_near_its_expected_end_and_sparsely_before() -> None:
    clock = ManualClock()
    calls: list[float] = []
    _wait(clock, 125.0, calls, hint=TIGHT, budget=PollBudget(clock), schedule=PollSchedule(jitter=0.0))
    near = [t for t in calls if 90.0 <= t <= 130.0]
    assert len(near) >= 6
    assert max(b - a for a, b in itertools.pairwise(near)) <= 8.0
    assert calls[0] == pytest.approx(DEFAULT_SCHEDULE.hinted_cap)  # sparse while unlikely
    assert calls[-1] - 125.0 < 6.0


def test_the_same_wait_is_spaced_out_when_the_domain_is_crowded() -> None:
    clock = ManualClock()
    budget = PollBudget(clock)
    crowd = [budget.share() for _ in range(34)]
    for share in crowd:
        budget.plan(share.__enter__(), 1.0)  # 34 waits at their ends, one call a second each
    calls: list[float] = []
    _wait(clock, 125.0, calls, hint=TIGHT, budget=budget, schedule=PollSchedule(jitter=0.0))
    before_end = [t for t in calls if t <= TIGHT.median]
    gaps = [b - a for a, b in itertools.pairwise(before_end)]
    assert len(gaps) >= 2
    assert min(gaps) >= 60.0 / (budget.polls_per_minute / 35) - 1e-9  # an equal share: 30 s
    # within a few calls of its expected end it keeps its own cadence (admission still caps
    # the minute), so the end is seen seconds after it, not half a minute
    assert calls[-1] - 125.0 < 6.0
    for share in crowd:
        share.__exit__(None, None, None)
    assert budget.active == 0


def test_the_floor_is_what_the_other_waits_leave_and_never_below_an_equal_share() -> None:
    budget = PollBudget(ManualClock())
    with budget.share() as me:
        assert budget.floor(me) == pytest.approx(60.0 / 70)
        with budget.share() as other:
            budget.plan(other, 2.0)  # 30 polls per minute
            assert budget.floor(me) == pytest.approx(60.0 / 40)
            with budget.share() as third:
                budget.plan(third, 0.5)  # would take 120/min on its own
                assert budget.floor(me) == pytest.approx(60.0 / (70 / 3))
                assert budget.plan(me, 0.1) == pytest.approx(60.0 / (70 / 3))
    assert budget.active == 0


def test_the_critical_wait_yields_only_to_waits_as_critical_as_itself() -> None:
    """The wait on the longest chain polls near its end as if alone; the leaves share the rest."""
    budget = PollBudget(ManualClock())
    with (
        budget.share(priority=300.0) as critical,
        budget.share(priority=90.0) as leaf,
        budget.share(priority=90.0) as other_leaf,
    ):
        budget.plan(other_leaf, 2.0)  # 30 polls a minute
        budget.plan(leaf, 2.0)
        assert budget.floor(critical) == pytest.approx(60.0 / 70)  # the leaves do not count
        budget.plan(critical, 1.0)  # 60 a minute near its expected end
        # a leaf yields to the critical wait and the other leaf: an equal share of the two
        assert budget.floor(leaf) == pytest.approx(60.0 / (70 / 3))


def test_the_work_priority_ranks_a_wait_when_none_is_given() -> None:
    from odc_pipeline import dispatch

    budget = PollBudget(ManualClock())
    with budget.share(priority=10.0) as leaf:
        budget.plan(leaf, 1.0)
        with dispatch.working(500.0, "critical-app"), budget.share() as critical:
            assert budget.floor(critical) == pytest.approx(60.0 / 70)
        with budget.share() as unranked:  # priority 0 outside any work: yields to the leaf
            assert budget.floor(unranked) == pytest.approx(60.0 / 35)


def test_polls_wait_while_the_domain_is_busy_so_start_posts_never_queue_behind_them() -> None:
    clock = ManualClock()
    limiter = RateLimiter(clock)
    domain = [Limit("domain:/api/deployments/v1", 100)]
    for _ in range(75):  # starts and reads of other waits fill three quarters of the minute
        limiter.acquire(domain)
    budget = PollBudget(clock, load=lambda: limiter.in_window(domain[0].key))
    calls: list[float] = []
    room_at_call: list[int] = []

    def fetch() -> str:
        room_at_call.append(100 - limiter.in_window(domain[0].key))
        limiter.acquire(domain)
        calls.append(clock.monotonic())
        return "Finished" if clock.monotonic() >= 40.0 else "Running"

    wait_for(
        fetch,
        lambda s: s == "Finished",
        what="deploy op-1",
        describe=str,
        timeout=600.0,
        clock=clock,
        rng=random.Random(1),
        hint=DurationHint(median=30.0, spread=0.2),
        budget=budget,
    )
    assert calls[0] >= 60.0  # nothing until the busy minute has passed
    assert min(room_at_call) > budget.reserve  # a start POST always found room
    assert limiter.waited == 0.0  # polls never made the limiter wait
    assert budget.postponed > 0


def test_a_budget_never_stretches_a_wait_past_its_timeout() -> None:
    clock = ManualClock()
    budget = PollBudget(clock, load=lambda: 100)  # the domain never has room
    calls: list[float] = []
    with pytest.raises(OperationTimeoutError, match="300"):
        _wait(clock, 10_000.0, calls, timeout=300.0, budget=budget, hint=TIGHT)
    assert calls == [pytest.approx(300.0)]  # the one last call at the deadline
    assert clock.monotonic() == pytest.approx(300.0)


def test_a_hinted_schedule_is_bounded_by_the_timeout() -> None:
    clock = ManualClock()
    calls: list[float] = []
    with pytest.raises(OperationTimeoutError):
        _wait(clock, 10_000.0, calls, timeout=100.0, hint=DurationHint(median=5000.0, spread=0.2))
    assert calls[-1] == pytest.approx(100.0)
    assert all(t <= 100.0 for t in calls)


def test_hinted_delays_are_jittered_within_bounds() -> None:
    schedule = PollSchedule(jitter=0.2)
    for elapsed in (0.0, 100.0, 118.0):
        base = schedule.hinted_interval(elapsed, TIGHT)
        got = [schedule.next_delay(3, elapsed, TIGHT, random.Random(seed)) for seed in range(50)]
        assert all(0.8 * base - 1e-9 <= d <= 1.2 * base + 1e-9 for d in got)
        assert len({round(d, 6) for d in got}) > 40


def test_heartbeat_is_unchanged_by_a_budget() -> None:
    clock, beats, calls = ManualClock(), [], []
    _wait(clock, 600.0, calls, budget=PollBudget(clock), heartbeat=beats.append, hint=TIGHT)
    quiet_clock, quiet_calls = ManualClock(), []
    _wait(quiet_clock, 600.0, quiet_calls, budget=PollBudget(quiet_clock), hint=TIGHT)
    assert len(calls) == len(quiet_calls)  # beats never cost a status call
    elapsed = [int(b.rsplit("after ", 1)[1].rstrip("s")) for b in beats]
    gaps = [b - a for a, b in itertools.pairwise([0, *elapsed])]
    assert len(beats) >= 600 // 35
    assert min(gaps) >= HEARTBEAT_SECONDS - 1
    assert max(gaps) <= HEARTBEAT_SECONDS + 2


def test_a_prior_stands_in_for_a_missing_hint_and_a_hint_overrides_it() -> None:
    prior = PRIORS["deploy"]
    with_prior, as_hint, both = [], [], []
    _wait(ManualClock(), 200.0, with_prior, prior=prior)
    _wait(ManualClock(), 200.0, as_hint, hint=prior)
    _wait(ManualClock(), 200.0, both, hint=TIGHT, prior=prior)
    tight = []
    _wait(ManualClock(), 200.0, tight, hint=TIGHT)
    assert with_prior == as_hint
    assert both == tight
    assert with_prior != tight


def test_calls_cost_more_on_a_prior_than_on_history_of_the_same_shape() -> None:
    prior = PRIORS["build"]
    history = DurationHint(median=prior.median, spread=prior.spread)
    for elapsed in (0.0, 30.0, 90.0, 200.0):
        on_prior = DEFAULT_SCHEDULE.hinted_interval(elapsed, prior)
        assert on_prior > DEFAULT_SCHEDULE.hinted_interval(elapsed, history)


def test_without_history_the_prior_adapts_to_what_the_operation_has_shown() -> None:
    schedule = PollSchedule(jitter=0.0)
    prior = PRIORS["deploy"]
    # Early on the prior says "a few minutes": sparse; near its median: denser; long past it
    # the operation is evidently a slow one and the cadence relaxes again.
    early, middle, late = (schedule.hinted_interval(t, prior) for t in (0.0, 150.0, 1500.0))
    assert middle < early
    assert middle < late


def test_stages_map_to_their_domains_budget_and_prior() -> None:
    clock, budgets = ManualClock(), {}
    deploy = budget_for(budgets, object(), clock, "deploy")
    assert deploy is budget_for(budgets, object(), clock, "configure")  # both poll Deployments
    assert budget_for(budgets, object(), clock, "build") is not deploy
    assert budget_for(budgets, object(), clock, "release-notes") is None
    publish = budget_for(budgets, object(), clock, "publish")  # library generations
    assert publish is not None
    assert publish is not deploy
    assert publish is not budget_for(budgets, object(), clock, "build")
    assert prior_for("publish") is None  # generation durations are undocumented
    assert prior_for("impact-analysis") is PRIORS["analysis"]
    assert prior_for("build") is PRIORS["build"]
    assert prior_for("verify") is None  # code analyses: no documented duration, blind back-off


def test_the_budget_reads_the_clients_rate_limiter_for_its_domain() -> None:
    clock = ManualClock()
    limiter = RateLimiter(clock)
    for _ in range(80):
        limiter.acquire([Limit("domain:/api/builds/v1", 100)])

    class Http:
        rate_limiter = limiter

    class Client:
        http = Http()

    builds = budget_for({}, Client(), clock, "build")
    deploys = budget_for({}, Client(), clock, "deploy")
    assert builds is not None
    assert deploys is not None
    assert builds.admit() > 0  # the builds domain is busy
    assert deploys.admit() == 0.0  # the deployments domain is not


def test_the_reserve_is_kept_until_every_announced_start_has_entered_its_wait() -> None:
    """Ten slots of the minute stay free for starts only while starts can still come: once the
    run's announced starts have all begun their waits, polls may use the whole window."""
    clock = ManualClock()
    load = [95]  # the domain's window is nearly full
    budget = PollBudget(clock, per_minute=100, reserve=10, load=lambda: load[0])
    assert budget.keeps_reserve  # never told: the reserve holds for the whole run
    budget.expect_starts(2)
    with budget.share() as first:
        assert budget.admit(first) > 0  # one start is still to come
        with budget.share() as second:
            assert not budget.keeps_reserve
            assert budget.admit(second) == 0.0  # queued in the limiter, which hands out slots
    assert budget.floor(first) == pytest.approx(60.0 / 100)  # and the spacing counts them all
    with pytest.raises(ValueError, match="count"):
        budget.expect_starts(-1)


def test_a_postponed_critical_poll_goes_out_before_a_leafs_that_asks_later() -> None:
    clock = ManualClock()
    load = [80]
    budget = PollBudget(clock, per_minute=100, reserve=20, load=lambda: load[0])
    with budget.share(priority=400.0) as critical, budget.share(priority=30.0) as leaf:
        assert budget.admit(critical) > 0  # the domain is busy: both wait
        load[0] = 79  # one slot frees
        assert budget.admit(leaf) > 0  # the leaf asks first, but the critical poll is waiting
        assert budget.admit(critical) == 0.0
        assert budget.admit(leaf) == 0.0  # nobody more critical waits any more


def test_a_wait_on_the_critical_path_polls_densely_and_sees_the_end_sooner() -> None:
    """Same operation, same hint, same jitter: with no slack (its lag is the release's) the wait
    spends more calls near the expected end for less lag; with slack it keeps the usual cadence."""
    results = {}
    for name, slack in (("relaxed", lambda: 300.0), ("critical", lambda: 0.0), ("none", None)):
        clock = ManualClock()
        calls: list[float] = []
        _wait(clock, 133.0, calls, hint=TIGHT, slack=slack)
        results[name] = (len(calls), calls[-1] - 133.0)
    assert results["relaxed"] == results["none"]
    (critical_calls, critical_lag), (usual_calls, usual_lag) = results["critical"], results["none"]
    assert critical_calls > usual_calls
    assert critical_lag < usual_lag


def test_the_urgent_cadence_only_lowers_the_price_of_a_call_on_history() -> None:
    urgent = DEFAULT_SCHEDULE.urgent()
    assert urgent.call_cost == DEFAULT_SCHEDULE.urgent_call_cost < DEFAULT_SCHEDULE.call_cost
    assert urgent.prior_call_cost == DEFAULT_SCHEDULE.prior_call_cost
    for elapsed in (100.0, 120.0, 140.0):  # around the expected end (120 s)
        assert urgent.hinted_interval(elapsed, TIGHT) < DEFAULT_SCHEDULE.hinted_interval(elapsed, TIGHT)
    # where the end is nearly certain the usual cadence stops at its 1 s floor; the urgent one
    # goes down to its own
    certain = DurationHint(median=120.0, spread=0.005)
    assert DEFAULT_SCHEDULE.hinted_interval(120.0, certain) == DEFAULT_SCHEDULE.floor
    assert urgent.hinted_interval(120.0, certain) == urgent.urgent_floor < DEFAULT_SCHEDULE.floor


def test_an_urgent_poll_may_use_half_the_start_reserve() -> None:
    clock = ManualClock()
    load = [85]  # 15 of the reserve's 20 slots are free
    budget = PollBudget(clock, per_minute=100, reserve=20, load=lambda: load[0])
    with budget.share(priority=10.0) as wait:
        assert budget.admit(wait) > 0
        assert budget.admit(wait, urgent=True) == 0.0
        load[0] = 90  # half the reserve is what a start may still need
        assert budget.admit(wait, urgent=True) > 0


def test_a_wait_about_to_end_is_not_spaced_but_still_admitted_within_the_minute() -> None:
    """Sixty impact analyses share a domain: spacing their rate would put 36 s between the
    one or two calls each still makes. A wait expected to end within seconds keeps its own
    interval; admission still holds the minute to the polls' share."""
    from odc_pipeline.engine.poller import UNSPACED_CALLS, UNSPACED_SECONDS

    clock = ManualClock()
    budget = PollBudget(clock, per_minute=100, reserve=0)
    with ExitStack() as stack:
        ids = [stack.enter_context(budget.share(priority=1.0)) for _ in range(60)]
        for share_id in ids:
            budget.plan(share_id, 3.0)
        spaced = 60.0 / (100 / 60)
        assert budget.plan(ids[0], 3.0) == pytest.approx(spaced)  # a sustained rate: spaced
        assert budget.plan(ids[1], 3.0, ends_in=3.0) == 3.0  # an analysis about to end: its own
        assert budget.plan(ids[2], 3.0, ends_in=UNSPACED_SECONDS + 1) == pytest.approx(spaced)
        assert budget.plan(ids[3], 1.0, ends_in=UNSPACED_CALLS * 1.0) == pytest.approx(spaced)
        admitted = sum(budget.admit(share_id) == 0.0 for share_id in ids for _ in range(2))
    assert admitted == 100  # 120 calls asked for in one instant, the minute's 100 admitted
