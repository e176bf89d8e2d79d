"""Run things against the embedded simulator on a shared scaled clock: the engine through its
programmatic entry point, a function given an API client, or bare HTTP (the floor).

The simulator and the code under test share one :class:`ScaledClock`, so both reason in
platform seconds (90 s deploys, 10 POSTs per minute) while a release lasts a few real seconds.
Figures are read off that clock, and the simulator's request log says what was called.
"""

from __future__ import annotations

import io
import tempfile
import threading
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from odc_pipeline.api.client import OdcClient
from odc_pipeline.clock import ScaledClock
from odc_pipeline.engine.options import RunOptions
from odc_pipeline.simulator import RunningSimulator, start_simulator
from odc_pipeline.simulator.requestlog import LoggedRequest
from odc_pipeline.simulator.tenant import Tenant

ANALYSES = "/api/dependency-management/v1/deployment-analyses"
DEPLOYS = "/api/deployments/v1/deployment-operations"


@dataclass(frozen=True)
class Timeline:
    """When a release's work happened, in platform seconds after the run started, read off the
    simulator's request log (accepted requests only); None when the run had no such request."""

    first_analysis: float | None = None  # the first analysis POST
    last_analysis_result: float | None = None  # the last analysis status GET
    first_deploy: float | None = None  # the first deploy POST
    last_deploy: float | None = None  # the last deploy POST

    @classmethod
    def of(cls, entries: Sequence[LoggedRequest], started: float) -> Timeline:
        def times(method: str, template: str) -> list[float]:
            endpoint = f"{method} {template}"
            return [e.time - started for e in entries if e.endpoint == endpoint and e.status < 300]

        posts, reads = times("POST", ANALYSES), times("GET", ANALYSES + "/{analysisKey}")
        deploys = times("POST", DEPLOYS)
        return cls(
            min(posts, default=None),
            max(reads, default=None),
            min(deploys, default=None),
            max(deploys, default=None),
        )


@dataclass(frozen=True)
class Outcome:
    """One run against the simulator: platform seconds, exit code and what was requested."""

    seconds: float
    exit_code: int
    calls: Counter[str]
    rate_limited: int
    peak_bytes: int | None = None
    real_seconds: float = 0.0
    slept_real_seconds: float = 0.0
    timeline: Timeline = Timeline()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())


def widen_simulator_backlog(size: int = 128) -> bool:
    """Give the simulator's listening socket a real backlog; True if it had a smaller one.

    ``socketserver`` listens with a backlog of 5. When 20 parallel workers open connections
    at once (the client's pool holds fewer), the kernel drops the extra SYNs and the client
    retransmits after one *real* second — 200 platform seconds at the benchmark's time scale,
    a stall real ODC does not have. The multi-asset table says when this was applied.
    """
    from odc_pipeline.simulator.server import SimulatorServer

    if SimulatorServer.request_queue_size >= size:
        return False
    SimulatorServer.request_queue_size = size
    return True


class SleepCountingClock:
    """A :class:`ScaledClock` that also adds up the real time its callers asked to sleep, so
    time spent waiting between polls can be told apart from time spent working."""

    def __init__(self, scale: float) -> None:
        self._inner = ScaledClock(scale)
        self.scale = scale
        self._lock = threading.Lock()
        self.slept_real = 0.0

    def monotonic(self) -> float:
        return self._inner.monotonic()

    def now(self) -> datetime:
        return self._inner.now()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            with self._lock:
                self.slept_real += seconds * self.scale
        self._inner.sleep(seconds)


@contextmanager
def simulator(tenant: Tenant, scale: float) -> Iterator[tuple[RunningSimulator, SleepCountingClock]]:
    clock = SleepCountingClock(scale)
    with start_simulator(tenant, clock=clock) as sim:
        yield sim, clock


@contextmanager
def _peak(enabled: bool) -> Iterator[list[int]]:
    """Peak traced memory of the block (bytes), when ``enabled``."""
    box: list[int] = []
    if not enabled:
        yield box
        return
    tracemalloc.start()
    try:
        yield box
    finally:
        box.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()


def _outcome(sim: RunningSimulator, seconds: float, exit_code: int, peak: list[int]) -> Outcome:
    entries = sim.request_log.entries()
    calls = Counter(e.endpoint for e in entries)
    rate_limited = sum(1 for e in entries if e.status == 429)
    return Outcome(seconds, exit_code, calls, rate_limited, peak[0] if peak else None)


