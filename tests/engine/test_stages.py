"""Per-stage behaviour against an in-memory ODC (each test names the rule it protects)."""

from types import SimpleNamespace as NS

import pytest

from odc_pipeline.engine import build, configure, deploy, impact, verify
from odc_pipeline.engine.options import (
    AssetSpec,
    CodeQualityGate,
    DeployPolicy,
    HttpCheck,
    ImpactPolicy,
    RunOptions,
    VerifySpec,
    config_spec,
)
from odc_pipeline.engine.resolve import resolve
from odc_pipeline.engine.runner import run_pipeline
from odc_pipeline.errors import GateBlockedError, OperationFailedError, UsageError
from odc_pipeline.report import StepStatus

from .fakes import ENV_DEV, ENV_QA, FakeOdc, make_ctx, setting

API, PORTAL, CORE = "key-api", "key-portal", "key-core"


def portfolio() -> FakeOdc:
    odc = FakeOdc()
    odc.add_asset(CORE, "Orders Core", "LowCodeLibrary", latest=8)
    odc.add_asset(API, "Orders API", latest=5)
    odc.add_asset(PORTAL, "Orders Portal", latest=9)
    odc.producers_of = {PORTAL: [API, CORE], API: [CORE]}
    odc.add_build("b-api-4", API, 4)
    odc.add_build("b-api-5", API, 5)
    odc.add_build("b-portal-9-debug", PORTAL, 9, build_type="Debug")
    odc.run(ENV_QA, API, 4, "b-api-4")
    odc.run(ENV_DEV, API, 5, "b-api-5")
    odc.add_build("b-portal-8", PORTAL, 8)
    odc.run(ENV_QA, PORTAL, 8, "b-portal-8")
    odc.configs[(ENV_QA, PORTAL)] = NS(
        settings=[
            setting("MaxItemsPerPage", "Integer", "25"),
            setting("ApiToken", "Text", None, secret=True),
            setting("EnableBetaFeatures", "Boolean", "False"),
        ],
        timers=[NS(key="t-sync", name="NightlySync", configs=[setting("IsActive", "Boolean", "True")])],
        integrations=[],
    )
    return odc


ALL = (AssetSpec(name="Orders Core"), AssetSpec(name="Orders API"), AssetSpec(name="Orders Portal"))


def resolved(odc: FakeOdc, assets=ALL, **kwargs):
    ctx, reporter = make_ctx(odc, assets=assets, **kwargs)
    resolve(ctx)
    return ctx, reporter


def test_build_reuses_a_finished_release_build_and_starts_one_only_when_missing():
    odc = portfolio()
    ctx, _ = resolved(odc)
    build.run_build(ctx)
    api, portal = ctx.assets[1], ctx.assets[2]
    assert api.build_key == "b-api-5"
    assert api.build_reused
    starts = [c for c in odc.calls if c[0] == "builds.start"]
    assert starts == [("builds.start", (PORTAL, 9, "Release"))]  # Debug build is not deployable
    assert portal.build_key
    assert not portal.build_reused
    statuses = {s.asset: s.status for s in ctx.steps}
    assert statuses == {
        "Orders Core": StepStatus.SKIPPED,
        "Orders API": StepStatus.UNCHANGED,
        "Orders Portal": StepStatus.SUCCEEDED,
    }


def test_build_failure_shows_the_build_log():
    odc = portfolio()
    odc.build_outcome[(PORTAL, 9)] = "FinishedWithErrors"
    ctx, _ = resolved(odc)
    with pytest.raises(OperationFailedError, match="Compilation failed"):
        build.run_build(ctx)
    failed = next(s for s in ctx.steps if s.status is StepStatus.FAILED)
    assert any(m.source == "build-log" for m in failed.messages)


def test_force_rebuild_starts_a_build_even_when_one_exists():
    odc = portfolio()
    ctx, _ = resolved(odc, assets=(AssetSpec(name="Orders API"),), force_rebuild=True)
    build.run_build(ctx)
    assert [c[1][0] for c in odc.calls if c[0] == "builds.start"] == [API]


