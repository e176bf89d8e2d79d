"""The ODC implementation of the seam, driven directly (the engine suite drives it through the stages)."""

from __future__ import annotations

from types import SimpleNamespace as NS

import pytest

from odc_pipeline.errors import OperationFailedError, UsageError
from odc_pipeline.platforms import platform_for
from odc_pipeline.platforms.base import (
    AssetRef,
    DeployRequest,
    EnvironmentRef,
    ImpactRequest,
    PlatformNotSupportedError,
    ResolvedRevision,
    RunningState,
    UnitRequest,
)
from odc_pipeline.platforms.odc import OdcPlatform
from tests.engine.fakes import ENV_QA, FakeOdc, make_ctx

QA = EnvironmentRef(ENV_QA, "QA", 1000)
APP = AssetRef("app-1", "Orders", "WebApplication")


def _odc() -> FakeOdc:
    odc = FakeOdc()
    odc.add_asset("app-1", "Orders", latest=5)
    odc.add_asset("app-2", "orders", latest=3)
    return odc


def _run(odc: FakeOdc):
    ctx, _ = make_ctx(odc, assets=())
    return ctx


def test_the_default_platform_is_odc_and_answers_what_odc_can_do() -> None:
    platform = platform_for(None, _odc())
    assert isinstance(platform, OdcPlatform)
    assert platform.capabilities.rollback
    assert platform.capabilities.configuration_before_deploy
    assert not platform.capabilities.deploys_as_plan
    assert not platform.capabilities.two_stage
    assert not platform.capabilities.configures_after_deploy


def test_configuration_after_the_deploy_is_refused_on_odc_by_the_interface_default() -> None:
    platform = OdcPlatform(_odc())
    with pytest.raises(PlatformNotSupportedError, match="after the deploy is not available on odc"):
        platform.configure_after_deploy(QA, APP, {"Orders": []})
    assert platform.bind(object()) is platform  # ODC has no platform keys to bind
    assert platform.discard_plan() is False  # ODC analyses create nothing to delete


def test_environments_in_promotion_order_and_names_exact() -> None:
    platform = OdcPlatform(_odc())
    assert [e.name for e in platform.environments()] == ["Development", "QA"]
    assert platform.resolve_asset(name="Orders").key == "app-1"
    with pytest.raises(
        UsageError, match=r"'ORDERS' not found \(did you mean 'Orders', 'orders'\?\).*ODC Portal"
    ):
        platform.resolve_asset(name="ORDERS")
    with pytest.raises(
        UsageError, match=r"stages visible to this API client: Development, QA\. A stage the client"
    ):
        platform.find_environment(platform.environments(), "Prod", role="target")


def test_revision_selectors() -> None:
    platform = OdcPlatform(_odc())
    assert platform.resolve_revision(APP, "latest", label="Orders") == ResolvedRevision(number=5)
    assert platform.resolve_revision(APP, "4", label="Orders").number == 4
    assert platform.resolve_revision(APP, "tag:1.0.0", label="Orders").number == 1
    with pytest.raises(UsageError, match=r"Orders has no revision tagged '9\.9\.9'"):
        platform.resolve_revision(APP, "tag:9.9.9", label="Orders")
    with pytest.raises(UsageError, match="unknown revision selector 'modified'"):
        platform.resolve_revision(APP, "modified", label="Orders")


def test_running_all_is_one_deployed_assets_read() -> None:
    odc = _odc()
    odc.run(ENV_QA, "app-1", 4, "b-4")
    calls: list[list[str]] = []
    original = odc.deployed_assets

    def counted(*, asset_keys=None, environment_keys=None):
        calls.append(list(asset_keys))
        return original(asset_keys=asset_keys, environment_keys=environment_keys)

    odc.deployed_assets = counted  # type: ignore[method-assign]
    found = OdcPlatform(odc).running_all(QA, [APP, AssetRef("app-2", "orders")])
    assert calls == [["app-1", "app-2"]]
    assert found == {
        "app-1": RunningState(
            "app-1", ENV_QA, revision=4, unit_key="b-4", url=f"https://{ENV_QA}.example/app-1"
        )
    }


