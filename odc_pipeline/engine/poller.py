"""One way to wait for every kind of ODC operation.

Builds, analyses, deployments and code analyses all expose "GET the operation until its status
is terminal". This module owns the cadence, the timeout, cancellation and the ~30 s heartbeat,
so that the stages only say *what* they wait for.

The cadence has two modes, because status calls are not free (they share an organisation-wide
100-per-minute pool with every other pipeline) and every second between "finished" and
"noticed" is a second the pipeline idles:

* **No history**: fast at first (the first call after a few seconds, not at once: a
  just-started operation is never done), backing off geometrically to a cap, jittered so
  parallel waits do not align. Most operations that finish quickly are caught quickly;
  long ones cost one call per ``cap`` seconds.
* **With a** :class:`DurationHint` (how long recent operations of the same asset and stage
  took, e.g. from the deployments list's ``startedDateTime``/``finishedDateTime``): the next
  call is placed where the *expected* detection lag it would save is worth one call. Far from
  the expected end that means the cap; near it, dense polling. A hint that turns out wrong
  costs at most the cap in lag, never an unbounded wait.
* **Without history but with a prior** (:data:`PRIORS`, per kind of operation): the same
  placement on a wide, tenant-independent distribution; as the wait goes on, the conditional
  chance of finishing adapts the cadence to what the operation has shown so far.

Concurrent waits of one API domain share a :class:`PollBudget`: it lets a wait poll densely
while the others are idle, spaces them out when many run, and admits a poll only while the
domain's own window (the client's rate limiter) keeps room for start POSTs, so polls never
push the limiter into making a start wait.

``bench/`` measures all of it against the docs' recommendation (5 s for 30 s, then 30 s).
"""

from __future__ import annotations

import itertools
import math
import random
import statistics
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Protocol, TypeVar

from odc_pipeline.clock import Clock
from odc_pipeline.errors import CancelledError, OperationTimeoutError

T = TypeVar("T")

HEARTBEAT_SECONDS = 30.0
# How soon a poll the domain's window had no room for asks again (clock seconds): a slot
# freed is then used within this much, and a check costs a lock, no request.
BUSY_RECHECK = 0.5
_EDGE = 1e-6  # seconds: see PollBudget.admit
_SQRT2 = math.sqrt(2.0)


@dataclass(frozen=True)
class DurationHint:
    """How long an operation is expected to take: log-normal with this median and spread.

    ``spread`` is the standard deviation of ``ln(duration)``: 0.25 means about two thirds of
    runs land within ×/÷ 1.28 of ``median``. ``samples`` records how many past durations the
    hint came from (for logs and plans; the schedule does not read it). ``prior`` marks a
    tenant-independent guess (:data:`PRIORS`) rather than this asset's history: the schedule
    prices calls higher on a prior, which is wide and so would otherwise poll for a long time.
    """

    median: float
    spread: float = 0.5
    samples: int = 0
    prior: bool = False

    def __post_init__(self) -> None:
        if not (self.median > 0 and math.isfinite(self.median)):
            raise ValueError("median must be positive (seconds)")
        if not (self.spread > 0 and math.isfinite(self.spread)):
            raise ValueError("spread must be positive")


def _survival(t: float, median: float, spread: float) -> float:
    """P(duration > t) for a log-normal duration."""
    if t <= 0:
        return 1.0
    return 0.5 * math.erfc(math.log(t / median) / (spread * _SQRT2))


def duration_hint(
    durations: Iterable[float],
    *,
    max_samples: int = 10,
    min_spread: float = 0.15,
    default_spread: float = 0.5,
) -> DurationHint | None:
    """Turn past durations (seconds, most recent first) into a hint; ``None`` without any.

    Uses the median and the median absolute deviation of the logarithms, so one stuck or
    instantaneous outlier does not move the hint. The spread is widened for small samples
    (a prediction interval, not the sample's own spread) and floored at ``min_spread`` so
    a run of identical durations does not make the schedule bet everything on one instant.
    """
    logs = [math.log(d) for d in durations if d > 0 and math.isfinite(d)][:max_samples]
    if not logs:
        return None
    centre = statistics.median(logs)
    if len(logs) < 3:
        spread = default_spread
    else:
        mad = statistics.median(abs(x - centre) for x in logs)
        spread = max(min_spread, 1.4826 * mad * math.sqrt(1.0 + 1.0 / len(logs)))
    return DurationHint(median=math.exp(centre), spread=spread, samples=len(logs))