def test_configure_diff_patches_only_changed_values_with_converted_strings():
    odc = portfolio()
    desired = config_spec(
        settings={"MaxItemsPerPage": 25, "EnableBetaFeatures": True},
        timers={"NightlySync": {"IsActive": False}},
    )
    ctx, _ = resolved(
        odc, assets=(AssetSpec(name="Orders Portal", revision="8"),), configure={"Orders Portal": desired}
    )
    configure.plan_configuration(ctx)
    changes = ctx.assets[0].config_changes
    assert [(c.name, c.before, c.after) for c in changes] == [
        ("EnableBetaFeatures", "False", "True"),
        ("IsActive", "True", "False"),
    ]
    configure.patch_asset(ctx, ctx.assets[0], deploying=True)
    ((_, (_, _, body)),) = [c for c in odc.calls if c[0] == "configurations.patch"]
    assert body == {
        "settings": [{"key": "k-EnableBetaFeatures", "value": "True"}],
        "timers": [{"key": "t-sync", "configs": [{"key": "k-IsActive", "value": "False"}]}],
    }


def test_configure_unknown_name_and_bad_value_fail_before_any_change():
    odc = portfolio()
    for desired, pattern in (
        (config_spec(settings={"MaxItems": 5}), "available: MaxItemsPerPage"),
        (config_spec(settings={"MaxItemsPerPage": "lots"}), "expected a whole number"),
    ):
        ctx, _ = resolved(
            odc, assets=(AssetSpec(name="Orders Portal", revision="8"),), configure={"Orders Portal": desired}
        )
        with pytest.raises(UsageError, match=pattern):
            configure.plan_configuration(ctx)
    assert odc.mutating() == []


def test_unreadable_secret_is_sent_with_a_deploy_but_does_not_force_an_apply():
    odc = portfolio()
    desired = config_spec(settings={"ApiToken": "tok-123456"})
    ctx, _ = resolved(
        odc, assets=(AssetSpec(name="Orders Portal", revision="8"),), configure={"Orders Portal": desired}
    )
    configure.plan_configuration(ctx)
    asset = ctx.assets[0]
    assert configure.changes_to_patch(asset, deploying=True, force=False)
    assert configure.changes_to_patch(asset, deploying=False, force=False) == []
    assert "tok-123456" not in asset.config_changes[0].describe()
    assert "tok-123456" in ctx.secrets


def test_apply_configs_without_deploy_runs_applyconfigs_on_the_deployed_revision():
    odc = portfolio()
    desired = config_spec(settings={"MaxItemsPerPage": 50})
    ctx, _ = resolved(
        odc,
        assets=(AssetSpec(name="Orders Portal", revision="8"),),
        configure={"Orders Portal": desired},
        stages={"configure"},
    )
    report = run_pipeline(ctx)
    assert report.exit_code == 0
    ((_, started),) = [c for c in odc.calls if c[0] == "deployments.start"]
    assert started["operation"] == "ApplyConfigs"
    assert started["revision"] == 8
    assert report.steps_for("configure")[0].status is StepStatus.SUCCEEDED


def _report(status, impacted=()):
    return NS(status=status, impacted_assets=list(impacted))


def _broken_consumer(severity="Error"):
    return NS(
        asset_key="key-other",
        reference_type="Consumer",
        application_level_issues=[],
        element_level_issues=[
            NS(
                name="GetOrders",
                type="ServiceAction",
                conflict_type="MissingElement",
                conflict_severity=severity,
                incompatibility_type="MissingServiceAction",
                hint="restore GetOrders",
            )
        ],
    )


