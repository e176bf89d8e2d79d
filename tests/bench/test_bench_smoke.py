"""Every benchmark still runs, on tiny inputs, so the published figures can be reproduced.

These check that the benchmarks execute and report what they claim to, not how fast the
machine is: nothing here asserts a wall-clock limit.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import concurrent, polling
from bench.__main__ import main
from bench.strategies import DOCS, OURS, STRATEGIES
from bench.tenant import layered_graph
from odc_pipeline.clock import ManualClock
from odc_pipeline.engine.poller import PollBudget


def test_polling_benchmark_reports_every_strategy_beside_the_docs_baseline() -> None:
    main_table, per_kind, robustness, prior_misfit, together = polling.run(quick=True)
    assert [row[0] for row in main_table.rows] == [s.name for s in STRATEGIES]
    docs_row = next(row for row in main_table.rows if row[0] == DOCS.name)
    assert docs_row[2] == "1.00×"
    assert {row[0] for row in per_kind.rows} == {"analysis", "build", "deploy"}
    assert len(robustness.rows) == 2
    assert [row[0] for row in prior_misfit.rows] == ["typical (as assumed)", "3× slower", "3× faster"]
    assert "seeds 1, 2" in main_table.notes[0]
    assert "Harness overhead" in main_table.notes[1]
    assert [row[:2] for row in together.rows[:3]] == [
        ["1", "ours + shared budget"],
        ["1", "ours, no budget"],
        ["1", DOCS.name],
    ]


def test_concurrent_waits_with_the_budget_never_exceed_the_poll_share() -> None:
    ops = concurrent.deploys(7, 30)
    lags, _, budgeted, _ = concurrent.run_together(ops, OURS, budgeted=True)
    _, _, unbudgeted, _ = concurrent.run_together(ops, OURS, budgeted=False)
    share = PollBudget(ManualClock()).polls_per_minute
    assert concurrent.busiest_minute(budgeted) <= share < concurrent.busiest_minute(unbudgeted)
    assert all(0.0 <= lag <= 60.0 for lag in lags)  # spaced out, yet every finish is seen


def test_polling_benchmark_measures_lag_and_calls_of_the_real_poller() -> None:
    waits = polling.run_seed(3, 30, (OURS, DOCS))
    docs = waits[DOCS.name]
    assert all(0.0 <= w.lag <= 30.0 for w in docs)  # the docs' slowest interval bounds its lag
    assert all(w.calls >= 1 for w in docs)
    long_ones = [w for w in docs if w.lag > 5.0]
    assert long_ones  # operations past 30 s are polled every 30 s
    assert polling.Summary.of(waits[OURS.name]).median_lag < polling.Summary.of(docs).median_lag


def test_ours_beats_the_docs_schedule_on_an_unpublished_seed() -> None:
    """The published claim, checked on a seed the schedule was not chosen on."""
    assert polling.beats_docs(polling.run_seed(20261201, 300, (OURS, DOCS)))


def test_command_prints_and_writes_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "results.md"
    assert main(["--quick", "--only", "polling", "--output", str(out)]) == 0
    written = out.read_text(encoding="utf-8")
    assert "| ours (with history) |" in written
    assert "## polling" in written
    assert "### Detection lag" in capsys.readouterr().out


def test_layered_graph_has_the_requested_depth_and_producers_one_level_down() -> None:
    graph = layered_graph(50)
    assert graph.depth == 3
    assert [len(level) for level in graph.levels] == [17, 17, 16]
    level_of = {app: i for i, level in enumerate(graph.levels) for app in level}
    for app, producers in graph.producers.items():
        assert all(level_of[p] == level_of[app] - 1 for p in producers)
        assert bool(producers) == (level_of[app] > 0)
    assert layered_graph(1).depth == 1


def test_give_history_makes_past_deploys_last_about_the_apps_own_duration() -> None:
    """The engine reads this history through the real client, so check it the same way."""
    from bench.simulated import simulator
    from bench.tenant import TARGET_STAGE, give_history, tenant_for
    from odc_pipeline.api.client import OdcClient
    from odc_pipeline.engine.poller import hint_from_operations
    from odc_pipeline.settings import Settings

    graph = layered_graph(3)
    deploys = {app: 60.0 + 30.0 * i for i, app in enumerate(graph.apps)}
    with simulator(tenant_for(graph, deploy_seconds=deploys), 0.002) as (sim, clock):
        assert give_history(sim.state, deploys) == 5 * len(graph.apps)
        settings = Settings(portal_url=sim.url, client_id=sim.client_id, client_secret=sim.client_secret)
        with OdcClient(settings, clock=clock) as client:
            qa = next(e.key for e in client.portfolio.environments() if e.name == TARGET_STAGE)
            for app, seconds in deploys.items():
                (asset,) = client.assets.find_by_name(app)
                past = list(
                    client.deployments.list(
                        environment_key=qa,
                        asset_key=asset.asset_key,
                        status="Finished",
                        operations=["Deploy"],
                        limit=10,
                    )
                )
                assert len(past) == 5
                hint = hint_from_operations(past)
                assert hint is not None
                assert seconds / 1.3 <= hint.median <= seconds * 1.3
            assert sim.state.running_revision(TARGET_STAGE, graph.apps[0]) == 1  # nothing else moved


def test_overhead_benchmark_counts_calls_by_endpoint_and_times_start_up(tmp_path: Path) -> None:
    out = tmp_path / "results.md"
    assert main(["--quick", "--only", "overhead", "--output", str(out)]) == 0
    written = out.read_text(encoding="utf-8")
    assert "`POST /api/deployments/v1/deployment-operations` | 1 |" in written
    assert "| odc-pipeline --version |" in written
    assert "| python -c pass (baseline) |" in written


def test_upload_memory_benchmark_streams_the_package_and_compares_with_reading_it_whole() -> None:
    from bench import upload_memory

    results = upload_memory.measure(4 * 1024 * 1024)
    whole, streamed = results["read whole (baseline)"], results["streamed from disk (ours)"]
    assert whole[1] == streamed[1]  # the store received the same bytes both ways
    assert whole[0] > 4 * 1024 * 1024  # reading whole holds the package in memory
    assert streamed[0] < whole[0] / 2
    (table,) = upload_memory.run(quick=True)
    assert [row[0] for row in table.rows] == ["read whole (baseline)", "streamed from disk (ours)"]
    assert table.rows[0][2] == "1.00×"
