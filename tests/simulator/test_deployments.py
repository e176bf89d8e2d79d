"""Deployments and configurations: pending values, Deploy/ApplyConfigs, failures, messages."""

from __future__ import annotations

import pytest

from odc_pipeline.api import BadRequestError
from odc_pipeline.api.models.configurations import AssetConfigPatch, ConfigGroupPatch, ConfigValuePatch

from .conftest import edited_tenant, keys, wait_for


def _release_build(client, clock, asset_key, revision):
    started = client.builds.start(asset_key, revision)
    return wait_for(clock, lambda: (b := client.builds.get(started.build_key)).status == "Finished" and b)


def _done(client, clock, key):
    return wait_for(clock, lambda: (d := client.deployments.get(key)).status != "Running" and d)


def _setting(config, name):
    return next(s for s in config.settings if s.name == name)


def test_patched_values_stay_pending_until_apply_configs(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    qa, api_app = k["QA"], k["Orders API"]
    timeout = _setting(client.configurations.get_deployed(qa, api_app), "ServiceTimeoutSeconds")
    client.configurations.patch(
        qa, api_app, AssetConfigPatch(settings=[ConfigValuePatch(key=timeout.key, value="45")])
    )
    clock.advance(600)  # time alone applies nothing
    pending = _setting(client.configurations.get_deployed(qa, api_app), "ServiceTimeoutSeconds")
    assert (pending.value, pending.deployed_value) == ("45", "30")
    operation = client.deployments.start(
        operation="ApplyConfigs", asset_key=api_app, environment_key=qa, revision=11
    )
    assert _done(client, clock, operation.key).status == "Finished"
    applied = _setting(client.configurations.get_deployed(qa, api_app), "ServiceTimeoutSeconds")
    assert (applied.value, applied.deployed_value) == ("45", "45")
    assert sim.state.running_revision("QA", "Orders API") == 11


def test_secrets_are_never_shown_but_are_applied(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    prod, api_app = k["Production"], k["Orders API"]
    secret = _setting(client.configurations.get_deployed(prod, api_app), "PaymentsApiKey")
    assert (secret.is_secret, secret.value, secret.deployed_value) == (True, None, None)
    client.configurations.patch(
        prod, api_app, AssetConfigPatch(settings=[ConfigValuePatch(key=secret.key, value="new-key")])
    )
    assert (
        _setting(client.configurations.get_deployed(prod, api_app), "PaymentsApiKey").value_set_after_deploy
        is True
    )
    operation = client.deployments.start(
        operation="ApplyConfigs", asset_key=api_app, environment_key=prod, revision=9
    )
    _done(client, clock, operation.key)
    assert sim.state.config_values("Production", "Orders API")["PaymentsApiKey"] == {
        "value": "new-key",
        "deployedValue": "new-key",
    }
    assert (
        _setting(client.configurations.get_deployed(prod, api_app), "PaymentsApiKey").value_set_after_deploy
        is False
    )


def test_timers_and_integrations_are_patched_by_key(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    qa, portal = k["QA"], k["Orders Portal"]
    config = client.configurations.get_deployed(qa, portal)
    timer = next(t for t in config.timers if t.name == "NightlySync")
    gateway = next(i for i in config.integrations if i.name == "PaymentsGateway")
    assert gateway.plugin_type == "RestConsumer"
    patch = AssetConfigPatch(
        timers=[ConfigGroupPatch(key=timer.key, configs=[ConfigValuePatch(key="IsActive", value="False")])],
        integrations=[
            ConfigGroupPatch(
                key=gateway.key, configs=[ConfigValuePatch(key="BaseUrl", value="https://x.example")]
            )
        ],
    )
    client.configurations.patch(qa, portal, patch)
    values = sim.state.config_values("QA", "Orders Portal")
    assert values["NightlySync.IsActive"] == {"value": "False", "deployedValue": "True"}
    assert values["PaymentsGateway.BaseUrl"]["value"] == "https://x.example"


@pytest.mark.parametrize(
    ("setting", "value"),
    [("MaxItemsPerPage", "many"), ("EnableBetaFeatures", "maybe"), ("NoSuchSetting", "1")],
)
def test_patches_the_revision_cannot_take_are_refused(sim, make_client, setting, value):
    client = make_client(sim)
    k = keys(sim)
    config = client.configurations.get_deployed(k["QA"], k["Orders Portal"])
    key = next((s.key for s in config.settings if s.name == setting), "00000000-0000-4000-8000-00000000000a")
    with pytest.raises(BadRequestError):
        client.configurations.patch(
            k["QA"], k["Orders Portal"], AssetConfigPatch(settings=[ConfigValuePatch(key=key, value=value)])
        )
    assert all(
        v["value"] == v["deployedValue"] for v in sim.state.config_values("QA", "Orders Portal").values()
    )


def test_a_failed_deployment_changes_nothing_and_says_why(make_sim, make_client, clock):
    def fail_portal_in_production(data):
        data["outcomes"] = [
            {
                "operation": "deployment",
                "asset": "Orders Portal",
                "stage": "Production",
                "result": "failure",
                "message": "Disk full",
            }
        ]

    sim = make_sim(edited_tenant(fail_portal_in_production))
    client = make_client(sim)
    k = keys(sim)
    prod, portal = k["Production"], k["Orders Portal"]
    build = _release_build(client, clock, portal, 19)
    setting = _setting(client.configurations.get_deployed(prod, portal), "MaxItemsPerPage")
    client.configurations.patch(
        prod, portal, AssetConfigPatch(settings=[ConfigValuePatch(key=setting.key, value="40")])
    )
    operation = client.deployments.start(
        operation="Deploy", asset_key=portal, environment_key=prod, revision=19, build_key=build.build_key
    )
    assert _done(client, clock, operation.key).status == "FinishedWithError"
    messages = list(client.deployments.messages(operation.key))
    assert [m.message for m in messages if m.severity == "Error"] == ["Disk full"]
    assert sim.state.running_revision("Production", "Orders Portal") == 17
    (deployed,) = client.portfolio.deployed_assets(asset_keys=[portal], environment_keys=[prod])
    assert [d.revision for d in deployed.deployments] == [17]
    still = _setting(client.configurations.get_deployed(prod, portal), "MaxItemsPerPage")
    assert (still.value, still.deployed_value) == ("40", "25")


def test_deployments_are_listed_newest_first_with_filters(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    build = _release_build(client, clock, k["Orders Portal"], 20)
    operation = client.deployments.start(
        operation="Deploy",
        asset_key=k["Orders Portal"],
        environment_key=k["QA"],
        revision=20,
        build_key=build.build_key,
    )
    _done(client, clock, operation.key)
    history = list(client.deployments.list(environment_key=k["QA"], asset_key=k["Orders Portal"]))
    assert [(d.key, d.revisions) for d in history] == [(operation.key, [20]), (history[1].key, [19])]
    assert list(client.deployments.list(environment_key=k["QA"], status="FinishedWithError")) == []


def test_libraries_and_not_deployed_assets_are_refused(sim, make_client):
    client = make_client(sim)
    k = keys(sim)
    with pytest.raises(BadRequestError):
        client.deployments.start(
            operation="ApplyConfigs", asset_key=k["Orders Core"], environment_key=k["QA"], revision=8
        )


@pytest.mark.parametrize("operation", ["Deploy", "Undeploy", "ApplyConfigs"])
def test_a_library_is_never_deployed_even_with_a_finished_release_build(sim, make_client, clock, operation):
    """Libraries are released by tagging and bundled into consumers (odc-api-notes §6.6, §11.2)."""
    client = make_client(sim)
    k = keys(sim)
    build = _release_build(client, clock, k["Orders Core"], 8)
    extra = {"revision": 8, "build_key": build.build_key} if operation == "Deploy" else {}
    with pytest.raises(BadRequestError) as refused:
        client.deployments.start(
            operation=operation, asset_key=k["Orders Core"], environment_key=k["QA"], **extra
        )
    assert "released by tagging, not deployed" in refused.value.problem.detail
    assert not [d for d in sim.state.deployments.values() if d.asset_key == k["Orders Core"]]
    assert list(client.portfolio.deployed_assets(asset_keys=[k["Orders Core"]])) == []


def test_message_pages_follow_the_string_cursor(sim, api, clock):
    k = keys(sim)
    body = {
        "operation": "ApplyConfigs",
        "assetKey": k["Orders API"],
        "environmentKey": k["QA"],
        "revision": 11,
    }
    key = api("POST", "/api/deployments/v1/deployment-operations", json=body).json()["key"]
    clock.advance(60)
    seen, cursor = [], None
    while True:
        params = {"limit": 1, **({"offset": cursor} if cursor else {})}
        page = api("GET", f"/api/deployments/v1/deployment-operations/{key}/messages", params=params).json()
        seen += [m["message"] for m in page["results"]]
        cursor = page["page"]["nextPageOffset"]
        if cursor is None:
            break
        assert isinstance(cursor, str)
    assert seen == [
        "Applying configurations of Orders API in QA.",
        "ApplyConfigs of Orders API in QA finished.",
    ]


def test_deployed_apps_answer_at_their_url(sim, make_client):
    import requests

    client = make_client(sim)
    k = keys(sim)
    (portal,) = client.portfolio.deployed_assets(asset_keys=[k["Orders Portal"]], environment_keys=[k["QA"]])
    answer = requests.get(portal.deployments[0].url, timeout=10)
    assert answer.status_code == 200
    assert "Orders Portal revision 19 in QA" in answer.text


def test_apply_configs_without_revision_uses_the_deployed_one(sim, api, clock):
    k = keys(sim)
    body = {"operation": "ApplyConfigs", "assetKey": k["Orders API"], "environmentKey": k["Production"]}
    started = api("POST", "/api/deployments/v1/deployment-operations", json=body)
    assert started.status_code == 201
    assert started.json()["revisions"] == [9]
    wrong = {**body, "revision": 11}
    assert api("POST", "/api/deployments/v1/deployment-operations", json=wrong).status_code == 400


def test_undeploy_removes_the_asset_from_the_stage(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    operation = client.deployments.start(
        operation="Undeploy", asset_key=k["Orders Assistant"], environment_key=k["QA"]
    )
    assert _done(client, clock, operation.key).status == "Finished"
    assert sim.state.running_revision("QA", "Orders Assistant") is None
    (assistant,) = client.portfolio.deployed_assets(asset_keys=[k["Orders Assistant"]])
    assert k["QA"] not in {d.environment_key for d in assistant.deployments}


def test_a_deployment_applies_what_was_pending_when_it_started(sim, make_client, clock):
    """Values PATCHed while a deployment runs stay pending for the next one (odc-api-notes §7.8)."""
    client = make_client(sim)
    k = keys(sim)
    qa, api_app = k["QA"], k["Orders API"]
    timeout = _setting(client.configurations.get_deployed(qa, api_app), "ServiceTimeoutSeconds")

    def patch(value):
        client.configurations.patch(
            qa, api_app, AssetConfigPatch(settings=[ConfigValuePatch(key=timeout.key, value=value)])
        )

    patch("45")
    first = client.deployments.start(
        operation="ApplyConfigs", asset_key=api_app, environment_key=qa, revision=11
    )
    clock.advance(10)
    patch("60")  # while the first one runs
    assert _done(client, clock, first.key).status == "Finished"
    after_first = _setting(client.configurations.get_deployed(qa, api_app), "ServiceTimeoutSeconds")
    assert (after_first.value, after_first.deployed_value) == ("60", "45")
    second = client.deployments.start(
        operation="ApplyConfigs", asset_key=api_app, environment_key=qa, revision=11
    )
    _done(client, clock, second.key)
    after_second = _setting(client.configurations.get_deployed(qa, api_app), "ServiceTimeoutSeconds")
    assert (after_second.value, after_second.deployed_value) == ("60", "60")


def test_a_queued_deployment_takes_values_patched_while_it_waited(make_sim, make_client, clock):
    sim = make_sim(edited_tenant(lambda data: data.update(deployment_queue={"per_stage": 1})))
    client = make_client(sim)
    k = keys(sim)
    qa, api_app, portal = k["QA"], k["Orders API"], k["Orders Portal"]
    blocker = client.deployments.start(
        operation="ApplyConfigs", asset_key=portal, environment_key=qa, revision=19
    )
    queued = client.deployments.start(
        operation="ApplyConfigs", asset_key=api_app, environment_key=qa, revision=11
    )
    timeout = _setting(client.configurations.get_deployed(qa, api_app), "ServiceTimeoutSeconds")
    clock.advance(10)  # the blocker runs, the API's operation waits
    client.configurations.patch(
        qa, api_app, AssetConfigPatch(settings=[ConfigValuePatch(key=timeout.key, value="50")])
    )
    _done(client, clock, blocker.key)
    assert _done(client, clock, queued.key).status == "Finished"
    live = _setting(client.configurations.get_deployed(qa, api_app), "ServiceTimeoutSeconds")
    assert (live.value, live.deployed_value) == ("50", "50")


def _secret_integer_tenant(data):
    for asset in data["assets"]:
        for setting in (asset.get("configurations") or {}).get("settings") or []:
            if setting["name"] == "PaymentsApiKey":
                setting["data_type"] = "Integer"


def test_a_refused_secret_value_is_not_echoed_over_http(make_sim, make_client):
    sim = make_sim(edited_tenant(_secret_integer_tenant))
    client = make_client(sim)
    k = keys(sim)
    prod, api_app = k["Production"], k["Orders API"]
    secret = _setting(client.configurations.get_deployed(prod, api_app), "PaymentsApiKey")
    with pytest.raises(BadRequestError) as refused:
        client.configurations.patch(
            prod, api_app, AssetConfigPatch(settings=[ConfigValuePatch(key=secret.key, value="s3cr3t-pin")])
        )
    assert "not a valid Integer" in str(refused.value.problem.detail)
    assert "s3cr3t-pin" not in repr(refused.value.problem) + str(refused.value)
    (answer,) = sim.request_log.find(method="PATCH", status=400)
    assert answer.body["settings"][0]["value"] == "***"


def test_the_request_log_masks_patched_secret_values_only(sim, make_client):
    client = make_client(sim)
    k = keys(sim)
    prod, api_app = k["Production"], k["Orders API"]
    deployed = client.configurations.get_deployed(prod, api_app)
    secret = _setting(deployed, "PaymentsApiKey")
    timeout = _setting(deployed, "ServiceTimeoutSeconds")
    client.configurations.patch(
        prod,
        api_app,
        AssetConfigPatch(
            settings=[
                ConfigValuePatch(key=secret.key, value="very-secret-key"),
                ConfigValuePatch(key=timeout.key, value="25"),
            ]
        ),
    )
    (patched,) = sim.request_log.find(method="PATCH")
    assert patched.status == 204
    assert [s["value"] for s in patched.body["settings"]] == ["***", "25"]
    assert "very-secret-key" not in repr(sim.request_log.entries())
    assert sim.state.config_values("Production", "Orders API")["PaymentsApiKey"]["value"] == "very-secret-key"