@pytest.mark.parametrize(
    ("verdict", "fail_on", "blocked"),
    [
        ("ErrorsFound", "errors", True),
        ("WarningsFound", "errors", False),
        ("WarningsFound", "warnings", True),
        ("ErrorsFound", "never", False),
        ("NoIssuesFound", "warnings", False),
    ],
)
def test_impact_policy(verdict, fail_on, blocked):
    odc = portfolio()
    odc.add_asset("key-other", "Orders Backoffice")
    severity = "Error" if verdict == "ErrorsFound" else "Warning"
    odc.analysis_report[API] = _report(
        verdict, [_broken_consumer(severity)] if verdict != "NoIssuesFound" else []
    )
    ctx, _ = resolved(odc, assets=(AssetSpec(name="Orders API"),), impact=ImpactPolicy(fail_on=fail_on))
    if blocked:
        with pytest.raises(GateBlockedError, match="Orders API"):
            impact.run_impact(ctx)
    else:
        impact.run_impact(ctx)
    step = ctx.steps[-1]
    assert step.status is (
        StepStatus.BLOCKED
        if blocked
        else StepStatus.SUCCEEDED
        if verdict == "NoIssuesFound"
        else StepStatus.WARNING
    )
    assert ctx.impact_status == verdict
    if verdict != "NoIssuesFound":
        assert step.details["findings"] == {
            "Orders Backoffice (consumer)": {
                severity: ["ServiceAction GetOrders: MissingServiceAction (restore GetOrders)"]
            }
        }


@pytest.mark.parametrize("failure", ["404", "Failed"])
@pytest.mark.parametrize("policy", ["warn", "fail"])
def test_unavailable_analysis_follows_policy_and_never_crashes(failure, policy):
    odc = portfolio()
    odc.analysis_report[API] = failure
    ctx, reporter = resolved(
        odc, assets=(AssetSpec(name="Orders API"),), impact=ImpactPolicy(on_unavailable=policy)
    )
    if policy == "fail":
        with pytest.raises(GateBlockedError):
            impact.run_impact(ctx)
    else:
        impact.run_impact(ctx)
        assert any("unavailable" in w for w in reporter.texts("warning"))
    assert ctx.steps[-1].status is (StepStatus.BLOCKED if policy == "fail" else StepStatus.WARNING)


def test_impact_skips_libraries_and_apps_already_running_the_revision():
    odc = portfolio()
    ctx, _ = resolved(odc, assets=(AssetSpec(name="Orders Core"), AssetSpec(name="Orders API", revision="4")))
    build.run_build(ctx)
    impact.run_impact(ctx)
    assert len([s for s in ctx.steps if s.stage == "impact-analysis"]) == 2
    assert all(s.status is StepStatus.SKIPPED for s in ctx.steps if s.stage == "impact-analysis")
    assert not [c for c in odc.calls if c[0] == "start_deployment_analysis"]


def test_deploy_order_producers_first_and_unchanged_apps_skipped():
    odc = portfolio()
    ctx, _ = resolved(odc, assets=ALL)
    build.run_build(ctx)
    deploy.run_deploy(ctx)
    deployed = [c[1]["asset_key"] for c in odc.calls if c[0] == "deployments.start"]
    assert deployed == [API, PORTAL]
    ctx2, _ = resolved(odc, assets=ALL)
    before = len(odc.mutating())
    build.run_build(ctx2)
    deploy.run_deploy(ctx2)
    assert odc.mutating()[before:] == []  # re-run: same revisions and builds, nothing starts
    assert {s.status for s in ctx2.steps if s.stage == "deploy" and s.asset != "Orders Core"} == {
        StepStatus.UNCHANGED
    }


def test_deploy_attaches_to_a_running_deployment_instead_of_starting_another():
    odc = portfolio()
    odc.operations["op-left"] = NS(
        key="op-left",
        status="Running",
        operation="Deploy",
        asset_key=API,
        environment_key=ENV_QA,
        revisions=[5],
        build_key="b-api-5",
    )
    ctx, _ = resolved(odc, assets=(AssetSpec(name="Orders API"),))
    build.run_build(ctx)
    deploy.run_deploy(ctx)
    assert [c for c in odc.calls if c[0] == "deployments.start"] == []
    step = ctx.steps[-1]
    assert step.operation_key == "op-left"
    assert "attached" in step.summary


