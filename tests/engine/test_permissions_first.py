"""A missing write permission stops the run before its first change (issue 10, finding 4).

Before: a client without Edit configurations in QA got through resolve, build and analysis and
deployed two apps before the third app's PATCH answered 403; a client without Deploy assets was
caught only after a Release build had started. Each permission is now asked with a call that
needs it and changes nothing: an impact analysis for Deploy assets (in resolve), an empty
PATCH for Edit configurations (in configure, before any build). "No change" is read from the
simulator's own log: no build, no deploy, no ApplyConfigs, no PATCH carrying a value.
"""

from __future__ import annotations

from .e2e import EXAMPLES, simulated

RELEASE = EXAMPLES / "multi-asset-release.yml"


def _client_without(permission: str, stage: str = "QA"):
    def edit(data):
        data["api_clients"].append(
            {
                "client_id": "partial",
                "client_secret": "partial-secret",
                "permissions": {"*": ["all"]},
                "denied": {stage: [permission]},
            }
        )

    return edit


def _assert_nothing_changed(sim):
    assert sim.builds_started() == {}
    assert sim.started() == {}
    assert sim.started("ApplyConfigs") == {}
    assert sim.patches() == []


def test_without_edit_configurations_nothing_is_built_or_deployed(tmp_path):
    with simulated(tmp_path, _client_without("Configuration management > Edit configurations")) as sim:
        run = sim.run(RELEASE, client_id="partial", client_secret="partial-secret")
        assert run.report.exit_code == 3
        assert run.report.status == "unauthorized"
        assert "the configure stage cannot run with this API client" in run.report.error
        assert "Configuration management > Edit configurations" in run.report.error
        _assert_nothing_changed(sim)
        (probe,) = sim.probes()
        assert probe.status == 403


def test_without_deploy_assets_no_release_build_starts(tmp_path):
    with simulated(tmp_path, _client_without("Release management > Deploy assets")) as sim:
        run = sim.run(RELEASE, client_id="partial", client_secret="partial-secret")
        assert run.report.exit_code == 3
        assert "the deploy stage cannot run with this API client" in run.report.error
        assert "Release management > Deploy assets" in run.report.error
        assert run.report.steps == ()  # stopped in resolve
        _assert_nothing_changed(sim)
        assert sim.probes() == []


def test_configuration_only_run_without_deploy_assets_patches_nothing(tmp_path):
    """Without a deploy stage values go out with ApplyConfigs, which needs Deploy assets too."""
    pipeline = tmp_path / "configure-only.yml"
    pipeline.write_text(
        "version: 1\ntarget: QA\nassets: [Orders API]\nstages:\n  configure:\n"
        "    Orders API:\n      settings:\n        ServiceTimeoutSeconds: 45\n"
    )
    with simulated(tmp_path, _client_without("Release management > Deploy assets")) as sim:
        run = sim.run(pipeline, client_id="partial", client_secret="partial-secret")
        assert run.report.exit_code == 3
        assert "Release management > Deploy assets" in run.report.error
        _assert_nothing_changed(sim)


def test_the_probes_change_nothing_and_the_impact_stage_reuses_the_probe_analysis(tmp_path):
    with simulated(tmp_path) as sim:
        run = sim.run(RELEASE)
        assert run.report.exit_code == 0, run.report.error
        (probe,) = sim.probes()
        assert probe.status == 204
        analyses = sim.requests(method="POST", contains="/deployment-analyses")
        assert len(analyses) == 3  # one per app: the probe's is the first app's analysis
        builds = sim.requests(method="POST", contains="/build-operations")
        assert analyses[0].time <= probe.time <= builds[0].time  # both asked before the first change
        mark = sim.mark()
        again = sim.run(RELEASE)
        assert again.report.exit_code == 0, again.report.error
        assert sim.mutations(mark) == []  # a re-run that changes nothing probes nothing
