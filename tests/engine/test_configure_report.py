"""configure says exactly what changed — also when the values wait for the asset's deploy.

Values are PATCHed right before the asset's own deploy, so when the configure stage ends
nothing has changed yet. The stage reports them as planned, and the deploy replaces that step
with what really happened: applied by the deploy or left pending (a rollback sets them back).
"""

from types import SimpleNamespace as NS

from odc_pipeline.engine.options import AssetSpec, DeployPolicy, config_spec
from odc_pipeline.engine.runner import run_pipeline
from odc_pipeline.report import StepStatus

from .fakes import ENV_QA, make_ctx, setting, value_patches
from .test_stages import API, portfolio

STAGES = {"configure", "build", "deploy"}


def _api_with_timeout(deployed: str = "10", pending: str | None = None):
    odc = portfolio()
    odc.configs[(ENV_QA, API)] = NS(
        settings=[setting("TimeoutSeconds", "Integer", deployed, value=pending)], timers=[], integrations=[]
    )
    return odc


def _configure_steps(report):
    return [s for s in report.steps if s.stage == "configure"]


def _run(odc, *, stages=STAGES, **spec):
    desired = config_spec(settings={"TimeoutSeconds": 30})
    ctx, reporter = make_ctx(
        odc,
        assets=(AssetSpec(name="Orders API"),),
        stages=stages,
        configure={"Orders API": desired},
        **spec,
    )
    return run_pipeline(ctx), reporter


def test_deferred_values_are_planned_at_configure_and_reported_as_applied_by_the_deploy():
    odc = _api_with_timeout()
    report, reporter = _run(odc)
    assert report.exit_code == 0, report.error
    assert ("stage-end", "configure:planned") in reporter.events  # not "unchanged"
    assert any("will be set right before the deploy" in t for t in reporter.texts("info"))
    (step,) = _configure_steps(report)
    deploy_step = report.steps_for("deploy")[0]
    assert step.status is StepStatus.SUCCEEDED
    assert step.summary == "1 value(s) changed, applied by the deploy"
    assert step.operation_key == deploy_step.operation_key
    assert step.details == {"changes": 1}
    assert [m.text for m in step.messages] == ["setting TimeoutSeconds: 10 -> 30"]


def test_failed_deploy_reports_the_patched_values_as_pending():
    odc = _api_with_timeout()
    odc.deploy_outcome[(API, 5)] = "FinishedWithError"
    report, reporter = _run(odc)
    assert report.exit_code == 1
    (step,) = _configure_steps(report)
    assert step.status is StepStatus.WARNING
    assert "PATCHed but not applied" in step.summary
    assert step.details == {"changes": 0}
    assert any("PATCHed but not applied; they stay pending" in w for w in reporter.texts("warning"))


def test_values_patched_for_a_failed_deploy_are_set_back_by_the_rollback_not_applied_to_the_old_revision():
    odc = _api_with_timeout()
    odc.deploy_outcome[(API, 5)] = "FinishedWithError"
    report, reporter = _run(odc, deploy=DeployPolicy(rollback_on_failure=True))
    assert report.exit_code == 1
    assert report.status == "rolled-back"
    (step,) = _configure_steps(report)
    assert step.status is StepStatus.WARNING  # the forward outcome: PATCHed, the deploy failed
    patches = value_patches(odc)
    assert [p["settings"] for p in patches] == [
        [{"key": "k-TimeoutSeconds", "value": "30"}],
        [{"key": "k-TimeoutSeconds", "value": "10"}],  # back to the value read at resolve
    ]
    assert [c[1]["revision"] for c in odc.calls if c[0] == "deployments.start"] == [5]  # no redeploy
    (rolled,) = report.rollback.assets
    assert rolled.outcome == "stayed-live"
    assert [(v.name, v.status) for v in rolled.values] == [("setting TimeoutSeconds", "restored")]
    assert not any("stay pending" in w for w in reporter.texts("warning"))


def test_run_stopped_before_the_deploy_reports_the_values_as_not_changed():
    odc = _api_with_timeout()
    odc.build_outcome[(API, 5)] = "FinishedWithErrors"
    odc.builds_list = [b for b in odc.builds_list if b.build_key != "b-api-5"]  # must build, and fails
    report, _ = _run(odc)
    assert report.exit_code == 1
    (step,) = _configure_steps(report)
    assert step.status is StepStatus.SKIPPED
    assert "configuration not changed" in step.summary
    patches = [c for c in odc.calls if c[0] == "configurations.patch"]
    assert [args[2] for _, args in patches] == [{}]  # only the empty Edit-configurations probe


def test_values_already_pending_are_applied_with_applyconfigs_not_reported_unchanged():
    odc = _api_with_timeout(deployed="10", pending="30")  # someone PATCHed 30; nothing applied it
    report, _ = _run(odc, stages={"configure"})
    assert report.exit_code == 0, report.error
    assert value_patches(odc) == []  # no need to send it again
    ((_, started),) = [c for c in odc.calls if c[0] == "deployments.start"]
    assert started["operation"] == "ApplyConfigs"
    (step,) = _configure_steps(report)
    assert step.status is StepStatus.SUCCEEDED
    assert step.details == {"changes": 1}
    assert step.messages[0].text == "setting TimeoutSeconds: 10 -> 30 (was already pending in ODC)"