def test_a_failed_deploy_whose_previous_revision_stayed_live_is_not_redeployed_by_the_rollback():
    odc = portfolio()
    odc.deploy_outcome[(API, 5)] = "FinishedWithError"
    ctx, _ = make_ctx(
        odc, assets=(AssetSpec(name="Orders API"),), deploy=DeployPolicy(rollback_on_failure=True)
    )
    report = run_pipeline(ctx)
    assert report.exit_code == 1
    assert report.status == "rolled-back"
    starts = [(c[1]["revision"], c[1]["build_key"]) for c in odc.calls if c[0] == "deployments.start"]
    assert starts == [(5, "b-api-5")]
    assert report.steps_for("deploy")[0].status is StepStatus.FAILED  # the forward outcome
    (rolled,) = report.rollback.assets
    assert (rolled.forward, rolled.outcome, rolled.revision_now) == ("failed", "stayed-live", 4)
    assert "stayed live" in rolled.summary


def test_a_failed_deploy_that_no_longer_runs_the_previous_revision_is_redeployed():
    odc = portfolio()
    odc.deploy_outcome[(API, 5)] = "FinishedWithError"
    odc.failed_deploy_replaces = True
    ctx, _ = make_ctx(
        odc, assets=(AssetSpec(name="Orders API"),), deploy=DeployPolicy(rollback_on_failure=True)
    )
    report = run_pipeline(ctx)
    assert report.exit_code == 1, report.error
    starts = [(c[1]["revision"], c[1]["build_key"]) for c in odc.calls if c[0] == "deployments.start"]
    assert starts == [(5, "b-api-5"), (4, "b-api-4")]
    (rolled,) = report.rollback.assets
    assert (rolled.outcome, rolled.revision_now, rolled.build_key_now) == ("rolled-back", 4, "b-api-4")
    assert odc.deployed[(ENV_QA, API)].revision == 4


def test_deploy_failure_without_rollback_stops_consumers():
    odc = portfolio()
    odc.deploy_outcome[(API, 5)] = "FinishedWithError"
    ctx, _ = resolved(odc, assets=ALL)
    build.run_build(ctx)
    with pytest.raises(OperationFailedError):
        deploy.run_deploy(ctx)
    assert [c[1]["asset_key"] for c in odc.calls if c[0] == "deployments.start"] == [API]
    portal = next(s for s in ctx.steps if s.stage == "deploy" and s.asset == "Orders Portal")
    assert portal.status is StepStatus.SKIPPED


def test_verify_detects_a_stage_running_something_else():
    odc = portfolio()
    ctx, _ = resolved(odc, assets=(AssetSpec(name="Orders API"),))
    build.run_build(ctx)
    deploy.run_deploy(ctx)
    odc.run(ENV_QA, API, 3, "b-api-3")  # someone deployed over us
    with pytest.raises(OperationFailedError, match="runs r3, expected r5"):
        verify.run_verify(ctx)


class _Session:
    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.urls = []

    def get(self, url, timeout, allow_redirects):
        self.urls.append(url)
        return NS(status_code=self.statuses.pop(0), text="ok")


def test_verify_http_check_retries_until_expected_status():
    odc = portfolio()
    ctx, _ = resolved(
        odc,
        assets=(AssetSpec(name="Orders API", revision="4"),),
        verify=VerifySpec(http=(HttpCheck(asset="Orders API", path="/health", retries=3),)),
    )
    session = _Session([503, 503, 200])
    verify.run_verify(ctx, session=session)
    assert session.urls == [f"https://{ENV_QA}.example/{API}/health"] * 3
    assert ctx.steps[-1].status is StepStatus.SUCCEEDED


