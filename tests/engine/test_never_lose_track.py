"""Whatever ends the run, every operation it started and did not see finish is in the report.

Issue 10, finding 3: one 500 on a deploy-status GET used to end the run with ``in_flight: []``,
the old revision as ``revision_after`` and the PATCHed configuration "pending", while the
deploy was still running in ODC and would apply it. Status reads are now retried, and when
the run does stop (reads keep failing, the stage timeout) the report keeps track.
"""

from __future__ import annotations

from .e2e import EXAMPLES, example_variant, simulated

RELEASE = EXAMPLES / "multi-asset-release.yml"
APPS = {"Orders API": 1, "Orders Portal": 1, "Orders Backoffice": 1}
STATUS_GET = "/deployment-operations/"  # GET /deployment-operations/{key} (and its messages)


def _slow(data):
    data["durations"]["deployment"] = 1500


# Without rollback-on-failure: a failure here would otherwise start the release-level rollback
# (tests/engine/test_e2e_rollback.py covers that); these tests are about what the report keeps.
NO_ROLLBACK = {"rollback-on-failure: true": "rollback-on-failure: false"}


def _api_value_changes(tmp_path):
    return example_variant(
        tmp_path,
        "multi-asset-release.yml",
        {"ServiceTimeoutSeconds: 30": "ServiceTimeoutSeconds: 45", **NO_ROLLBACK},
    )


def test_one_500_on_a_deploy_status_read_is_retried_and_the_release_succeeds(tmp_path):
    with simulated(tmp_path) as sim:
        sim.simulator.faults.add("server-error", status=500, times=1, method="GET", path=STATUS_GET)
        run = sim.run(RELEASE)
        assert run.report.exit_code == 0, run.report.error
        assert len([e for e in sim.statuses(500) if STATUS_GET in e.path]) == 1
        assert sim.started() == APPS


def _our_running_deploys(sim):
    return [
        op.key
        for op in sim.simulator.state.deployments.values()
        if op.deployed_by == sim.simulator.client_id and op.operation == "Deploy"
    ]


def _assert_deploy_tracked(sim, run):
    (running,) = _our_running_deploys(sim)
    assert run.report.in_flight == (running,)
    api = next(a for a in run.report.assets if a.name == "Orders API")
    assert api.revision_after is None  # unknown while the deploy runs
    assert api.running_operation == running
    steps = {(s.asset, s.stage): s for s in run.report.steps}
    deploy = steps[("Orders API", "deploy")]
    assert deploy.operation_key == running
    assert "still running in ODC" in deploy.summary
    configure = steps[("Orders API", "configure")]
    assert f"applied by deploy {running} when it finishes" in configure.summary
    assert configure.operation_key == running
    assert any(running in w and "still running in ODC" in w for w in run.reporter.texts("warning"))
    return running


def test_status_reads_that_keep_failing_end_the_run_with_the_deploy_in_flight(tmp_path):
    pipeline = _api_value_changes(tmp_path)
    with simulated(tmp_path, _slow) as sim:
        sim.simulator.faults.add("server-error", status=500, method="GET", path=STATUS_GET)
        run = sim.run(pipeline)
        assert run.report.exit_code == 1
        assert "500" in run.report.error
        running = _assert_deploy_tracked(sim, run)
        assert run.report.status == "failed"
        assert len(sim.deploys()) == 1  # nothing else started after the failure
        sim.simulator.faults.clear()
        again = sim.run(pipeline)  # attaches to the running deploy; no ApplyConfigs for its values
        assert again.report.exit_code == 0, again.report.error
        assert sim.started() == APPS
        assert sim.started("ApplyConfigs") == {}
        assert running in {s.operation_key for s in again.report.steps if s.stage == "deploy"}


def test_a_deploy_stage_timeout_exits_5_with_the_deploy_in_flight(tmp_path):
    pipeline = example_variant(
        tmp_path,
        "multi-asset-release.yml",
        {
            "ServiceTimeoutSeconds: 30": "ServiceTimeoutSeconds: 45",
            "deploy: 30m": "deploy: 2m",
            **NO_ROLLBACK,
        },
    )
    with simulated(tmp_path, _slow) as sim:
        run = sim.run(pipeline)
        assert run.report.exit_code == 5, run.report.error
        _assert_deploy_tracked(sim, run)
        deploy = next(s for s in run.report.steps if s.stage == "deploy" and s.asset == "Orders API")
        assert deploy.status == "timed-out"


def test_rerun_reports_the_values_the_attached_deploy_applied(tmp_path):
    pipeline = _api_value_changes(tmp_path)
    with simulated(tmp_path, _slow) as sim:
        sim.simulator.faults.add("server-error", status=500, method="GET", path=STATUS_GET)
        first = sim.run(pipeline)
        running = _assert_deploy_tracked(sim, first)
        sim.simulator.faults.clear()
        mark = sim.mark()
        again = sim.run(pipeline)
        assert again.report.exit_code == 0, again.report.error
        api_key = sim.asset_key("Orders API")
        changes = [
            e for e in sim.mutations(mark) if "/deployment-analyses" not in e.path
        ]  # analyses change nothing
        mine = [e for e in changes if api_key in e.path or (e.body or {}).get("assetKey") == api_key]
        assert mine == []  # no PATCH, no ApplyConfigs, no second deploy for Orders API
        configure = next(s for s in again.report.steps if s.stage == "configure" and s.asset == "Orders API")
        assert configure.status == "succeeded"
        assert f"applied by the running deploy {running}" in configure.summary
        assert configure.details["changes"] == 1
        values = sim.simulator.state.config_values("QA", "Orders API")["ServiceTimeoutSeconds"]
        assert values["deployedValue"] == "45"


def test_applyconfigs_whose_status_reads_keep_failing_is_in_flight_and_named_for_its_values(tmp_path):
    def slow_apply(data):
        data["durations"]["apply_configs"] = 1500

    with simulated(tmp_path, slow_apply) as sim:
        sim.simulator.faults.add("server-error", status=500, method="GET", path=STATUS_GET)
        run = sim.run(EXAMPLES / "configuration-only.yml")
        assert run.report.exit_code == 1
        applying = [
            op.key
            for op in sim.simulator.state.deployments.values()
            if op.deployed_by == sim.simulator.client_id and op.operation == "ApplyConfigs"
        ]
        assert applying  # Orders Portal's values
        assert set(run.report.in_flight) == set(applying)
        portal = next(s for s in run.report.steps if s.stage == "configure" and s.asset == "Orders Portal")
        assert f"applied by ApplyConfigs {portal.operation_key} when it finishes" in portal.summary
        assert portal.operation_key in applying