def hint_from_spans(
    spans: Iterable[tuple[datetime | None, datetime | None]], *, max_samples: int = 10
) -> DurationHint | None:
    """:func:`duration_hint` from ``(startedDateTime, finishedDateTime)`` pairs.

    Pairs with a missing end (operations still running; the API's value for them is
    undocumented) or an end before the start are skipped rather than trusted.
    """
    durations = [
        (finished - started).total_seconds()
        for started, finished in spans
        if started is not None and finished is not None and finished > started
    ]
    return duration_hint(durations, max_samples=max_samples)


def hint_from_operations(operations: Iterable[object], *, max_samples: int = 10) -> DurationHint | None:
    """:func:`hint_from_spans` from API read models (deployment operations, builds), newest
    first: whatever has ``started_date_time`` and ``finished_date_time``.

    For example, the recent Deploys of the same asset in the same stage::

        hint_from_operations(client.deployments.list(asset_key=k, environment_key=e,
                                                     operations=["Deploy"], limit=20))

    Operations with a ``status`` other than ``Finished`` are skipped: a failed deploy often
    stops early and would teach the schedule the wrong moment. Pass one kind of operation
    only (Deploys, not ApplyConfigs).
    """
    spans = (
        (getattr(op, "started_date_time", None), getattr(op, "finished_date_time", None))
        for op in operations
        if getattr(op, "status", None) in (None, "Finished")
    )
    return hint_from_spans(itertools.islice(spans, max_samples * 3), max_samples=max_samples)


class Schedule(Protocol):
    """What :func:`wait_for` asks a cadence: how long to wait before the next status call."""

    def first_delay(self, hint: DurationHint | None, rng: random.Random) -> float:
        """Clock seconds before the first status call (0: call at once)."""
        ...

    def next_delay(
        self, attempt: int, elapsed: float, hint: DurationHint | None, rng: random.Random
    ) -> float:
        """Clock seconds before call ``attempt + 1``, ``elapsed`` seconds into the wait."""
        ...