def test_verify_http_check_fails_after_retries():
    odc = portfolio()
    ctx, _ = resolved(
        odc,
        assets=(AssetSpec(name="Orders API", revision="4"),),
        verify=VerifySpec(http=(HttpCheck(asset="Orders API", retries=1),)),
    )
    with pytest.raises(OperationFailedError, match="answered 500 after 2 attempt"):
        verify.run_verify(ctx, session=_Session([500, 500]))


def test_code_quality_gate_blocks_on_too_many_findings():
    odc = portfolio()
    breakdown = NS(critical_severity=2, high_severity=0, medium_severity=0, low_severity=0)
    odc.start_analysis = lambda key, rev, **_: NS(analysis_key="cq-1")
    odc.get_analysis = lambda key: NS(
        status="Completed",
        quality_score=80,
        summary=NS(
            categories=NS(security=breakdown, performance=None, architecture=None, maintainability=None)
        ),
    )
    ctx, _ = resolved(
        odc,
        assets=(AssetSpec(name="Orders API", revision="4"),),
        verify=VerifySpec(code_quality=CodeQualityGate(max_findings={"critical": 0})),
    )
    with pytest.raises(GateBlockedError, match="2 critical finding"):
        verify.run_verify(ctx)


def test_plan_makes_no_mutating_call_and_exits_zero():
    odc = portfolio()
    desired = config_spec(settings={"MaxItemsPerPage": 50})
    ctx, _reporter = make_ctx(
        odc, assets=ALL, options=RunOptions(plan=True), configure={"Orders Portal": desired}
    )
    report = run_pipeline(ctx)
    assert report.exit_code == 0
    assert report.status == "planned"
    assert odc.mutating() == []
    summaries = [s.summary for s in report.steps]
    assert "would start a Release build of r9 (none exists)" in summaries
    assert any(s.startswith("would deploy r5 (b-api-5)") for s in summaries)
    configure_step = report.steps_for("configure")[0]
    assert configure_step.messages[0].text == "setting MaxItemsPerPage: 25 -> 50"


def test_resolution_errors_are_usage_errors_listing_candidates():
    odc = portfolio()
    odc.add_asset("key-api-2", "Orders API")
    ctx, _ = make_ctx(odc, assets=(AssetSpec(name="Orders API"),))
    report = run_pipeline(ctx)
    assert report.exit_code == 2
    assert "ambiguous" in report.error
    assert "key-api" in report.error
    assert "key-api-2" in report.error
    ctx, _ = make_ctx(odc, assets=(AssetSpec(name="orders portal"),))
    assert "did you mean 'Orders Portal'" in run_pipeline(ctx).error
    ctx, _ = make_ctx(odc, assets=ALL, options=RunOptions(target="Prod"))
    report = run_pipeline(ctx)
    assert report.exit_code == 2
    assert "Development, QA" in report.error


def test_from_stage_promotes_revision_and_build_running_there():
    odc = portfolio()
    ctx, _ = resolved(
        odc,
        assets=(
            AssetSpec(name="Orders Core", revision="from:Development"),
            AssetSpec(name="Orders API", revision="from:Development"),
        ),
    )
    api = ctx.assets[1]
    assert (api.revision, api.source_build_key) == (5, "b-api-5")
    assert ctx.assets[0].revision is None  # libraries do not run in a stage


def test_deploy_rechecks_the_stage_so_an_operation_finished_since_resolve_is_not_repeated():
    odc = portfolio()
    ctx, _ = resolved(odc, assets=(AssetSpec(name="Orders API"),))
    build.run_build(ctx)
    odc.run(ENV_QA, API, 5, "b-api-5")  # a deploy left by a cancelled run finished meanwhile
    deploy.run_deploy(ctx)
    assert [c for c in odc.calls if c[0] == "deployments.start"] == []
    assert ctx.steps[-1].status is StepStatus.UNCHANGED
