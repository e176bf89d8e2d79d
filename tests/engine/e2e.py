"""Harness for end-to-end runs: the real simulator, the real client, real HTTP on loopback.

Simulator and engine share one ScaledClock with a small scale, so a 90 s deploy takes a
fraction of a second and no test sleeps on purpose. ``tenant(**changes)`` writes a variant of
examples/tenant.yaml (outcomes, durations, revisions) so each failure mode is one line.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from odc_pipeline.api import OdcClient
from odc_pipeline.clock import ScaledClock
from odc_pipeline.engine.context import RunContext
from odc_pipeline.engine.options import RunOptions, spec_from_pipeline
from odc_pipeline.engine.report_file import write_report
from odc_pipeline.engine.runner import run_pipeline
from odc_pipeline.pipeline_file import load_pipeline
from odc_pipeline.report import RunReport
from odc_pipeline.settings import Settings
from odc_pipeline.simulator import start_simulator

from .fakes import RecordingReporter

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
SCALE = 0.002
MUTATING = {"POST", "PATCH", "PUT", "DELETE"}


def two_stage_tenant(name: str, assets: list[dict[str, Any]], **sections: Any) -> str:
    """A tenant file's text: one all-permissions API client ``ci``/``ci-secret``, the stages
    Development and QA, ``assets``, and any further top-level ``sections``."""
    data: dict[str, Any] = {
        "organization": {"name": name},
        "api_clients": [
            {"client_id": "ci", "client_secret": "ci-secret", "default": True, "permissions": {"*": ["all"]}}
        ],
        "stages": [
            {"name": "Development", "purpose": "Development", "order": 0},
            {"name": "QA", "purpose": "NonProduction", "order": 1000},
        ],
        "assets": assets,
        **sections,
    }
    return yaml.safe_dump(data, sort_keys=False)


RATE_LIMITED = {
    "durations": {"build": 60, "deployment": 90, "analysis": 3},
    "rate_limits": {"enabled": True, "domain_per_minute": 100, "post_per_minute": 10},
}


def tenant_file(tmp: Path, edit: Callable[[dict[str, Any]], None] | None = None) -> Path:
    data = yaml.safe_load((EXAMPLES / "tenant.yaml").read_text())
    if edit is not None:
        edit(data)
    path = tmp / "tenant.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def pipeline_file(tmp: Path, text: str, name: str = "pipeline.yml") -> Path:
    path = tmp / name
    path.write_text(text)
    return path


def example_variant(tmp: Path, example: str, replacements: dict[str, str]) -> Path:
    """A copy of ``examples/<example>`` with some text replaced (each must be present)."""
    text = (EXAMPLES / example).read_text()
    for old, new in replacements.items():
        assert old in text, f"{old!r} not in {example}"
        text = text.replace(old, new)
    return pipeline_file(tmp, text, name=f"variant-{example}")


@dataclass
class Run:
    report: RunReport
    reporter: RecordingReporter
    report_path: Path


class Sim:
    """A running simulator plus helpers to run pipelines against it and read its log."""

    def __init__(self, simulator: Any, clock: ScaledClock, tmp: Path) -> None:
        self.simulator = simulator
        self.clock = clock
        self.tmp = tmp
        self.runs = 0

    def context(
        self,
        pipeline: Path,
        *,
        options: RunOptions | None = None,
        env: dict[str, str] | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        session: Any = None,
        settings: dict[str, Any] | None = None,
    ) -> tuple[RunContext, RecordingReporter]:
        sim = self.simulator
        parsed = load_pipeline(pipeline, env=env or {})
        client_settings = Settings.from_env(
            {},
            portal_url=sim.url,
            client_id=client_id or sim.client_id,
            client_secret=client_secret or sim.client_secret,
            **(settings or {}),
        )
        reporter = RecordingReporter()
        client = OdcClient(client_settings, clock=self.clock, session=session)
        ctx = RunContext(
            client=client,
            clock=self.clock,
            reporter=reporter,
            spec=spec_from_pipeline(parsed, path=str(pipeline)),
            options=options or RunOptions(),
        )
        return ctx, reporter

    def run(self, pipeline: Path, **kwargs: Any) -> Run:
        ctx, reporter = self.context(pipeline, **kwargs)
        return self.finish(ctx, reporter)

    def finish(self, ctx: RunContext, reporter: RecordingReporter) -> Run:
        try:
            report = run_pipeline(ctx)
        finally:
            ctx.client.close()
        self.runs += 1
        path = write_report(report, self.tmp / f"report-{self.runs}.json")
        return Run(report, reporter, path)

    def mark(self) -> int:
        return len(self.simulator.request_log)

    def requests(self, since: int = 0, *, method: str | None = None, contains: str = "") -> list[Any]:
        entries = self.simulator.request_log.entries()[since:]
        return [e for e in entries if (method is None or e.method == method) and contains in e.path]

    def mutations(self, since: int = 0) -> list[Any]:
        return [e for e in self.requests(since) if e.method in MUTATING and e.path.startswith("/api/")]

    def patches(self, since: int = 0) -> list[Any]:
        """Configuration PATCHes that carry values (the empty permission probe changes nothing)."""
        return [e for e in self.requests(since, method="PATCH", contains="/configurations") if e.body]

    def probes(self, since: int = 0) -> list[Any]:
        """The empty PATCHes that ask for Edit configurations before the first change."""
        return [e for e in self.requests(since, method="PATCH", contains="/configurations") if e.body == {}]

    def deploys(self, since: int = 0, operation: str = "Deploy") -> list[dict[str, Any]]:
        return [
            e.body
            for e in self.requests(since, method="POST", contains="/deployment-operations")
            if isinstance(e.body, dict) and e.body.get("operation") == operation and 200 <= e.status < 300
        ]

    def started(self, operation: str = "Deploy") -> dict[str, int]:
        """Operations the simulator really started, per asset name (seeded history excluded)."""
        state = self.simulator.state
        counts: dict[str, int] = {}
        for op in state.deployments.values():
            if op.operation == operation and op.deployed_by == self.simulator.client_id:
                name = state.asset(op.asset_key).name
                counts[name] = counts.get(name, 0) + 1
        return counts

    def wait_until(self, done: Callable[[], bool], *, clock_seconds: float = 2000) -> None:
        """Let simulator time pass (the shared scaled clock) until ``done()`` or give up."""
        deadline = self.clock.monotonic() + clock_seconds
        while not done() and self.clock.monotonic() < deadline:
            self.clock.sleep(5)
        assert done(), "the simulator never reached the expected state"

    def builds_started(self) -> dict[str, int]:
        state = self.simulator.state
        counts: dict[str, int] = {}
        for build in state.builds.values():
            if build.built_by == self.simulator.client_id:
                name = state.asset(build.asset_key).name
                counts[name] = counts.get(name, 0) + 1
        return counts

    def statuses(self, status: int, since: int = 0) -> list[Any]:
        return [e for e in self.requests(since) if e.status == status]

    def asset_key(self, name: str) -> str:
        return next(a.key for a in self.simulator.state.assets.values() if a.name == name)


@contextmanager
def simulated(
    tmp: Path, edit: Callable[[dict[str, Any]], None] | None = None, *, scale: float = SCALE
) -> Iterator[Sim]:
    clock = ScaledClock(scale)
    with start_simulator(tenant_file(tmp, edit), clock=clock) as simulator:
        yield Sim(simulator, clock, tmp)


def in_thread(fn: Callable[[], Any]) -> tuple[threading.Thread, list[Any]]:
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(fn()), daemon=True)
    thread.start()
    return thread, box