@dataclass(frozen=True)
class PollSchedule:
    """The product's cadence (see the module docstring for the two modes).

    Without a hint: the first call after ``initial`` seconds, each later interval ``factor``
    times the previous one, up to ``cap``. The first call is not made at once because an
    operation that was just started (or just found running) is never done yet: that call
    would only spend rate-limit budget (start responses carry the status already).
    ``call_at_once=True`` restores an immediate first call for callers that need one.
    With a hint: the largest interval ``h`` in ``[floor, hinted_cap]`` whose expected lag
    (chance of finishing within ``h``, given not finished yet, times ``h/2``) stays within
    ``call_cost`` seconds, i.e. one status call is worth ``call_cost`` seconds of lag. The
    hint is trusted with weight ``hint_trust``; the rest goes to a wide log-normal around the
    same median, so an operation that outlives its hint backs off to the cap instead of
    hammering the API: once the hint's own share of the chance to still be running falls
    below ``discard_below``, the hint is discarded and the interval is the blind ``cap``.
    Far from the expected end the interval may reach ``hinted_cap`` (longer than the blind
    ``cap``: the hint says completion is unlikely there, and the calls saved are spent
    densely near the end). Every delay is jittered by ±``jitter`` (a fraction). A
    :class:`PollBudget` may raise the floor when many waits share a domain.

    On a prior (:attr:`DurationHint.prior`) a call is worth ``prior_call_cost`` seconds.

    The hinted parameters (``call_cost``, ``prior_call_cost``, ``floor``, ``hinted_cap``,
    ``hint_trust``, ``wide_spread``, the spreads of :data:`PRIORS`) were chosen on bench seeds
    101-103, not on the seeds bench reports (1-5).
    """

    initial: float = 3.0
    factor: float = 1.5
    cap: float = 30.0
    jitter: float = 0.2
    floor: float = 1.0
    call_cost: float = 0.42
    hint_trust: float = 0.97
    wide_spread: float = 1.0
    hinted_cap: float = 60.0
    discard_below: float = 0.01
    prior_call_cost: float = 0.7
    call_at_once: bool = False
    urgent_call_cost: float = 0.02
    urgent_slack: float = 30.0
    urgent_floor: float = 0.5

    def urgent(self) -> PollSchedule:
        """The cadence of a wait on the release's critical path (:func:`wait_for`'s ``slack``).

        There a second of lag is a second of the whole release, while a wait with minutes of
        slack loses nothing by it, so near the expected end a call is worth ``urgent_call_cost``
        seconds of lag instead of ``call_cost``, and the interval may go down to
        ``urgent_floor``: two to three times the calls in that stretch for a quarter of the
        lag. Only history-hinted waits change (a prior is too wide to be dense on).
        """
        return replace(
            self,
            call_cost=min(self.call_cost, self.urgent_call_cost),
            floor=min(self.floor, self.urgent_floor),
        )

    def delay(self, attempt: int, rng: random.Random) -> float:
        """The geometric no-history interval number ``attempt`` (0: ``initial``)."""
        return self._jittered(min(self.cap, self.initial * (self.factor**attempt)), rng)

    def first_delay(self, hint: DurationHint | None, rng: random.Random) -> float:
        if self.call_at_once:
            return 0.0
        if hint is None:
            return self.delay(0, rng)
        return self._jittered(self.hinted_interval(0.0, hint), rng)

    def next_delay(
        self, attempt: int, elapsed: float, hint: DurationHint | None, rng: random.Random
    ) -> float:
        if hint is None:
            return self.delay(attempt if self.call_at_once else attempt + 1, rng)
        return self._jittered(self.hinted_interval(elapsed, hint), rng)

    def hinted_interval(self, elapsed: float, hint: DurationHint) -> float:
        """Un-jittered interval after ``elapsed`` seconds, given ``hint`` (see class doc)."""
        budget = 2.0 * (self.prior_call_cost if hint.prior else self.call_cost)
        alive = self._survival(elapsed, hint)
        trusted = self.hint_trust * _survival(elapsed, hint.median, hint.spread)
        if alive <= 0.0 or trusted < self.discard_below * alive:
            return self.cap  # the operation has clearly outlived its hint: blind cadence
        cap = max(self.cap, self.hinted_cap)

        def expected_cost(h: float) -> float:
            finish_chance = 1.0 - self._survival(elapsed + h, hint) / alive
            return h * finish_chance

        lo, hi = self.floor, cap
        if expected_cost(hi) <= budget:
            return hi
        if expected_cost(lo) >= budget:
            return lo
        for _ in range(30):  # expected_cost grows with h: bisect to well under a second
            mid = 0.5 * (lo + hi)
            if expected_cost(mid) <= budget:
                lo = mid
            else:
                hi = mid
        return lo

    def _survival(self, t: float, hint: DurationHint) -> float:
        trusted = _survival(t, hint.median, hint.spread)
        wide = _survival(t, hint.median, self.wide_spread)
        return self.hint_trust * trusted + (1.0 - self.hint_trust) * wide

    def _jittered(self, base: float, rng: random.Random) -> float:
        spread = base * self.jitter
        return max(0.0, base + rng.uniform(-spread, spread))


DEFAULT_SCHEDULE = PollSchedule()

PRIORS: Mapping[str, DurationHint] = {
    # Tenant-independent priors for a wait without history, per kind of operation: the
    # durations README assumes (impact analysis ~2-4 s, observed ~2 s; Release builds about a
    # minute for small apps and ten or more for big ones; deploys one to several minutes), as
    # log-normals wide enough (spread 1.2: x/÷ 3.3 for two thirds of assets) that a tenant
    # whose apps are several times slower or faster only costs cap-sized lag, never hammering.
    "analysis": DurationHint(median=3.0, spread=0.5, prior=True),
    "build": DurationHint(median=90.0, spread=1.2, prior=True),
    "deploy": DurationHint(median=150.0, spread=1.2, prior=True),
}


# A wait expected to end within this many seconds and calls is not spaced (PollBudget.plan).
UNSPACED_SECONDS = 10.0
UNSPACED_CALLS = 4


