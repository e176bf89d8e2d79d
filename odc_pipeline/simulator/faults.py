"""Faults that can be switched on for a run or while it runs.

Each fault matches requests by path substring (default: every ``/api/`` call) and optionally by
method; ``after=N`` lets N matching requests through first, ``times=N`` fires N times then the
fault retires (default: until switched off; ``token-expiry`` fires once). The same names and
options are used by ``--fault NAME[:opt=value,...]``, the tenant file's ``faults:`` and
``RunningSimulator.faults.add(NAME, **options)``.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from odc_pipeline.errors import UsageError

RATE_LIMIT_STORM = "rate-limit-storm"
SERVER_ERROR = "server-error"
DROP_CONNECTION = "drop-connection"
SLOW_RESPONSE = "slow-response"
TOKEN_EXPIRY = "token-expiry"
ANALYSIS_UNAVAILABLE = "analysis-unavailable"

FAULT_NAMES = (
    RATE_LIMIT_STORM,
    SERVER_ERROR,
    DROP_CONNECTION,
    SLOW_RESPONSE,
    TOKEN_EXPIRY,
    ANALYSIS_UNAVAILABLE,
)
OPTIONS = {"path", "method", "times", "after", "status", "seconds"}
SERVER_ERROR_STATUSES = (500, 502, 503)
ANALYSIS_PATH = "/api/dependency-management/v1/deployment-analyses"


class FaultError(UsageError):
    """A fault name or option that does not exist."""


@dataclass
class Fault:
    name: str
    path: str = "/api/"
    method: str | None = None
    times: int | None = None
    after: int = 0
    status: int | None = None
    seconds: float = 5.0
    seen: int = 0
    fired: int = 0

    @property
    def retired(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        return self.path in path


def make_fault(
    name: str, *, known: tuple[str, ...] = FAULT_NAMES, default_path: str = "/api/", **options: Any
) -> Fault:
    """A fault by name; ``known`` and ``default_path`` let the LifeTime simulator share the mechanism."""
    if name not in known:
        raise FaultError(f"unknown fault {name!r}; known: {', '.join(known)}")
    unknown = set(options) - OPTIONS
    if unknown:
        raise FaultError(
            f"fault {name}: unknown option(s) {', '.join(sorted(unknown))}; "
            f"known: {', '.join(sorted(OPTIONS))}"
        )
    try:
        fault = Fault(
            name=name,
            path=str(options.get("path", ANALYSIS_PATH if name == ANALYSIS_UNAVAILABLE else default_path)),
            method=str(options["method"]).upper() if "method" in options else None,
            times=int(options["times"]) if "times" in options else (1 if name == TOKEN_EXPIRY else None),
            after=int(options.get("after", 0)),
            status=int(options["status"]) if "status" in options else None,
            seconds=float(options.get("seconds", 5.0)),
        )
    except (TypeError, ValueError) as exc:
        raise FaultError(f"fault {name}: {exc}") from None
    if name == SERVER_ERROR:
        fault.status = fault.status or 503
        if fault.status not in SERVER_ERROR_STATUSES:
            raise FaultError(f"fault {name}: status must be one of {SERVER_ERROR_STATUSES}")
    return fault


def parse_fault(text: str, *, known: tuple[str, ...] = FAULT_NAMES, default_path: str = "/api/") -> Fault:
    """``"server-error:status=502,times=3"`` → a Fault (for ``--fault``)."""
    name, _, rest = text.partition(":")
    options: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in rest.split(","))):
        key, sep, value = part.partition("=")
        if not sep:
            raise FaultError(f"fault {name}: option {part!r} must look like name=value")
        options[key.strip()] = value.strip()
    return make_fault(name.strip(), known=known, default_path=default_path, **options)


class Faults:
    """The switchboard: thread-safe add/remove while the simulator serves requests."""

    def __init__(self, *, known: tuple[str, ...] = FAULT_NAMES, default_path: str = "/api/") -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self.known = known
        self.default_path = default_path

    def add(self, name: str | Fault, **options: Any) -> Fault:
        fault = (
            name
            if isinstance(name, Fault)
            else make_fault(name, known=self.known, default_path=self.default_path, **options)
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def remove(self, fault: Fault) -> None:
        with self._lock:
            if fault in self._faults:
                self._faults.remove(fault)

    def clear(self, name: str | None = None) -> None:
        with self._lock:
            self._faults = [f for f in self._faults if name is not None and f.name != name]

    def active(self) -> list[Fault]:
        with self._lock:
            return [f for f in self._faults if not f.retired]

    def fire(self, method: str, path: str) -> list[Fault]:
        """The faults this request triggers (counting it against each matching fault)."""
        fired = []
        with self._lock:
            for fault in self._faults:
                if fault.retired or not fault.matches(method, path):
                    continue
                fault.seen += 1
                if fault.seen <= fault.after:
                    continue
                fault.fired += 1
                fired.append(fault)
        return fired
