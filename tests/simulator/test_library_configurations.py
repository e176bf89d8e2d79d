"""Library settings are configured in each app that bundles the library (``libraries``)."""

from __future__ import annotations

import pytest

from odc_pipeline.api import BadRequestError
from odc_pipeline.api.models.configurations import AssetConfigPatch, ConfigValuePatch, LibraryConfigPatch

from .conftest import edited_tenant, keys, wait_for


def _core(config):
    (core,) = config.libraries
    return core


def test_apps_that_bundle_a_library_show_its_settings_per_stage(sim, make_client):
    client = make_client(sim)
    k = keys(sim)
    core = _core(client.configurations.get_deployed(k["Production"], k["Orders API"]))
    assert (core.key, core.name, core.revision, core.revision_baseline) == (
        k["Orders Core"],
        "Orders Core",
        7,
        7,
    )
    values = {s.name: (s.deployed_value, s.value_origin) for s in core.settings}
    assert values == {
        "DefaultCurrency": ("EUR", "LibraryLevelDefault"),
        "MaxOrderLines": ("100", "EnvironmentLevelOverride"),
    }
    assert _core(client.configurations.get_deployed(k["QA"], k["Orders Portal"])).settings
    backoffice = client.configurations.get_deployed(k["QA"], k["Orders Backoffice"])
    assert backoffice.libraries == []  # it does not bundle Orders Core


def test_a_library_setting_patch_is_pending_in_that_app_until_it_deploys(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    qa, api_app = k["QA"], k["Orders API"]
    core = _core(client.configurations.get_deployed(qa, api_app))
    setting = next(s for s in core.settings if s.name == "DefaultCurrency")
    patch = AssetConfigPatch(
        libraries=[
            LibraryConfigPatch(
                key=core.key, revision=7, settings=[ConfigValuePatch(key=setting.key, value="USD")]
            )
        ]
    )
    client.configurations.patch(qa, api_app, patch)
    assert sim.state.config_values("QA", "Orders API")["Orders Core/DefaultCurrency"] == {
        "value": "USD",
        "deployedValue": "EUR",
    }
    # the same library in another app keeps its own value
    assert sim.state.config_values("QA", "Orders Portal")["Orders Core/DefaultCurrency"]["value"] == "EUR"
    operation = client.deployments.start(
        operation="ApplyConfigs", asset_key=api_app, environment_key=qa, revision=11
    )
    wait_for(clock, lambda: client.deployments.get(operation.key).status == "Finished")
    live = next(
        s for s in _core(client.configurations.get_deployed(qa, api_app)).settings if s.key == setting.key
    )
    assert (live.value, live.deployed_value, live.value_origin) == ("USD", "USD", "EnvironmentLevelOverride")


@pytest.mark.parametrize(
    "case",
    [
        ("Orders API", None, "DefaultCurrency", "USD", "does not bundle that library"),
        ("Orders Core", 8, "DefaultCurrency", "USD", "bundles revision 7 of Orders Core, not 8"),
        ("Orders Core", None, "NoSuchSetting", "1", "does not exist"),
        ("Orders Core", 7, "MaxOrderLines", "lots", "not a valid Integer"),
    ],
    ids=["library not bundled", "other library revision", "unknown setting", "wrong data type"],
)
def test_library_patches_the_app_cannot_take_are_refused(sim, make_client, case):
    library, revision, setting, value, why = case
    client = make_client(sim)
    k = keys(sim)
    core = _core(client.configurations.get_deployed(k["QA"], k["Orders Portal"]))
    key = next((s.key for s in core.settings if s.name == setting), "00000000-0000-4000-8000-00000000000b")
    patch = AssetConfigPatch(
        libraries=[
            LibraryConfigPatch(
                key=k[library], revision=revision, settings=[ConfigValuePatch(key=key, value=value)]
            )
        ]
    )
    with pytest.raises(BadRequestError) as refused:
        client.configurations.patch(k["QA"], k["Orders Portal"], patch)
    assert why in refused.value.problem.detail
    values = sim.state.config_values("QA", "Orders Portal")
    assert all(v["value"] == v["deployedValue"] for v in values.values())


def test_libraries_are_not_configured_on_their_own(sim, api):
    k = keys(sim)
    path = f"/api/asset-configurations/v1/environments/{k['QA']}/applications/{k['Orders Core']}"
    assert api("GET", f"{path}/revisions/7/configurations").status_code == 404
    assert api("PATCH", f"{path}/configurations", json={"settings": []}).status_code == 404


def test_a_library_revision_that_was_never_tagged_bundles_its_latest(make_sim, make_client):
    def untag_core(data):
        core = next(a for a in data["assets"] if a["name"] == "Orders Core")
        for revision in core["revisions"]:
            revision.pop("tag", None)
            revision.pop("release_notes", None)

    sim = make_sim(edited_tenant(untag_core))
    client = make_client(sim)
    k = keys(sim)
    assert _core(client.configurations.get_deployed(k["QA"], k["Orders API"])).revision == 8
