"""Rollback rules the end-to-end tests do not reach, against the in-memory ODC."""

from __future__ import annotations

from types import SimpleNamespace as NS

from odc_pipeline.api.errors import BadRequestError
from odc_pipeline.engine.options import AssetSpec, DeployPolicy, config_spec
from odc_pipeline.engine.runner import run_pipeline
from odc_pipeline.errors import ExitCode
from odc_pipeline.reporting.rollback import stage_state

from .fakes import ENV_QA, FakeOdc, make_ctx, setting, value_patches
from .test_stages import API, PORTAL, portfolio

TWO = (AssetSpec(name="Orders API"), AssetSpec(name="Orders Portal"))
STAGES = {"configure", "build", "deploy"}


def _config_only_api_then_failing_portal() -> FakeOdc:
    """API already runs r5 (only its configuration changes); Portal's deploy of r9 fails."""
    odc = portfolio()
    odc.run(ENV_QA, API, 5, "b-api-5")
    odc.configs[(ENV_QA, API)] = NS(
        settings=[setting("TimeoutSeconds", "Integer", "10")], timers=[], integrations=[]
    )
    odc.add_build("b-portal-9", PORTAL, 9)
    odc.deploy_outcome[(PORTAL, 9)] = "FinishedWithError"
    return odc


def _run(odc: FakeOdc, **spec):
    ctx, reporter = make_ctx(
        odc,
        assets=TWO,
        stages=spec.pop("stages", STAGES),
        configure={"Orders API": config_spec(settings={"TimeoutSeconds": 30})},
        deploy=DeployPolicy(rollback_on_failure=True),
        **spec,
    )
    return run_pipeline(ctx), reporter


def _starts(odc: FakeOdc) -> list[tuple[str, str, int | None]]:
    return [
        (c[1]["operation"], c[1]["asset_key"], c[1].get("revision"))
        for c in odc.calls
        if c[0] == "deployments.start"
    ]


def test_values_applied_with_applyconfigs_are_set_back_with_applyconfigs():
    odc = _config_only_api_then_failing_portal()
    report, _ = _run(odc)
    assert report.status == "rolled-back", report.error
    patches = [p["settings"] for p in value_patches(odc)]
    assert patches == [
        [{"key": "k-TimeoutSeconds", "value": "30"}],
        [{"key": "k-TimeoutSeconds", "value": "10"}],
    ]
    assert _starts(odc) == [
        ("ApplyConfigs", API, 5),  # forward: API only changed configuration
        ("Deploy", PORTAL, 9),  # failed, r8 stayed live
        ("ApplyConfigs", API, 5),  # rollback: the values read at resolve, applied again
    ]
    outcome = {a.asset: a.outcome for a in report.rollback.assets}
    assert outcome == {"Orders API": "restored", "Orders Portal": "stayed-live"}


class RefusingSecondPatch(FakeOdc):
    def patch(self, env, asset, patch, *, agent=False):
        super().patch(env, asset, patch, agent=agent)
        if len(value_patches(self)) > 1:
            raise BadRequestError("value refused", status=400)


def test_a_refused_restore_patch_makes_the_rollback_incomplete_even_with_revisions_back():
    odc = _config_only_api_then_failing_portal()
    refusing = RefusingSecondPatch(
        **{f: getattr(odc, f) for f in odc.__dataclass_fields__ if not f.startswith("_")}
    )
    report, _ = _run(refusing)
    assert report.exit_code == ExitCode.ROLLBACK_INCOMPLETE
    assert report.rollback.still_on_new == ()  # every revision is back ...
    api = next(a for a in report.rollback.assets if a.asset == "Orders API")
    assert [(v.name, v.status) for v in api.values] == [("setting TimeoutSeconds", "failed")]
    assert [s[0] for s in _starts(refusing)] == ["ApplyConfigs", "Deploy"]  # nothing applied a refused PATCH
    headline, detail = stage_state(report)
    assert headline == "Rollback incomplete"
    assert "configuration not set back: Orders API setting TimeoutSeconds (failed)" in detail


def test_no_rollback_for_a_failure_before_the_deploy_stage():
    odc = _config_only_api_then_failing_portal()
    odc.build_outcome[(PORTAL, 9)] = "FinishedWithErrors"
    odc.builds_list = [b for b in odc.builds_list if b.build_key != "b-portal-9"]  # must build, and fails
    report, reporter = _run(odc)
    assert report.exit_code == ExitCode.FAILED
    assert report.status == "failed"
    assert report.rollback is None
    assert _starts(odc) == []
    assert ("stage", "rollback") not in reporter.events


def test_nothing_to_roll_back_when_the_first_deploy_fails_without_configuration():
    odc = portfolio()
    odc.add_build("b-portal-9", PORTAL, 9)
    odc.deploy_outcome[(API, 5)] = "FinishedWithError"
    ctx, reporter = make_ctx(odc, assets=TWO, deploy=DeployPolicy(rollback_on_failure=True), stages=STAGES)
    report = run_pipeline(ctx)
    (api,) = report.rollback.assets  # Portal never started: not in the rollback
    assert api.outcome == "stayed-live"
    assert _starts(odc) == [("Deploy", API, 5)]
    assert ("stage-end", "rollback:rolled-back") in reporter.events


def test_a_secret_that_odc_did_read_back_is_restored_without_showing_its_value():
    odc = _config_only_api_then_failing_portal()
    odc.configs[(ENV_QA, API)] = NS(
        settings=[setting("ApiKey", "Text", "old-api-key-value", secret=True)], timers=[], integrations=[]
    )
    ctx, _ = make_ctx(
        odc,
        assets=TWO,
        stages=STAGES,
        configure={"Orders API": config_spec(settings={"ApiKey": "new-api-key-value"})},
        deploy=DeployPolicy(rollback_on_failure=True),
    )
    report = run_pipeline(ctx)
    patches = [p["settings"] for p in value_patches(odc)]
    assert patches[-1] == [{"key": "k-ApiKey", "value": "old-api-key-value"}]
    api = next(a for a in report.rollback.assets if a.asset == "Orders API")
    assert [(v.status, v.note) for v in api.values] == [("restored", "back to the value read at resolve")]
    assert "old-api-key-value" not in repr(report.rollback)


def test_a_failed_app_that_stayed_live_gets_back_the_value_that_was_pending_before():
    odc = portfolio()
    odc.configs[(ENV_QA, API)] = NS(
        settings=[setting("TimeoutSeconds", "Integer", "10", value="20")], timers=[], integrations=[]
    )
    odc.deploy_outcome[(API, 5)] = "FinishedWithError"
    ctx, _ = make_ctx(
        odc,
        assets=(AssetSpec(name="Orders API"),),
        stages=STAGES,
        configure={"Orders API": config_spec(settings={"TimeoutSeconds": 30})},
        deploy=DeployPolicy(rollback_on_failure=True),
    )
    report = run_pipeline(ctx)
    patches = [
        c[1][2]["settings"][0]["value"] for c in odc.calls if c[0] == "configurations.patch" and c[1][2]
    ]
    assert patches == ["30", "20"]  # ours, then the pending value someone had set, not the running one
    assert _starts(odc) == [("Deploy", API, 5)]  # nothing applies it: pending, as before the run
    (api,) = report.rollback.assets
    assert [(v.status, v.note) for v in api.values] == [("restored", "back to pending 20 (it runs 10)")]
