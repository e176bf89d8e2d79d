"""The multi-asset benchmark: its bounds are true floors, and its quick mode reports every table.

Nothing here asserts a speed: the quick mode checks that the tables are produced and say what
they claim; the bounds are checked by hand-computed cases.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench import multi_asset
from bench.__main__ import main
from bench.multi_asset import harness_overhead, lower_bound, release_stages
from bench.release_bounds import analyses_first_floor, earliest_request, graph_reads
from bench.simulated import Outcome, Timeline, pipeline_yaml
from bench.tenant import layered_graph
from odc_pipeline.pipeline_file import load_pipeline
from odc_pipeline.simulator.requestlog import LoggedRequest


def test_lower_bound_is_set_by_the_longest_chain_or_by_the_post_limit() -> None:
    one = layered_graph(1)
    assert lower_bound(one, {"App L0 N00": 90.0}, analysis=3.0) == 93.0
    ten = layered_graph(10)
    flat = dict.fromkeys(ten.apps, 90.0)
    assert lower_bound(ten, flat, analysis=3.0) == 3.0 + 3 * 90.0
    slow_root = {**flat, "App L0 N00": 200.0}  # App L1 N00 and its consumer App L2 N00 wait for it
    assert lower_bound(ten, slow_root, analysis=3.0) == 3.0 + 200.0 + 90.0 + 90.0
    fifty = layered_graph(50)
    assert lower_bound(fifty, dict.fromkeys(fifty.apps, 90.0), analysis=3.0) == 3.0 + 4 * 60.0 + 90.0
    many = layered_graph(200)
    assert lower_bound(many, dict.fromkeys(many.apps, 90.0), analysis=3.0) == 3.0 + 19 * 60.0 + 90.0


def test_a_sliding_window_lets_request_k_in_no_earlier_than_k_over_the_limit_minutes() -> None:
    assert [earliest_request(k, 10) for k in (0, 9, 10, 19, 20)] == [0.0, 0.0, 60.0, 60.0, 120.0]


def test_passing_every_analysis_first_costs_the_domain_budget_of_all_of_them() -> None:
    ten = layered_graph(10)
    flat = dict.fromkeys(ten.apps, 90.0)
    # 30 Dependency Management requests fit one minute: only the one analysis counts
    assert analyses_first_floor(ten, flat, analysis=3.0) == lower_bound(ten, flat, analysis=3.0)
    fifty = layered_graph(50)
    # 16 graph reads + 100 requests: the 101st comes a minute after the first
    assert (
        analyses_first_floor(fifty, dict.fromkeys(fifty.apps, 90.0), analysis=3.0) == 60.0 + 4 * 60.0 + 90.0
    )
    many = layered_graph(200)
    assert graph_reads(many) == 66  # apps no other app uses: each one's graph must be read
    # 66 + 400 requests: the last status GET 4 minutes in (the last POST, request 266, only 2 + 3 s)
    assert (
        analyses_first_floor(many, dict.fromkeys(many.apps, 90.0), analysis=3.0) == 240.0 + 19 * 60.0 + 90.0
    )


def test_release_stages_write_a_policy_key_only_when_one_is_given(tmp_path: Path) -> None:
    assert "before-deploy" not in release_stages()
    assert "max-parallel" not in release_stages()
    assert "before-deploy: each" in release_stages("each")
    assert "max-parallel: 10" in release_stages("all", 10)
    path = tmp_path / "odc-pipeline.yml"
    path.write_text(
        pipeline_yaml(["A", "B"], target="QA", stages=release_stages(max_parallel=2)), encoding="utf-8"
    )
    pipeline = load_pipeline(path, env={})  # the quick mode's files validate on today's keys
    assert pipeline.stages.deploy is not None
    assert pipeline.stages.deploy.max_parallel == 2


def _logged(method: str, template: str, time: float, status: int = 200) -> LoggedRequest:
    return LoggedRequest(
        method, template, "", status, None, time, datetime(2026, 1, 1, tzinfo=UTC), None, template
    )


def test_timeline_reads_accepted_analysis_and_deploy_requests_relative_to_the_start() -> None:
    analyses = "/api/dependency-management/v1/deployment-analyses"
    deploys = "/api/deployments/v1/deployment-operations"
    entries = [
        _logged("POST", analyses, 102.0),
        _logged("POST", analyses, 103.0),
        _logged("GET", analyses + "/{analysisKey}", 108.0),
        _logged("POST", deploys, 109.0, status=429),  # refused: not a start
        _logged("POST", deploys, 115.0),
        _logged("GET", deploys + "/{operationKey}", 190.0),
        _logged("POST", deploys, 130.0),
    ]
    timeline = Timeline.of(entries, started=100.0)
    assert (timeline.first_analysis, timeline.last_analysis_result) == (2.0, 8.0)
    assert (timeline.first_deploy, timeline.last_deploy) == (15.0, 30.0)
    assert Timeline.of([], started=0.0) == Timeline()


def _seconds(*values: float) -> list[Outcome]:
    return [Outcome(v, 0, Counter(), 0) for v in values]


def test_harness_overhead_is_what_a_twice_as_fast_clock_adds() -> None:
    estimate, noise = harness_overhead(_seconds(100.0, 102.0, 104.0), _seconds(110.0, 112.0, 114.0))
    assert estimate == pytest.approx(10.0)
    assert noise == pytest.approx(2.0 * (2 * 4.0 / 3) ** 0.5)


def test_multi_asset_quick_mode_reports_every_table(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    assert main(["--quick", "--only", "multi-asset", "--output", str(out)]) == 0
    main_table, sequential, sweep, overhead = multi_asset.run(quick=True)
    assert [row[:2] for row in main_table.rows] == [["1", "default (no key)"], ["3", "default (no key)"]]
    for row in main_table.rows:
        assert float(row[2]) > 0  # the engine took platform time
        assert row[6] == "0"  # no 429
        assert float(row[4].rstrip("×")) >= 1.0  # never below the bound
    assert [row[0] for row in sequential.rows] == ["1", "3"]
    assert float(sequential.rows[0][1]) > 0
    assert sequential.rows[1][1].endswith("(extrapolated from the 1-app run)")
    assert [row[0] for row in sweep.rows] == ["default (no key)", "1", "2"]
    assert "1.00×" in [row[3] for row in sweep.rows]  # the best one
    assert "Default / best max-parallel:" in sweep.notes[0]
    assert [row[0] for row in overhead.rows] == ["1", "3"]  # the harness says how much is its own
    written = out.read_text(encoding="utf-8")
    assert "### Harness overhead in the multi-asset figures" in written
    assert "Builds are reused" in written
