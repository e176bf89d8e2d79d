"""A full promotion through real HTTP with the real API client: the flow the engine runs.

token → resolve stage and asset by name → Release build → impact analysis → config patch →
deploy → deployed-assets shows the new revision and the patched configuration is live.
"""

from __future__ import annotations

from odc_pipeline.api.models.configurations import AssetConfigPatch, ConfigValuePatch

from .conftest import wait_for


def test_promote_orders_portal_from_qa_revision_to_production(sim, make_client, clock):
    client = make_client(sim)
    production = next(e for e in client.portfolio.environments() if e.name == "Production")
    (portal,) = client.assets.find_by_name("Orders Portal")
    revision = 19  # what QA runs

    started = client.builds.start(portal.asset_key, revision, build_type="Release")
    assert started.is_successful
    build = wait_for(clock, lambda: (b := client.builds.get(started.build_key)).status in ("Finished",) and b)
    assert build.build_type == "Release"

    analysis_key = client.dependencies.start_deployment_analysis(portal.asset_key, revision, production.key)
    analysis = wait_for(
        clock,
        lambda: (
            (a := client.dependencies.get_deployment_analysis(analysis_key)).process_status != "InProgress"
            and a
        ),
        step=1.0,
    )
    assert analysis.process_status == "Finished"
    assert analysis.report.status == "NoIssuesFound"

    config = client.configurations.get_deployed(production.key, portal.asset_key)
    setting = next(s for s in config.settings if s.name == "MaxItemsPerPage")
    client.configurations.patch(
        production.key,
        portal.asset_key,
        AssetConfigPatch(
            revision_baseline=revision, settings=[ConfigValuePatch(key=setting.key, value="40")]
        ),
    )
    pending = next(
        s
        for s in client.configurations.get_deployed(production.key, portal.asset_key).settings
        if s.key == setting.key
    )
    assert (pending.value, pending.deployed_value) == ("40", "25")

    operation = client.deployments.start(
        operation="Deploy",
        asset_key=portal.asset_key,
        environment_key=production.key,
        revision=revision,
        build_key=build.build_key,
    )
    assert operation.status == "Running"
    assert sim.state.running_revision("Production", "Orders Portal") == 17  # not before it finishes
    (before,) = client.portfolio.deployed_assets(
        asset_keys=[portal.asset_key], environment_keys=[production.key]
    )
    assert [d.revision for d in before.deployments] == [17]
    done = wait_for(clock, lambda: (d := client.deployments.get(operation.key)).status != "Running" and d)
    assert done.status == "Finished"

    (deployed,) = client.portfolio.deployed_assets(
        asset_keys=[portal.asset_key], environment_keys=[production.key]
    )
    (in_production,) = [d for d in deployed.deployments if d.environment_key == production.key]
    assert in_production.revision == revision
    assert in_production.build_key == build.build_key
    live = next(
        s
        for s in client.configurations.get_deployed(production.key, portal.asset_key).settings
        if s.key == setting.key
    )
    assert (live.value, live.deployed_value) == ("40", "40")
    messages = [m.message for m in client.deployments.messages(operation.key)]
    assert messages[-1] == "Orders Portal revision 19 is live in Production."
