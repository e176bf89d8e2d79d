"""Who may take a rate-limit slot now: the ranking of waiters and the reservations.

Kept apart from :mod:`.ratelimit` (which owns the lock, the clock and the windows) because
this is the part with rules worth reading on their own:

* Waiters are ranked by priority, then arrival. A request may take a slot of a bucket only
  if, after every waiter ranked ahead of it that could be admitted *now* has (virtually)
  taken its slots, the bucket still has room. A waiter ahead that is blocked on another
  bucket (a start whose POST window is full) takes nothing, so reads keep flowing on the
  domain bucket until that start can really go — then it is served first.
* An active :class:`Reservation` of higher priority, held for someone else, is one slot
  less for the request. A waiter ahead that will use up a reservation when admitted is not
  counted twice (its slot and its reservation are the same slot).

Everything here runs with the limiter's lock held; nothing sleeps.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_SECONDS = 60.0
# How often a request held back by a reservation looks again: cancel() wakes nobody (waits are
# clock sleeps), so a released slot is noticed within this many seconds.
RESERVATION_RECHECK = 5.0


@dataclass(frozen=True)
class Limit:
    """``capacity`` requests per ``window`` seconds for everything sharing ``key``."""

    key: str
    capacity: int
    window: float = WINDOW_SECONDS


class Reservation:
    """One slot of ``key`` held for ``owner``'s start due at ``at`` (see ``RateLimiter.reserve``).

    ``state`` is ``pending`` until the owner's start uses it (``consumed``), someone calls
    :meth:`cancel` (``cancelled``) or ``end`` passes (``expired``). Active (holding a slot)
    while pending and ``start <= now < end``.
    """

    __slots__ = ("_release", "at", "end", "key", "owner", "priority", "start", "state")

    def __init__(
        self,
        release: Callable[[Reservation], None],
        key: str,
        *,
        priority: float,
        owner: str,
        at: float,
        start: float,
        end: float,
    ) -> None:
        self._release = release
        self.key = key
        self.priority = priority
        self.owner = owner
        self.at = at
        self.start = start
        self.end = end
        self.state = "pending"

    def cancel(self) -> None:
        """Release the slot now (the start will not come: the build failed, the run stops).
        Idempotent; a consumed or expired reservation stays as it was."""
        self._release(self)

    def active(self, now: float) -> bool:
        return self.state == "pending" and self.start <= now < self.end

    def __repr__(self) -> str:
        return (
            f"Reservation({self.key!r}, owner={self.owner!r}, priority={self.priority}, "
            f"at={self.at}, state={self.state!r})"
        )


@dataclass(eq=False)
class Waiter:
    """A request inside ``acquire``: its rank, what it needs, when it will look again."""

    priority: float
    arrival: int
    owner: str | None
    limits: tuple[Limit, ...]
    starts: bool = True  # a start may use its owner's reservation (ratelimit.starting)
    wake_at: float = float("-inf")
    admitted: bool = False

    def rank(self) -> tuple[float, int]:
        return (-self.priority, self.arrival)

    def consumes(self, reservation: Reservation) -> bool:
        return (
            self.starts
            and self.owner is not None
            and reservation.owner == self.owner
            and reservation.state == "pending"
        )

    def held_back_by(self, reservation: Reservation, now: float) -> bool:
        return (
            reservation.active(now)
            and reservation.priority > self.priority
            and not self.consumes(reservation)
        )


@dataclass
class Round:
    """One admission decision at ``now``: the waiters ahead are offered their slots first."""

    events: dict[str, deque[float]]
    reservations: dict[str, list[Reservation]]
    now: float
    _counts: dict[str, int] = field(default_factory=dict)  # real requests in the window + claims
    _claimed: set[int] = field(default_factory=set)  # reservations a waiter ahead will use up
    _later: dict[str, list[float]] = field(default_factory=dict)  # when waiters ahead that claimed wake

    def _count(self, limit: Limit) -> int:
        if limit.key not in self._counts:
            events = self.events.setdefault(limit.key, deque())
            while events and events[0] <= self.now - limit.window:
                events.popleft()
            self._counts[limit.key] = len(events)
        return self._counts[limit.key]

    def _held(self, key: str, waiter: Waiter) -> list[Reservation]:
        return [
            r
            for r in self.reservations.get(key, ())
            if id(r) not in self._claimed and waiter.held_back_by(r, self.now)
        ]

    def fits(self, waiter: Waiter) -> bool:
        """Every bucket of ``waiter`` has room after the claims ahead and the reservations."""
        room = [
            self._count(limit) + len(self._held(limit.key, waiter)) < limit.capacity
            for limit in waiter.limits
        ]
        return all(room)

    def offer(self, waiter: Waiter) -> None:
        """A waiter ranked ahead: if it fits now, its slots (and its reservations) are taken."""
        if not self.fits(waiter):
            return
        for limit in waiter.limits:
            self._counts[limit.key] += 1
            own = next(
                (
                    r
                    for r in self.reservations.get(limit.key, ())
                    if waiter.consumes(r) and id(r) not in self._claimed
                ),
                None,
            )
            if own is not None:
                self._claimed.add(id(own))
            self._later.setdefault(limit.key, []).append(waiter.wake_at)

    def had_room(self, waiter: Waiter) -> bool:
        """Would fit if nobody else waited and nothing were reserved (for ``held_back``)."""
        return all(len(self.events.get(limit.key, ())) < limit.capacity for limit in waiter.limits)

    def next_chance(self, waiter: Waiter) -> float:
        """The earliest moment worth looking again: enough requests have left the windows, a
        reservation in the way expires, or a waiter ahead that claimed a slot wakes (and takes
        it or not). A waiter ahead that is already due makes this ``now``: give way briefly."""
        wake = self.now
        for limit in waiter.limits:
            held = self._held(limit.key, waiter)
            excess = self._count(limit) + len(held) - limit.capacity + 1
            if excess <= 0:
                continue
            events = self.events[limit.key]
            if excess <= len(events):
                moment = events[excess - 1] + limit.window
            else:  # claims and reservations alone fill it: their slots leave later still
                moment = (events[-1] if events else self.now) + limit.window
            if held:  # a cancelled reservation wakes nobody: look again now and then
                moment = min(moment, self.now + RESERVATION_RECHECK, *(r.end for r in held))
            moment = min([moment, *self._later.get(limit.key, ())])
            wake = max(wake, moment)
        return wake
