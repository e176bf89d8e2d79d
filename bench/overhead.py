"""Benchmark 3: what odc-pipeline itself costs — time, API calls, memory, start-up.

A full single-asset pipeline (configure, build, impact-analysis, deploy, verify) runs against
the simulator with every operation instantaneous, so all the time measured is ours: request
handling, validation, bookkeeping. Its baseline, run in the same process against a fresh
simulator, is the floor: the same number of bare keep-alive HTTP requests with no client logic.
"""

from __future__ import annotations

import statistics
from collections import Counter

from bench import startup
from bench.simulated import Outcome, pipeline_yaml, run_bare_http, run_engine
from bench.tables import Table, ratio
from bench.tenant import TARGET_STAGE, single_app_tenant

APP = "Orders Portal"
STAGES = f"""\
  configure:
    {APP}:
      settings: {{ApiBaseUrl: https://api.example.com}}
  build: {{}}
  impact-analysis: {{fail-on: errors}}
  deploy: {{}}
  verify: {{}}
"""
MIB = 1024 * 1024


SCALE = 0.001  # poll waits (the first status call comes after 3 s) cost 3 ms of real time


def _working(outcome: Outcome) -> float:
    """Real seconds spent doing something: wall time minus time asleep between polls."""
    return max(0.0, outcome.real_seconds - outcome.slept_real_seconds)


def run(*, quick: bool = False) -> list[Table]:
    repeats = 1 if quick else 7
    tenant = single_app_tenant(APP)
    pipeline = pipeline_yaml([APP], target=TARGET_STAGE, stages=STAGES)
    ours: list[Outcome] = []
    floor: list[Outcome] = []
    for _ in range(repeats):  # interleaved, so load on the machine hits both alike
        ours.append(run_engine(tenant, pipeline, scale=SCALE))
        if ours[-1].exit_code != 0:
            raise RuntimeError(f"the single-asset pipeline failed (exit code {ours[-1].exit_code})")
        floor.append(run_bare_http(tenant, ours[-1].total_calls))
    ours_mem = run_engine(tenant, pipeline, scale=SCALE, memory=True)
    floor_mem = run_bare_http(tenant, ours_mem.total_calls, memory=True)
    ours_s = statistics.median(_working(o) for o in ours)
    wall_s = statistics.median(o.real_seconds for o in ours)
    floor_s = statistics.median(o.real_seconds for o in floor)
    ours_peak, floor_peak = (ours_mem.peak_bytes or 0) / MIB, (floor_mem.peak_bytes or 0) / MIB
    main = Table(
        f"Single-asset pipeline, instantaneous operations (median of {repeats})",
        [
            "run",
            "working ms",
            "vs floor",
            "wall ms incl. poll waits",
            "API requests",
            "peak traced MiB",
            "vs floor",
        ],
    )
    main.add(
        "bare HTTP, same request count (floor)",
        floor_s * 1000,
        "1.00×",
        floor_s * 1000,
        floor[-1].total_calls,
        floor_peak,
        "1.00×",
    )
    main.add(
        "odc-pipeline run: configure → verify",
        ours_s * 1000,
        ratio(ours_s, floor_s),
        wall_s * 1000,
        ours[-1].total_calls,
        ours_peak,
        ratio(ours_peak, floor_peak),
    )
    main.notes.append(
        "Both in this process against a fresh simulator (which runs in the same process, so its "
        "allocations are in both peaks); peak memory is tracemalloc's, measured in a separate run. "
        f"The pipeline runs on a clock scaled by {SCALE:g}: its status polls still wait (first call "
        "after 3 platform seconds), and 'working' is wall time minus those waits."
    )
    return [main, _by_endpoint(ours[-1].calls), *startup.run(quick=quick)]


def _by_endpoint(calls: Counter[str]) -> Table:
    table = Table("API calls of the single-asset pipeline, by endpoint", ["endpoint", "calls"])
    for endpoint, count in sorted(calls.items(), key=lambda item: (-item[1], item[0])):
        table.add(f"`{endpoint}`", count)
    table.add("**total**", sum(calls.values()))
    return table
