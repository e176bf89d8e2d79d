"""What starting and running a simulator takes on either platform (ODC and LifeTime share it).

The clock a ``time_scale`` asks for, the switchboard armed with the tenant file's and the
caller's faults, and the handle that serves on loopback until :meth:`ServingSimulator.stop`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from types import TracebackType
from typing import Any, Protocol, Self

from odc_pipeline.clock import Clock, ScaledClock, SystemClock
from odc_pipeline.simulator.faults import Fault, Faults
from odc_pipeline.simulator.requestlog import RequestLog


class FaultEntry(Protocol):
    """A tenant file's ``faults`` entry (both tenant files spell it ``name`` + ``options``)."""

    name: str
    options: dict[str, str | int | float]


def simulator_clock(clock: Clock | None, time_scale: float) -> Clock:
    """``clock`` when given; else real time, or a fresh ScaledClock when ``time_scale`` is not 1."""
    if clock is not None:
        return clock
    return SystemClock() if time_scale == 1.0 else ScaledClock(time_scale)


def armed(board: Faults, tenant_faults: Iterable[FaultEntry], extra: Iterable[Fault | str] | None) -> Faults:
    """``board`` with the tenant file's faults, then the caller's (``--fault``), switched on.

    Names are checked against the board's own fault names, so each platform refuses the
    other's.
    """
    for spec in tenant_faults:
        board.add(spec.name, **spec.options)
    for fault in extra or ():
        board.add(fault)
    return board


class ServingSimulator:
    """A simulator serving on loopback until :meth:`stop` (or the ``with`` block ends)."""

    def __init__(self, server: Any, thread: threading.Thread) -> None:
        self._server = server
        self._thread = thread
        context = server.context
        self.url: str = context.url
        self.request_log: RequestLog = context.log
        self.faults: Faults = context.faults
        self.clock: Clock = context.clock

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