def pipeline_yaml(apps: Sequence[str], *, target: str, stages: str) -> str:
    """A pipeline file releasing ``apps`` (newest revisions) to ``target`` through ``stages``."""
    names = "\n".join(f"  - {app}" for app in apps)
    return f"version: 1\ntarget: {target}\nassets:\n{names}\nstages:\n{stages}"


@contextmanager
def _without_history(enabled: bool) -> Iterator[None]:
    """With ``enabled``, the engine waits as it did before it read history: no duration hint.

    A benchmark-only switch (the product has none): it is how "engine" and "engine with
    history" are told apart on the same tenant.
    """
    if not enabled:
        yield
        return
    from odc_pipeline.engine.context import RunContext

    original = RunContext.history_hint
    RunContext.history_hint = lambda self, key, read: None  # type: ignore[assignment,method-assign]
    try:
        yield
    finally:
        RunContext.history_hint = original  # type: ignore[method-assign]


def run_engine(
    tenant: Tenant,
    pipeline: str,
    *,
    scale: float,
    memory: bool = False,
    history: bool = True,
    prepare: Callable[[RunningSimulator], object] | None = None,
    options: RunOptions | None = None,
) -> Outcome:
    """``odc-pipeline run`` in this process (its ``execute``), quiet, against a fresh simulator.

    ``prepare`` edits the simulator's state before the run (e.g. :func:`bench.tenant.give_history`);
    ``history=False`` runs the engine without duration hints (see :func:`_without_history`);
    ``options`` are the command line's (``RunOptions(plan=True)`` is ``--plan``).
    """
    from odc_pipeline.engine.command import execute
    from odc_pipeline.engine.fallback_reporter import FallbackReporter
    from odc_pipeline.engine.options import spec_from_pipeline
    from odc_pipeline.pipeline_file import load_pipeline

    with (
        tempfile.TemporaryDirectory() as tmp,
        simulator(tenant, scale) as (sim, clock),
        _without_history(not history),
    ):
        if prepare is not None:
            prepare(sim)
        path = Path(tmp) / "odc-pipeline.yml"
        path.write_text(pipeline, encoding="utf-8")
        overrides = {"portal_url": sim.url, "client_id": sim.client_id, "client_secret": sim.client_secret}
        started, real_started, slept_before = clock.monotonic(), time.perf_counter(), clock.slept_real
        with _peak(memory) as peak:
            spec = spec_from_pipeline(load_pipeline(path, env={}), path=str(path))
            code = execute(
                spec,
                options or RunOptions(),
                env={},
                overrides=overrides,
                clock=clock,
                report_file=str(Path(tmp) / "report.json"),
                reporter=FallbackReporter(io.StringIO()),
            )
        seconds, real = clock.monotonic() - started, time.perf_counter() - real_started
        outcome = _outcome(sim, seconds, code, peak)
        return replace(
            outcome,
            real_seconds=real,
            slept_real_seconds=clock.slept_real - slept_before,
            timeline=Timeline.of(sim.request_log.entries(), started),
        )


def run_with_client(tenant: Tenant, work: Callable[[OdcClient], None], *, scale: float) -> Outcome:
    """``work(client)`` against a fresh simulator; exit code 0 unless it raised."""
    from odc_pipeline.settings import Settings

    with simulator(tenant, scale) as (sim, clock):
        settings = Settings(portal_url=sim.url, client_id=sim.client_id, client_secret=sim.client_secret)
        started = clock.monotonic()
        with OdcClient(settings, clock=clock) as client:
            work(client)
        return _outcome(sim, clock.monotonic() - started, 0, [])


def run_bare_http(tenant: Tenant, requests_count: int, *, memory: bool = False) -> Outcome:
    """The floor: discovery, one token, then plain keep-alive GETs with ``requests`` and no
    client logic, ``requests_count`` requests in all, against a fresh simulator."""
    import requests

    with simulator(tenant, 1.0) as (sim, _clock):
        started = time.perf_counter()
        with _peak(memory) as peak, requests.Session() as session:
            discovery = session.get(f"{sim.url}/identity/.well-known/openid-configuration", timeout=10).json()
            token = session.post(
                discovery["token_endpoint"],
                data={
                    "grant_type": "client_credentials",
                    "client_id": sim.client_id,
                    "client_secret": sim.client_secret,
                },
                timeout=10,
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            for _ in range(max(0, requests_count - 2)):
                session.get(f"{sim.url}/api/portfolios/v2/environments", headers=headers, timeout=10)
        real = time.perf_counter() - started
        return replace(_outcome(sim, real, 0, peak), real_seconds=real)