def test_find_unit_prefers_the_build_running_in_the_target_and_lists_known_builds() -> None:
    odc = _odc()
    odc.add_build("b-old", "app-1", 5)
    odc.add_build("b-debug", "app-1", 5, build_type="Debug")
    odc.add_build("b-new", "app-1", 5)
    odc.builds_list[-1].finished_date_time = "2026-02-01T00:00:00Z"
    platform = OdcPlatform(odc)
    newest = platform.find_unit(APP, ResolvedRevision(number=5))
    assert newest.unit is not None
    assert newest.unit.key == "b-new"
    assert newest.known_keys == ("b-old", "b-new")  # listed with build_type=Release
    running = RunningState("app-1", ENV_QA, revision=5, unit_key="b-old")
    assert platform.find_unit(APP, ResolvedRevision(number=5), running=running).unit.key == "b-old"
    assert platform.find_unit(APP, ResolvedRevision(number=6)).unit is None


def test_a_refused_build_start_names_the_asset() -> None:
    odc = _odc()
    odc.start = lambda *a, **k: NS(build_key="b-x", is_successful=False)  # type: ignore[method-assign]
    with pytest.raises(OperationFailedError, match="Orders: ODC refused to start a Release build of r5"):
        OdcPlatform(odc).start_unit(_run(odc), UnitRequest(APP, ResolvedRevision(number=5)))


def test_a_failed_build_carries_its_log() -> None:
    odc = _odc()
    odc.build_outcome[("app-1", 5)] = "FinishedWithErrors"
    platform = OdcPlatform(odc)
    outcome = platform.produce_unit(_run(odc), UnitRequest(APP, ResolvedRevision(number=5)), stage="build")
    assert not outcome.succeeded
    assert outcome.status == "FinishedWithErrors"
    assert outcome.messages[0].severity == "error"
    assert "Compilation failed" in outcome.messages[0].text


def test_deploy_maps_odc_statuses_to_the_verdict() -> None:
    odc = _odc()
    odc.deploy_outcome[("app-1", 5)] = "FinishedWithError"
    platform, run = OdcPlatform(odc), _run(odc)
    failed = platform.deploy(run, DeployRequest(APP, QA, revision=5, unit_key="b-5"), stage="deploy")
    assert (failed.succeeded, failed.status) == (False, "FinishedWithError")
    assert platform.operation_messages(failed.operation_key, only_problems=True)[0].text.startswith(
        "Database"
    )
    ok = platform.deploy(run, DeployRequest(APP, QA, revision=4, unit_key="b-4"), stage="deploy")
    assert (ok.succeeded, ok.status) == (True, "Finished")
    assert odc.deployed[(ENV_QA, "app-1")].revision == 4
    sent = [c[1] for c in odc.calls if c[0] == "deployments.start"]
    assert sent[1] == {
        "operation": "Deploy",
        "asset_key": "app-1",
        "environment_key": ENV_QA,
        "revision": 4,
        "build_key": "b-4",
    }


def test_undeploy_sends_neither_revision_nor_build() -> None:
    odc = _odc()
    OdcPlatform(odc).start_deploy(_run(odc), DeployRequest(APP, QA, kind="Undeploy"))
    assert [c[1] for c in odc.calls if c[0] == "deployments.start"] == [
        {"operation": "Undeploy", "asset_key": "app-1", "environment_key": ENV_QA}
    ]


def test_an_analysis_odc_cannot_run_is_unavailable_not_an_error() -> None:
    odc = _odc()
    odc.analysis_report["app-1"] = "404"
    platform, run = OdcPlatform(odc), _run(odc)
    request = ImpactRequest(APP, QA, ResolvedRevision(number=5))
    result = platform.analyse(run, request, stage="impact-analysis")
    assert result.verdict == ""
    assert "could not run the analysis" in result.unavailable
    odc.analysis_report["app-1"] = "Failed"
    assert (
        platform.analyse(run, request, stage="impact-analysis").unavailable
        == "analysis ended Failed: internal"
    )


def test_findings_name_impacted_assets_with_the_runs_labels_first() -> None:
    odc = _odc()
    issue = NS(conflict_type="ServiceActionRemoved", conflict_severity="Error", hint="GetOrders")
    odc.analysis_report["app-1"] = NS(
        status="ErrorsFound",
        impacted_assets=[
            NS(asset_key="app-2", reference_type="Consumer", application_level_issues=[issue]),
            NS(asset_key="app-9", reference_type=None, application_level_issues=[issue]),
        ],
    )
    request = ImpactRequest(APP, QA, ResolvedRevision(number=5), names={"app-2": "Orders Portal"})
    result = OdcPlatform(odc).analyse(_run(odc), request, stage="impact-analysis")
    assert result.verdict == "ErrorsFound"
    assert result.grouped() == {
        "Orders Portal (consumer)": {"Error": ["ServiceActionRemoved: GetOrders"]},
        "app-9": {"Error": ["ServiceActionRemoved: GetOrders"]},  # unknown to the fake: the key stands in
    }