class PollBudget:
    """The status-call budget of one API domain, shared by every concurrent wait on it.

    ODC allows 100 requests per minute per domain for the whole organisation; start POSTs,
    reads and polls all count. Two rules keep polls inside it:

    * **Spacing**: each wait announces the interval it plans (:meth:`plan`); a wait may poll
      as densely as the capacity the *other* waits of equal or higher priority leave
      (``polls_per_minute`` minus their planned rates), never less than an equal share among
      them (priority: the work's, see :meth:`share`). One wait near its end may therefore
      poll every second while the others sit at their caps; twenty with minutes to go are
      spaced out. A wait expected to end within seconds (:meth:`plan`'s ``ends_in``)
      keeps its own interval: it has no rate to spread, and admission holds the minute.
    * **Admission** (:meth:`admit`): a poll goes out only while fewer than
      ``polls_per_minute`` polls fell in the last minute *and*, when ``load`` is given (the
      client's rate-limiter count for the domain), the domain window keeps ``reserve`` free
      slots. Otherwise the poll is postponed rather than queued in the rate limiter, so the
      limiter never makes a start POST wait behind polls.

    The reserve is only worth keeping while starts can still come. A run that knows how many
    it will make here says so (:meth:`expect_starts`); once each of them has entered its wait,
    no start is left to protect, and the polls get the whole window, queued in the rate
    limiter, which hands each slot out the moment it reopens. Releasing 50 impact analyses
    with ``before-deploy: all`` is where it counts: their 50 results need more than the
    minute's 100 requests, every one of them gates the first deploy, and 10 slots idle for
    starts that will not come would add the seconds the next window takes to hand them back.
    """

    def __init__(
        self,
        clock: Clock,
        *,
        per_minute: int = 100,
        reserve: int = 30,
        load: Callable[[], int] | None = None,
        window: float = 60.0,
    ) -> None:
        if not 0 <= reserve < per_minute:
            raise ValueError("reserve must leave room for polls")
        self._clock = clock
        self._lock = threading.Lock()
        self._load = load
        self._planned: dict[int, float] = {}
        self._priority: dict[int, float] = {}
        self._polls: deque[float] = deque()
        self._ids = itertools.count()
        self.per_minute = per_minute
        self.reserve = reserve
        self.polls_per_minute = per_minute - reserve
        self.window = window
        self.postponed = 0  # polls admit() put off (for benchmarks and tests)
        self._starts_expected: int | None = None  # None: not said, keep the reserve
        self._waiting: dict[int, float] = {}  # postponed shares and their priorities

    @contextmanager
    def share(self, priority: float | None = None) -> Iterator[int]:
        """Count one wait as active for the duration of the block; yields its id.

        ``priority`` (default: the calling work's, :func:`odc_pipeline.dispatch.current`) ranks
        the wait: it yields capacity only to waits of equal or higher priority, so the wait on
        the critical chain polls as densely near its end as if it were alone, and the others
        share what it leaves. With every priority equal this is the plain equal share.
        """
        if priority is None:
            from odc_pipeline import dispatch

            priority = dispatch.current().priority
        share_id = next(self._ids)
        with self._lock:
            if self._starts_expected:
                self._starts_expected -= 1
            self._planned[share_id] = math.inf
            self._priority[share_id] = priority
        try:
            yield share_id
        finally:
            with self._lock:
                self._planned.pop(share_id, None)
                self._priority.pop(share_id, None)
                self._waiting.pop(share_id, None)

    def expect_starts(self, count: int) -> None:
        """The run will start ``count`` more operations in this domain, each followed at once
        by its wait here (a :meth:`share`; a wait that reuses an operation instead of starting
        one counts too: no start comes for it either). Until they all have, the reserve holds;
        a budget never told keeps it for the whole run."""
        if count < 0:
            raise ValueError("count must be >= 0")
        with self._lock:
            self._starts_expected = (self._starts_expected or 0) + count

    @property
    def keeps_reserve(self) -> bool:
        """Whether polls still leave ``reserve`` slots of the domain's window to starts."""
        with self._lock:
            return self._keeps_reserve()

    def _keeps_reserve(self) -> bool:
        return self._starts_expected is None or self._starts_expected > 0

    def _poll_share(self) -> int:
        """Polls a minute may take now (lock held): all of it once no start can come."""
        return self.polls_per_minute if self._keeps_reserve() else self.per_minute

    @property
    def active(self) -> int:
        with self._lock:
            return len(self._planned)

    def floor(self, share_id: int) -> float:
        """The shortest interval ``share_id`` may plan now (seconds)."""
        with self._lock:
            mine = self._priority.get(share_id, 0.0)
            ahead = [k for k in self._planned if self._priority.get(k, 0.0) >= mine]
            others = sum(
                self.window / self._planned[k] for k in ahead if k != share_id and self._planned[k] > 0
            )
            active = max(1, len(ahead))
            share = self._poll_share()
        free = max(share - others, share / active)
        return self.window / free

    def plan(self, share_id: int, interval: float, *, ends_in: float | None = None) -> float:
        """Record the interval ``share_id`` is about to sleep; return it raised to the floor.

        ``ends_in``: the seconds until the wait's operation is expected to end (its hint's).
        Spacing spreads a sustained rate; a wait expected to end within
        :data:`UNSPACED_SECONDS` and a few calls (an impact analysis, a deploy at its very
        end) has none, and spacing its last calls only delays a result the minute has room
        for: its interval is its own, and admission still caps the minute.
        """
        about_to_end = (
            ends_in is not None and ends_in <= UNSPACED_SECONDS and ends_in < UNSPACED_CALLS * interval
        )
        if not about_to_end:
            interval = max(interval, self.floor(share_id))
        with self._lock:
            if share_id in self._planned:
                self._planned[share_id] = interval
        return interval

    def admit(self, share_id: int | None = None, *, urgent: bool = False) -> float:
        """0 and the poll is recorded, or the seconds to wait before asking again.

        While the domain is busy, postponed polls go out in priority order: a poll of
        ``share_id`` is put off as long as a wait of higher priority is postponed too, so the
        critical wait's poll takes the first slot that frees instead of the leaf's that asked
        a moment earlier. An ``urgent`` poll (its wait is on the release's critical path) may
        also use half the start reserve: a start then waits at most a slot longer, where the
        poll's lag would be the whole release's.
        """
        with self._lock:
            now = self._clock.monotonic()
            # A slot reopens a hair (1 µs) after the window, never on its edge: at the edge,
            # float rounding could count one poll in two windows.
            while self._polls and self._polls[0] + self.window + _EDGE < now:
                self._polls.popleft()
            wait = 0.0
            share = self._poll_share()
            mine = self._priority.get(share_id, 0.0) if share_id is not None else 0.0
            if len(self._polls) >= share:
                oldest = self._polls[len(self._polls) - share]
                wait = max(_EDGE, oldest + self.window + 2 * _EDGE - now)
            elif (
                self._keeps_reserve()
                and self._load is not None
                and self._load() >= self.per_minute - (self.reserve // 2 if urgent else self.reserve)
            ):
                wait = BUSY_RECHECK  # the domain is busy with other requests: look again shortly
            elif any(p > mine for k, p in self._waiting.items() if k != share_id):
                wait = BUSY_RECHECK / 2  # a more critical poll waits for this slot: let it go first
            if wait > 0:
                self.postponed += 1
                if share_id is not None:
                    self._waiting[share_id] = mine
                return wait
            if share_id is not None:
                self._waiting.pop(share_id, None)
            self._polls.append(now)
            return 0.0


def wait_for(
    fetch: Callable[[], T],
    is_done: Callable[[T], bool],
    *,
    what: str,
    describe: Callable[[T], str],
    timeout: float,
    clock: Clock,
    schedule: Schedule = DEFAULT_SCHEDULE,
    heartbeat: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    rng: random.Random | None = None,
    hint: DurationHint | None = None,
    prior: DurationHint | None = None,
    budget: PollBudget | None = None,
    slack: Callable[[], float] | None = None,
) -> T:
    """Call ``fetch`` until ``is_done`` holds for its result; return that result.

    The first call waits too (see :class:`PollSchedule`). ``hint`` (optional) is how long
    this kind of operation usually takes for this asset (:func:`duration_hint`); with it,
    calls are dense only when completion is likely. ``heartbeat`` gets a progress line
    (``"<what>: <last status> after <N>s"``) about every 30 s of clock time, driven by the
    clock rather than by polls: the cadence backs off to its cap (up to a minute), and a CI
    log silent that long looks hung, so the sleep between two calls is cut at heartbeat
    moments and the line repeats the last status seen. It never fetches just to report.

    Raises :class:`OperationTimeoutError` once ``timeout`` seconds (clock time) have passed,
    after one last call at the deadline, and :class:`CancelledError` when ``cancel`` is set;
    both name ``what`` so the user can find the operation again.

    ``prior`` (e.g. ``PRIORS["deploy"]``) stands in for a missing ``hint``. ``budget`` is the
    domain's :class:`PollBudget` shared with the other concurrent waits: it may lengthen an
    interval or postpone a call, but never beyond the deadline (the last call at the deadline
    is made regardless, as one request within the reserve).

    ``slack`` (e.g. the flow's, :attr:`odc_pipeline.dispatch.WorkContext.slack`) says how many
    seconds the operation may end late before the whole release does, as estimated at each
    call: while it is under the schedule's ``urgent_slack`` a :class:`PollSchedule` waits on
    its :meth:`~PollSchedule.urgent` cadence. Other cadences have no urgent mode.
    """
    rng = rng or random.Random()
    if hint is None:
        hint = prior
    pressing = schedule.urgent() if slack is not None and isinstance(schedule, PollSchedule) else None

    def cadence() -> Schedule:
        if pressing is None or slack is None:
            return schedule
        return pressing if slack() < pressing.urgent_slack else schedule

    with ExitStack() as stack:
        share_id = stack.enter_context(budget.share()) if budget is not None else None
        started = clock.monotonic()
        deadline = started + timeout
        beats = _Heartbeat(heartbeat, what, describe, started)

        def pause(seconds: float) -> None:
            """Sleep ``seconds`` (raised to the budget's floor), then until the budget admits
            the call; never past the deadline."""
            if budget is not None and share_id is not None and seconds > 0:
                ends_in = max(0.0, hint.median - (clock.monotonic() - started)) if hint is not None else None
                seconds = budget.plan(share_id, seconds, ends_in=ends_in)
            beats.sleep(clock, min(seconds, max(0.0, deadline - clock.monotonic())), cancel)
            while budget is not None and clock.monotonic() < deadline:
                postpone = budget.admit(share_id, urgent=cadence() is pressing)
                if postpone <= 0:
                    return
                beats.sleep(clock, min(postpone, deadline - clock.monotonic()), cancel)

        attempt = 0
        first = min(cadence().first_delay(hint, rng), max(0.0, timeout))
        if first > 0 or budget is not None:
            pause(first)
        while True:
            if cancel is not None and cancel.is_set():
                raise CancelledError(f"cancelled while waiting for {what}")
            result = fetch()
            if is_done(result):
                return result
            beats.saw(result)
            now = clock.monotonic()
            elapsed = now - started
            beats.maybe_beat(now)
            remaining = timeout - elapsed
            if remaining <= 0:
                raise OperationTimeoutError(
                    f"timed out after {timeout:.0f}s waiting for {what} (last status: {describe(result)})"
                )
            pause(min(cadence().next_delay(attempt, elapsed, hint, rng), remaining))
            attempt += 1


class _Heartbeat:
    """The time-driven progress line of one wait.

    Beats come ``HEARTBEAT_SECONDS`` after the previous one (or the start), whether or not a
    status call falls there: :meth:`sleep` wakes at each due moment inside a sleep, and
    :meth:`maybe_beat` emits right after a call that reached it, with that fresh status.
    Counting from the last emitted beat (not a fixed grid) keeps gaps from ever dropping
    below 30 s when a slow call delays one.
    """

    def __init__(
        self,
        emit: Callable[[str], None] | None,
        what: str,
        describe: Callable[[Any], str],
        started: float,
    ) -> None:
        self._emit = emit
        self._what = what
        self._describe = describe
        self._started = started
        self._next = started + HEARTBEAT_SECONDS
        self._status = "no status yet"  # before the first call returns

    def saw(self, result: object) -> None:
        """Remember the status of the latest call (described now: results may be mutable)."""
        if self._emit is not None:
            self._status = self._describe(result)

    def maybe_beat(self, now: float) -> None:
        if self._emit is not None and now >= self._next:
            self._emit(f"{self._what}: {self._status} after {now - self._started:.0f}s")
            self._next = now + HEARTBEAT_SECONDS

    def sleep(self, clock: Clock, seconds: float, cancel: threading.Event | None) -> None:
        """Sleep ``seconds`` of clock time, beating at every due moment strictly inside it (a
        beat due exactly at the end waits for the call there, to carry its status)."""
        end = clock.monotonic() + seconds
        while self._emit is not None and self._next < end:
            _sleep(clock, max(0.0, self._next - clock.monotonic()), cancel, self._what)
            self.maybe_beat(clock.monotonic())
        _sleep(clock, max(0.0, end - clock.monotonic()), cancel, self._what)


def _sleep(clock: Clock, seconds: float, cancel: threading.Event | None, what: str) -> None:
    """Sleep on the clock; with a ``cancel`` event, in slices so a cancel is noticed within
    about a second of clock time (without one, a single sleep keeps virtual clocks cheap)."""
    if cancel is None:
        clock.sleep(seconds)
        return
    slice_seconds = 1.0
    end = clock.monotonic() + seconds
    while True:
        if cancel.is_set():
            raise CancelledError(f"cancelled while waiting for {what}")
        left = end - clock.monotonic()
        if left <= 0:
            return
        clock.sleep(min(slice_seconds, left))
