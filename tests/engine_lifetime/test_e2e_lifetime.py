"""Issue #14 end to end: ``odc-pipeline run`` with ``platform: lifetime`` on the LifeTime simulator.

Each test writes a pipeline file, runs it through ``engine.command.execute`` (the same path
as the CLI: registry → LifetimeClient → LifetimePlatform bound to the file's LifeTime keys →
the engine's plan-shaped stages → report) against the simulator's default infrastructure
(Development → Test → Production; Production two-step; Legacy Reports blocked in
Production; Customer Portal modified in Development), on one ScaledClock: no test sleeps.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from odc_pipeline.clock import ScaledClock
from odc_pipeline.engine.command import execute
from odc_pipeline.engine.continue_command import plan_from_report
from odc_pipeline.engine.options import RunOptions, spec_from_pipeline
from odc_pipeline.errors import UsageError
from odc_pipeline.lifetime_simulator import (
    DEFAULT_LIFETIME_TENANT,
    load_lifetime_tenant,
    start_lifetime_simulator,
)
from odc_pipeline.lifetime_simulator.tenant import OutcomeSpec
from odc_pipeline.pipeline_file import load_pipeline
from odc_pipeline.redaction import SECRETS
from tests.engine.fakes import RecordingReporter
from tests.lifetime.test_simulator import wire_problems

TIME_SCALE = 0.005
HEAD = "version: 1\nplatform: lifetime\n"


@dataclass
class Result:
    code: int
    report: dict[str, Any]
    reporter: RecordingReporter

    def steps(self, stage: str) -> list[dict[str, Any]]:
        return [s for s in self.report["steps"] if s["stage"] == stage]

    def text(self) -> str:
        return json.dumps(self.report)


class World:
    def __init__(self, sim: Any, tmp: Path) -> None:
        self.sim = sim
        self.tmp = tmp
        self.runs = 0

    def run(self, text: str, *, options: RunOptions | None = None, token: str | None = None) -> Result:
        self.runs += 1
        path = self.tmp / f"pipeline-{self.runs}.yml"
        path.write_text(text, encoding="utf-8")
        spec = spec_from_pipeline(
            load_pipeline(path, env={"PORTAL_SECRET": "s3cr3t-portal-value-9f8e"}), path=str(path)
        )
        report_file = self.tmp / f"report-{self.runs}.json"
        reporter = RecordingReporter()
        env = {"LIFETIME_URL": self.sim.url, "LIFETIME_TOKEN": token or self.sim.token}
        code = execute(
            spec,
            options or RunOptions(),
            env=env,
            overrides={},
            clock=self.sim.clock,
            report_file=str(report_file),
            reporter=reporter,
        )
        return Result(code, json.loads(report_file.read_text(encoding="utf-8")), reporter)

    def changes(self) -> list[str]:
        return [f"{e.method} {e.path}" for e in self.sim.request_log.entries() if e.method != "GET"]

    def version(self, env: str, app: str) -> str | None:
        return self.sim.state.running_version(env, app)


def _world(tmp: Path, tenant: Any = None) -> Iterator[World]:
    with start_lifetime_simulator(tenant or DEFAULT_LIFETIME_TENANT, clock=ScaledClock(TIME_SCALE)) as sim:
        yield World(sim, tmp)
        assert wire_problems(sim) == []  # every request as the swagger declares it


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    yield from _world(tmp_path)


def outcome_tenant(**outcome: Any) -> Any:
    tenant = load_lifetime_tenant(DEFAULT_LIFETIME_TENANT)
    return tenant.model_copy(update={"outcomes": [OutcomeSpec(**outcome)]})


TO_TEST = HEAD + "source: Development\ntarget: Test\nassets:\n  - Customer Portal\n  - Core Services\n"
FULL = "stages:\n  build: {}\n  impact-analysis: {}\n  deploy: {}\n  verify: {}\n"


def test_promote_development_to_test_to_production_by_tag(world: World) -> None:
    first = world.run(TO_TEST + FULL)
    assert first.code == 0, first.report["error"]
    assert first.report["status"] == "succeeded"
    assert world.version("Test", "Customer Portal") == "1.2.0"
    (deployed,) = [s for s in first.steps("deploy") if s["status"] == "succeeded"]
    assert deployed["asset"] == "Customer Portal"
    assert "deployed 1.2.0 (was 1.1.0)" in deployed["summary"]
    assert {s["status"] for s in first.steps("verify")} == {"succeeded"}
    assert sum(1 for c in world.changes() if c.endswith("/deployments/")) == 1  # one plan for the release

    production = (
        HEAD + "target: Production\nrevision: from:Test\nassets: [Customer Portal, Core Services]\n" + FULL
    )
    second = world.run(production)
    assert second.code == 0, second.report["error"]
    assert world.version("Production", "Customer Portal") == "1.2.0"
    assert world.version("Production", "Core Services") == "2.1.0"
    deploy_keys = {s["operation_key"] for s in second.steps("deploy") if s["status"] == "succeeded"}
    assert len(deploy_keys) == 1  # both applications in one plan


def test_tag_modified_apps_then_deploy(world: World) -> None:
    text = HEAD + (
        "source: Development\ntarget: Test\nassets:\n  - {name: Customer Portal, revision: modified}\n"
        "  - {name: Core Services, revision: modified}\n"
        "stages:\n  build: {bump: minor, change-log: Sprint 12}\n"
        "  impact-analysis: {}\n  deploy: {}\n  verify: {}\n"
    )
    result = world.run(text)
    assert result.code == 0, result.report["error"]
    builds = {s["asset"]: s for s in result.steps("build")}
    assert builds["Customer Portal"]["status"] == "succeeded"
    assert "tagged 1.3.0 in Development" in builds["Customer Portal"]["summary"]
    assert builds["Core Services"]["status"] == "unchanged"  # not modified: its tag is reused
    assert world.version("Test", "Customer Portal") == "1.3.0"
    assert sum(1 for c in world.changes() if "/versions/" in c) == 1


def test_two_stage_stops_prepared_and_continue_by_key_finishes_exactly_that_plan(world: World) -> None:
    from odc_pipeline.lifetime_simulator.tenant import derive_key

    flags = derive_key("lifetime-config", "Core Services", "CoreServices_CS", "SiteProperty", "FeatureFlags")
    text = HEAD + (
        "target: Production\nrevision: from:Test\nassets: [Core Services]\n"
        "stages:\n  configure:\n    Core Services:\n      modules:\n        CoreServices_CS:\n"
        f"          site-properties: {{FeatureFlags: {{key: {flags}, value: new-checkout}}}}\n"
        "  impact-analysis: {}\n  deploy: {two-stage: true}\n  verify: {}\n"
    )
    prepared = world.run(text)
    assert prepared.code == 0, prepared.report["error"]
    assert prepared.report["status"] == "prepared"
    (step,) = prepared.steps("deploy")
    key = step["operation_key"]
    assert step["details"]["prepared"] is True
    assert world.version("Production", "Core Services") == "2.0.0"
    assert {s["status"] for s in prepared.steps("verify")} == {"skipped"}
    assert {s["status"] for s in prepared.steps("configure")} == {"skipped"}  # waits for step two
    assert world.sim.state.config_value("CoreServices_CS", "Production", "FeatureFlags") == ""
    assert not [c for c in world.changes() if c.endswith("/continue/")]

    report_path = world.tmp / f"report-{world.runs}.json"
    assert plan_from_report(str(report_path)) == (key, str(world.tmp / f"pipeline-{world.runs}.yml"))
    finished = world.run(text, options=RunOptions(only=("configure", "deploy", "verify"), continue_plan=key))
    assert finished.code == 0, finished.report["error"]
    assert finished.report["status"] == "succeeded"
    assert world.sim.state.config_value("CoreServices_CS", "Production", "FeatureFlags") == "new-checkout"
    assert world.version("Production", "Core Services") == "2.1.0"
    assert [c for c in world.changes() if c.endswith("/continue/")] == [
        f"POST /lifetimeapi/rest/v2/deployments/{key}/continue/"
    ]
    assert sum(1 for c in world.changes() if c.endswith("/deployments/")) == 1  # no second plan


def test_continue_refuses_a_report_that_prepared_nothing(world: World, tmp_path: Path) -> None:
    done = world.run(TO_TEST + FULL)
    assert done.code == 0
    with pytest.raises(UsageError, match="not the report of a run that prepared one plan"):
        plan_from_report(str(world.tmp / f"report-{world.runs}.json"))


def test_conflicts_block_with_exit_4_and_leave_no_plan(world: World) -> None:
    text = HEAD + (
        "source: Test\ntarget: Production\nassets: [Legacy Reports]\n"
        "stages:\n  impact-analysis: {fail-on: errors}\n  deploy: {}\n"
    )
    result = world.run(text)
    assert result.code == 4
    assert result.report["status"] == "blocked"
    (step,) = result.steps("impact-analysis")
    assert step["status"] == "blocked"
    assert step["messages"]
    production = world.sim.state.env_by_name["Production"].key
    assert [p for p in world.sim.state.plans.values() if p.target_key == production] == []
    assert any(c.startswith("DELETE /lifetimeapi/rest/v2/deployments/") for c in world.changes())
    assert world.version("Production", "Legacy Reports") is None


def test_a_failed_deployment_exits_1_with_its_log_in_the_report(tmp_path: Path) -> None:
    for world in _world(tmp_path, outcome_tenant(environment="Test", result="finished_with_errors")):
        result = world.run(TO_TEST + FULL)
        assert result.code == 1
        assert result.report["status"] == "failed"
        failed = [s for s in result.steps("deploy") if s["status"] == "failed"]
        assert failed
        sources = {m["source"] for m in failed[0]["messages"]}
        assert "deployment-log" in sources
        assert "finished_with_errors" in result.report["error"]
        assert world.version("Test", "Customer Portal") == "1.1.0"


def test_an_intervention_that_is_not_prepared_fails_and_is_not_continued(tmp_path: Path) -> None:
    for world in _world(tmp_path, outcome_tenant(environment="Test", result="deployment_suspended")):
        result = world.run(TO_TEST + FULL)
        assert result.code == 1
        assert "never continues it on its own" in result.text()
        assert not [c for c in world.changes() if c.endswith("/continue/")]


def test_a_busy_target_frees_up(world: World) -> None:
    state = world.sim.state
    other = world.run(
        HEAD + "source: Development\ntarget: Test\nassets: [Orders Mobile]\nstages:\n  deploy: {}\n",
        options=RunOptions(),
    )
    assert other.code == 0
    # a plan someone else started: created and started through the API while our run waits
    from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings

    settings = LifetimeSettings.from_env({"LIFETIME_URL": world.sim.url, "LIFETIME_TOKEN": world.sim.token})
    with LifetimeClient(settings, clock=world.sim.clock) as client:
        dev, test = state.env_by_name["Development"].key, state.env_by_name["Test"].key
        legacy = client.applications.find_by_name("Core Services")[0]
        version = client.versions.find(legacy.key or "", "2.1.0")
        assert version is not None
        mobile_plan = client.deployments.create(
            source_environment_key=dev,
            target_environment_key=test,
            operations=[version.key or ""],
            notes="other team",
        )
        client.deployments.get(mobile_plan)
        client.deployments.start(mobile_plan, redeploy_outdated=True)
    result = world.run(TO_TEST + FULL)
    assert result.code == 0, result.report["error"]
    assert mobile_plan in result.text()  # the wait is reported, naming the plan waited for
    assert world.version("Test", "Customer Portal") == "1.2.0"


def test_a_rerun_makes_no_mutating_call(world: World) -> None:
    assert world.run(TO_TEST + FULL).code == 0
    before = world.changes()
    again = world.run(TO_TEST + FULL)
    assert again.code == 0
    assert world.changes() == before
    assert {s["status"] for s in again.steps("deploy")} == {"unchanged"}


def test_plan_makes_no_mutating_call(world: World) -> None:
    text = HEAD + (
        "source: Development\ntarget: Test\nassets: [{name: Customer Portal, revision: modified}]\n"
        "stages:\n  build: {}\n  impact-analysis: {}\n  deploy: {}\n  verify: {}\n"
    )
    result = world.run(text, options=RunOptions(plan=True))
    assert result.code == 0, result.report["error"]
    assert result.report["status"] == "planned"
    assert world.changes() == []
    assert {s["status"] for s in result.steps("deploy")} == {"planned"}


def test_cancel_mid_deploy_aborts_the_plan(world: World) -> None:
    """Cancel (SIGINT/SIGTERM set the run's cancel event) while the plan runs: exit 130, the
    plan is aborted, nothing new runs in Test."""
    from odc_pipeline.engine.context import RunContext
    from odc_pipeline.engine.runner import run_pipeline
    from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
    from odc_pipeline.platforms.lifetime import LifetimePlatform

    path = world.tmp / "cancel.yml"
    path.write_text(TO_TEST + FULL, encoding="utf-8")
    spec = spec_from_pipeline(load_pipeline(path, env={}), path=str(path))
    settings = LifetimeSettings.from_env({"LIFETIME_URL": world.sim.url, "LIFETIME_TOKEN": world.sim.token})
    reporter = RecordingReporter()
    with LifetimeClient(settings, clock=world.sim.clock) as client:
        ctx = RunContext(
            client=client,
            clock=world.sim.clock,
            reporter=reporter,
            spec=spec,
            platform=LifetimePlatform(client).bind(spec.platform_options),
        )
        original = ctx.tracking

        def cancel_when_running(key: str, what: str) -> Any:
            threading.Timer(0, ctx.cancel.set).start()
            return original(key, what)

        ctx.tracking = cancel_when_running  # type: ignore[method-assign]
        report = run_pipeline(ctx)
    assert report.exit_code == 130
    assert report.in_flight or "abort" in " ".join(c for c in world.changes())
    aborted = [c for c in world.changes() if c.endswith("/abort/")]
    assert aborted
    assert world.version("Test", "Customer Portal") == "1.1.0"


def test_bad_token_exits_3(world: World) -> None:
    result = world.run(TO_TEST + FULL, token="wrong-token-000000000000")
    assert result.code == 3
    assert result.report["status"] == "unauthorized"
    assert "wrong-token-000000000000" not in result.text()
    assert world.changes() == []


def test_site_properties_are_set_after_the_deploy_and_secrets_never_reported(world: World) -> None:
    text = TO_TEST + (
        "stages:\n  configure:\n    Customer Portal:\n      modules:\n        CustomerPortal:\n"
        "          site-properties:\n"
        "            ApiBaseUrl: {key: fc7d3115-4dc4-535b-a338-c3fe666bceb8, value: '${PORTAL_SECRET}'}\n"
        "            PageSize: {key: 726a3081-3356-59a7-a85f-0f5d0ad16f9f, value: 25}\n"
        "  deploy: {}\n"
    )
    result = world.run(text)
    assert result.code == 0, result.report["error"]
    assert world.sim.state.config_value("CustomerPortal", "Test", "ApiBaseUrl") == "s3cr3t-portal-value-9f8e"
    assert world.sim.state.config_value("CustomerPortal", "Test", "PageSize") == "25"
    assert "s3cr3t-portal-value-9f8e" in SECRETS
    assert "s3cr3t-portal-value-9f8e" not in result.text()
    assert "s3cr3t-portal-value-9f8e" not in json.dumps(result.reporter.events)
    configured = {s["asset"]: s for s in result.steps("configure")}
    assert configured["Customer Portal"]["status"] == "succeeded"
    # written after the plan finished: the PUTs come after the plan's start
    changes = world.changes()
    start = next(i for i, c in enumerate(changes) if c.endswith("/start/"))
    assert all(i > start for i, c in enumerate(changes) if "/PropertiesAPI/" in c)


def test_a_plan_platform_without_configuration_after_deploy_is_refused_before_any_change(
    world: World,
) -> None:
    """configure goes through ``Platform.configure_after_deploy`` only: a plan-shaped platform
    whose capabilities lack it is refused at configure (exit 2), before a plan or tag exists."""
    from dataclasses import replace as replaced

    from odc_pipeline.engine.context import RunContext
    from odc_pipeline.engine.runner import run_pipeline
    from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
    from odc_pipeline.platforms.lifetime import LifetimePlatform
    from odc_pipeline.platforms.lifetime.platform import LIFETIME_CAPABILITIES

    class NoSiteProperties(LifetimePlatform):
        capabilities = replaced(LIFETIME_CAPABILITIES, configures_after_deploy=False)

    path = world.tmp / "no-config.yml"
    path.write_text(
        TO_TEST + "stages:\n  configure:\n    Customer Portal:\n      modules:\n        CustomerPortal:\n"
        "          site-properties:\n"
        "            PageSize: {key: 726a3081-3356-59a7-a85f-0f5d0ad16f9f, value: 25}\n"
        "  impact-analysis: {}\n  deploy: {}\n",
        encoding="utf-8",
    )
    spec = spec_from_pipeline(load_pipeline(path, env={}), path=str(path))
    settings = LifetimeSettings.from_env({"LIFETIME_URL": world.sim.url, "LIFETIME_TOKEN": world.sim.token})
    with LifetimeClient(settings, clock=world.sim.clock) as client:
        ctx = RunContext(
            client=client,
            clock=world.sim.clock,
            reporter=RecordingReporter(),
            spec=spec,
            platform=NoSiteProperties(client).bind(spec.platform_options),
        )
        report = run_pipeline(ctx)
    assert report.exit_code == 2
    assert "configuration set after the deploy is not available on LifeTime" in (report.error or "")
    assert world.changes() == []
    assert world.sim.state.config_value("CustomerPortal", "Test", "PageSize") != "25"


# --- every CI reporter: hostile platform text and secrets (as on ODC, tests/ci) -----------------

CI_REPORTERS = ("github", "gitlab", "azure", "plain")


@dataclass
class CiRun:
    """A run under one CI's real reporter (picked from the CI's environment, as the CLI does),
    with every file that CI would read afterwards."""

    ci: str
    code: int
    log: str
    files: dict[str, Path]

    def written(self) -> str:
        return "\n".join(p.read_text(encoding="utf-8") for p in self.files.values() if p.exists())

    def status_output(self) -> str:
        """The ``status`` output as the next step/job would read it, by that CI's own rules."""
        from tests.ci.ci_rules import azure_commands, github_parse_file_commands, gitlab_parse_dotenv

        if self.ci == "github":
            return github_parse_file_commands(self.files["output"].read_text(encoding="utf-8"))["status"]
        if self.ci == "gitlab":
            return gitlab_parse_dotenv(self.files["dotenv"].read_bytes())["ODC_STATUS"]
        if self.ci == "azure":
            (status,) = [
                c.data
                for c in azure_commands(self.log)
                if c.event == "setvariable" and c.properties.get("variable") == "status"
            ]
            return status
        match = re.search(r"\(exit code (\d+)\)", self.log)
        assert match, self.log
        return {"0": "succeeded", "1": "failed"}.get(match.group(1), match.group(1))

    def masked(self, secret: str) -> str:
        """The log without the lines that register ``secret`` with the runner (those must hold it)."""
        return self.log.replace(f"::add-mask::{secret}", "").replace(f"##vso[task.setsecret]{secret}", "")


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8") if path.exists() else ""


def _ci_env(ci: str, tmp: Path) -> tuple[dict[str, str], dict[str, Path]]:
    files = {"junit": tmp / "junit.xml", "report": tmp / "r.json"}
    if ci == "github":
        files |= {"output": tmp / "github-output", "summary": tmp / "github-summary.md"}
        for path in (files["output"], files["summary"]):
            path.touch()
        env = {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(files["output"]),
            "GITHUB_STEP_SUMMARY": str(files["summary"]),
        }
    elif ci == "gitlab":
        files["dotenv"] = tmp / "odc.env"
        env = {"GITLAB_CI": "true", "ODC_PIPELINE_DOTENV_FILE": str(files["dotenv"])}
    elif ci == "azure":
        files["summary"] = tmp / "azure-summary.md"
        env = {"TF_BUILD": "True", "ODC_PIPELINE_SUMMARY_FILE": str(files["summary"])}
    else:
        env = {}
    return env | {"ODC_PIPELINE_JUNIT_FILE": str(files["junit"])}, files


def _run_under(ci: str, world: World, text: str) -> CiRun:
    import io

    from odc_pipeline.reporting.select import reporter_from_env

    env, files = _ci_env(ci, world.tmp)
    path = world.tmp / f"{ci}.yml"
    path.write_text(text, encoding="utf-8")
    spec = spec_from_pipeline(
        load_pipeline(path, env={"PORTAL_SECRET": "s3cr3t-portal-value-9f8e"}), path=str(path)
    )
    stream = io.StringIO()
    reporter = reporter_from_env(env, stream=stream, clock=world.sim.clock, report_file=str(files["report"]))
    code = execute(
        spec,
        RunOptions(),
        env={**env, "LIFETIME_URL": world.sim.url, "LIFETIME_TOKEN": world.sim.token},
        overrides={},
        clock=world.sim.clock,
        report_file=str(files["report"]),
        reporter=reporter,
    )
    return CiRun(ci, code, stream.getvalue(), files)


def hostile_commands(log: str) -> list[str]:
    """Every command ``tests.ci.conftest.HOSTILE`` would start, read with each CI's own rules
    (``tests.ci.ci_rules``): all of them, whatever the reporter, since a log may be read by any."""
    from tests.ci.ci_rules import azure_commands, azure_format_commands, github_commands, gitlab_sections

    found = [
        f"github ::{c.name}::{c.data}"
        for c in github_commands(log)
        if c.data.startswith(("pwned", "y", "abc"))
        or c.name == "stop-commands"
        or c.properties.get("title") == "x"
    ]
    found += [
        f"azure ##vso[{c.area}.{c.event}]{c.data}"
        for c in azure_commands(log)
        if c.data.startswith("hacked")
        or (c.event == "setvariable" and c.properties.get("variable") == "status" and c.data != "failed")
    ]
    found += [line for line in re.split(r"\r\n|\r|\n", log) if line.startswith("##[group]fake")]
    found += [
        f"azure ##[{name}]"
        for name in azure_format_commands(log)
        if name not in {"group", "endgroup", "section", "error", "warning"}
    ]
    found += [f"gitlab section {name}" for _, _, name in gitlab_sections(log) if name == "evil"]
    found += ["raw ESC"] if "\x1b[0Ksection_start:1:evil" in log else []
    return found


@pytest.mark.parametrize("ci", CI_REPORTERS)
def test_hostile_text_from_lifetime_never_starts_a_ci_command(tmp_path: Path, ci: str) -> None:
    """A deployment log line from LifeTime (text a platform user controls) that spells GitHub
    workflow commands, Azure logging/formatting commands and a GitLab section marker stays
    inert in the log, the outputs, the summary and the JUnit file under every CI's reporter."""
    from tests.ci.conftest import HOSTILE

    tenant = outcome_tenant(environment="Test", result="finished_with_errors", message=HOSTILE)
    for world in _world(tmp_path, tenant):
        run = _run_under(ci, world, TO_TEST + FULL)
        assert run.code == 1, run.log
        assert "pwned" in run.files["report"].read_text(encoding="utf-8")  # the text is kept as data...
        shown = {k for k in ("summary", "junit") if run.files.get(k) and "pwned" in _text(run.files[k])}
        assert (
            shown
            == {"github": {"summary"}, "gitlab": {"junit"}, "azure": {"summary", "junit"}, "plain": set()}[ci]
        )  # ...and shown in what the CI renders...
        assert hostile_commands(run.log) == [], run.log  # ...never run as a command
        assert run.status_output() == "failed"
        assert world.sim.token not in run.masked(world.sim.token)
        assert world.sim.token not in run.written()


@pytest.mark.parametrize("ci", CI_REPORTERS)
def test_secret_site_property_never_reaches_a_ci_log_or_file(tmp_path: Path, ci: str) -> None:
    """A secret site property (``${PORTAL_SECRET}``) is set in LifeTime, registered with the
    runner where it can mask (GitHub ``add-mask``, Azure ``setsecret``) and found nowhere else:
    not in the log, the outputs, the summary, the JUnit file or the JSON report."""
    secret = "s3cr3t-portal-value-9f8e"
    text = TO_TEST + (
        "stages:\n  configure:\n    Customer Portal:\n      modules:\n        CustomerPortal:\n"
        "          site-properties:\n"
        "            ApiBaseUrl: {key: fc7d3115-4dc4-535b-a338-c3fe666bceb8, value: '${PORTAL_SECRET}'}\n"
        "  deploy: {}\n"
    )
    for world in _world(tmp_path):
        run = _run_under(ci, world, text)
        assert run.code == 0, run.log
        assert world.sim.state.config_value("CustomerPortal", "Test", "ApiBaseUrl") == secret
        assert run.status_output() == "succeeded"
        assert "ApiBaseUrl = ***" in run.files["report"].read_text(encoding="utf-8")  # reported by name...
        assert secret not in run.masked(secret)  # ...never by value
        assert secret not in run.written()
        registered = run.log != run.masked(secret)
        assert registered == (ci in {"github", "azure"})  # the CIs that can mask were told


class _Answer:
    def __init__(self, status: int, text: str = "") -> None:
        self.status_code = status
        self.text = text


def test_http_checks_run_against_the_application_url(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []

    class Session:
        @staticmethod
        def get(url: str, **_: Any) -> _Answer:
            asked.append(url)
            return _Answer(503 if len(asked) == 1 else 200, "Welcome")

    from odc_pipeline.engine import plan_stages

    monkeypatch.setattr(plan_stages, "requests", Session)
    text = TO_TEST + FULL.replace(
        "verify: {}",
        "verify:\n    http:\n      - {asset: Customer Portal, path: /health, contains: Welcome, retries: 1, "
        "interval: 1s}",
    )
    result = world.run(text)
    assert result.code == 0, result.report["error"]
    assert asked == ["https://test.example.com/portal/health"] * 2  # the first 503 was retried
    asked.clear()
    monkeypatch.setattr(Session, "get", staticmethod(lambda url, **_: _Answer(500)))
    failed = world.run(text)
    assert failed.code == 1
    (step,) = [s for s in failed.steps("verify") if s["asset"] == "Customer Portal"]
    assert step["status"] == "failed"
    assert "answered 500" in step["summary"]


def test_the_lifetime_example_runs_with_simulate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """``odc-pipeline run examples/lifetime-release.yml --simulate``: the demo on the LifeTime
    simulator, through the CLI (tags Customer Portal 1.3.0, one plan to Test, site properties)."""
    from odc_pipeline.cli import main

    report = tmp_path / "report.json"
    root = Path(__file__).resolve().parents[2]
    code = main(
        [
            "run",
            str(root / "examples" / "lifetime-release.yml"),
            "--simulate",
            "--time-scale",
            "0.002",
            "--report-file",
            str(report),
        ]
    )
    document = json.loads(report.read_text(encoding="utf-8"))
    assert code == 0, document["error"]
    assert document["status"] == "succeeded"
    builds = {s["asset"]: s["summary"] for s in document["steps"] if s["stage"] == "build"}
    assert "tagged 1.3.0 in Development" in builds["Customer Portal"]
    assert "succeeded: Test" in capsys.readouterr().out


def test_the_summary_table_shows_versions(world: World) -> None:
    from odc_pipeline.engine.context import RunContext
    from odc_pipeline.engine.runner import run_pipeline
    from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
    from odc_pipeline.platforms.lifetime import LifetimePlatform
    from odc_pipeline.reporting.table import asset_rows

    path = world.tmp / "table.yml"
    path.write_text(TO_TEST + FULL, encoding="utf-8")
    spec = spec_from_pipeline(load_pipeline(path, env={}), path=str(path))
    settings = LifetimeSettings.from_env({"LIFETIME_URL": world.sim.url, "LIFETIME_TOKEN": world.sim.token})
    with LifetimeClient(settings, clock=world.sim.clock) as client:
        ctx = RunContext(
            client=client,
            clock=world.sim.clock,
            reporter=RecordingReporter(),
            spec=spec,
            platform=LifetimePlatform(client).bind(spec.platform_options),
        )
        report = run_pipeline(ctx)
    assert report.exit_code == 0
    rows = {row.name: row.revision for row in asset_rows(report)}
    assert rows == {"Customer Portal": "1.2.0", "Core Services": "2.1.0"}
    from odc_pipeline.reporting.outputs import deployments_of

    deployed = {d["asset"]: d for d in deployments_of(report)}
    portal = deployed["Customer Portal"]
    assert (portal["version-before"], portal["version-after"], portal["status"]) == (
        "1.1.0",
        "1.2.0",
        "succeeded",
    )
    assert portal["operation-key"]  # the plan's key


def test_lost_answers_to_tag_plan_and_start_are_looked_up_never_sent_twice(tmp_path: Path) -> None:
    """drop-response: LifeTime acted, the answer was lost. One tag, one plan, one start.

    Tags are usable at once here, so the plan POST whose answer is lost did create a plan
    (with processing time, LifeTime may refuse it first — then nothing was created)."""
    tenant = load_lifetime_tenant(DEFAULT_LIFETIME_TENANT)
    tenant = tenant.model_copy(
        update={"durations": tenant.durations.model_copy(update={"tag_processing": 0})}
    )
    for world in _world(tmp_path, tenant):
        _lost_answers(world)


def _lost_answers(world: World) -> None:
    for fragment in ("/versions", "/lifetimeapi/rest/v2/deployments", "/start"):
        world.sim.faults.add("drop-response", path=fragment, method="POST", times=1)
    text = HEAD + (
        "source: Development\ntarget: Test\nassets: [{name: Customer Portal, revision: modified}]\n"
        "stages:\n  build: {}\n  impact-analysis: {}\n  deploy: {}\n  verify: {}\n"
    )
    result = world.run(text)
    assert result.code == 0, result.report["error"]
    changes = world.changes()
    assert sum(1 for c in changes if c.endswith("/versions/")) == 1
    assert sum(1 for c in changes if c.endswith("/deployments/")) == 1
    assert sum(1 for c in changes if c.endswith("/start/")) == 1
    assert world.version("Test", "Customer Portal") == "1.2.1"
    test_key = world.sim.state.env_by_name["Test"].key
    assert len([p for p in world.sim.state.plans.values() if p.target_key == test_key]) == 1


def test_waiting_for_a_busy_target_is_bounded_by_the_deploy_timeout(world: World) -> None:
    from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings

    state = world.sim.state
    settings = LifetimeSettings.from_env({"LIFETIME_URL": world.sim.url, "LIFETIME_TOKEN": world.sim.token})
    with LifetimeClient(settings, clock=world.sim.clock) as client:
        core = client.applications.find_by_name("Core Services")[0]
        version = client.versions.find(core.key or "", "2.1.0")
        assert version is not None
        busy = client.deployments.create(
            source_environment_key=state.env_by_name["Test"].key,
            target_environment_key=state.env_by_name["Production"].key,
            operations=[version.key or ""],
            notes="someone else's two-step plan, left prepared",
        )
        client.deployments.get(busy)
        client.deployments.start(busy)
    text = HEAD + (
        "source: Test\ntarget: Production\nassets: [Customer Portal]\n"
        "stages:\n  deploy: {}\ntimeouts: {deploy: 2m}\n"
    )
    result = world.run(text)
    assert result.code == 5
    assert result.report["status"] == "timed-out"
    assert "other deployment plans on Production" in result.report["error"]
    assert not [c for c in world.changes() if c.endswith("/start/") and busy not in c]


def test_continue_from_the_cli_refuses_what_it_cannot_continue(
    world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    from odc_pipeline.cli import main

    done = world.run(TO_TEST + FULL)
    assert done.code == 0
    report = world.tmp / f"report-{world.runs}.json"
    assert main(["continue", "--report", str(report)]) == 2
    assert "not the report of a run that prepared one plan" in capsys.readouterr().err
    odc = world.tmp / "odc.yml"
    odc.write_text("version: 1\ntarget: QA\nassets: [A]\nstages:\n  deploy: {}\n", encoding="utf-8")
    assert main(["continue", str(odc), "--plan-key", "k"]) == 2
    assert "continue applies to platform: lifetime" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:  # argparse: --plan-key or --report is required
        main(["continue", str(odc)])
    assert caught.value.code == 2


def test_from_plan_is_refused_on_lifetime_before_any_change(world: World) -> None:
    from types import SimpleNamespace

    approved = SimpleNamespace(source="plan.json", target_key="", stages=(), force=False)
    result = world.run(TO_TEST + FULL, options=RunOptions(approved=approved))
    assert result.code == 2
    assert "--from-plan is not available on LifeTime" in result.report["error"]
    assert world.changes() == []


def test_continue_with_a_key_that_is_not_waiting_changes_nothing(world: World) -> None:
    text = HEAD + "target: Production\nrevision: from:Test\nassets: [Core Services]\nstages:\n  deploy: {}\n"
    result = world.run(
        text, options=RunOptions(only=("deploy",), continue_plan="00000000-0000-0000-0000-000000000000")
    )
    assert result.code == 2
    assert "is not waiting in Production" in result.report["error"]
    assert world.changes() == []


def _lifetime_hostile_files(tmp: Path) -> dict[str, Path]:
    """Pipeline files (a fork's pull request can carry one) with the CI payload in LifeTime keys:
    problems found before the run, and names the run fails on against the simulator."""
    from tests.ci.test_hostile_pipeline_keys import PAYLOAD

    head = "version: 1\nplatform: lifetime\ntarget: Test\n"
    texts = {
        "source": head
        + f'source: "Development{PAYLOAD}"\nassets: [Customer Portal]\nstages:\n  deploy: {{}}\n',
        "zone": head
        + "source: Development\nassets:\n  - name: Customer Portal\n"
        + f'    deployment-zone: "Global{PAYLOAD}"\nstages:\n  impact-analysis: {{}}\n  deploy: {{}}\n',
        "module": head
        + "source: Development\nassets: [Customer Portal]\nstages:\n  configure:\n    Customer Portal:\n"
        + f'      modules:\n        "CustomerPortal{PAYLOAD}":\n'
        + "          site-properties: {PageSize: {key: 726a3081-3356-59a7-a85f-0f5d0ad16f9f, value: 25}}\n",
        "deploy-key": head
        + "source: Development\nassets: [Customer Portal]\nstages:\n  deploy:\n"
        + f'    "two-stage{PAYLOAD}": true\n',
        "odc-key-under-lifetime": head
        + "source: Development\nassets: [Customer Portal]\nstages:\n  configure:\n"
        + f'    "Customer Portal{PAYLOAD}":\n      settings: {{Timeout: 45}}\n',
    }
    files = {}
    for name, text in texts.items():
        files[name] = tmp / f"{name}.yml"
        files[name].write_text(text, encoding="utf-8")
    return files


@pytest.mark.parametrize(
    ("ci", "command", "case"),
    [
        (ci, command, case)
        for ci in CI_REPORTERS
        for command in ("validate", "run")
        for case in ("source", "zone", "module", "deploy-key", "odc-key-under-lifetime")
    ],
)
def test_hostile_lifetime_keys_start_no_ci_command(  # noqa: PLR0917
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    ci: str,
    command: str,
    case: str,
) -> None:
    """As ``tests/ci/test_hostile_pipeline_keys.py`` for ODC: the payload in a LifeTime key goes
    through ``validate`` and ``run --simulate`` (on the LifeTime simulator) under each CI's
    reporter; the log is read back with each runner's own rules and starts no hostile command."""
    from tests.ci.test_hostile_pipeline_keys import _hostile_commands, run_cli_under_ci

    path = _lifetime_hostile_files(tmp_path)[case]
    unset = ("LIFETIME_URL", "LIFETIME_TOKEN")
    code, log = run_cli_under_ci(tmp_path, monkeypatch, capsys, ci, command, path, unset=unset)
    file_problem = case in {"deploy-key", "odc-key-under-lifetime"}
    assert code == (2 if file_problem else {"validate": 0, "run": code}[command]), log
    if file_problem or command == "run":
        assert code in {1, 2}, log  # the hostile text really reached an error message...
        assert "leak" in log  # ...shown as inert text
    assert _hostile_commands(log) == [], log


TWO_STAGE = HEAD + (
    "target: Production\nrevision: from:Test\nassets: [Core Services]\n"
    "stages:\n  impact-analysis: {}\n  deploy: {two-stage: true}\n  verify: {}\n"
)


@pytest.mark.parametrize("by", ["report", "plan-key"])
def test_continue_through_the_cli_finishes_the_plan_a_first_run_prepared(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], by: str
) -> None:
    """``odc-pipeline continue`` via ``cli.main`` against the simulator that holds the prepared
    plan (LIFETIME_URL/LIFETIME_TOKEN, as a CI job after an approval would have them), waiting on
    the simulator's time scale (``--time-scale``): the plan deploys, verify passes, exit 0."""
    from odc_pipeline.cli import main

    prepared = world.run(TWO_STAGE)
    assert prepared.code == 0, prepared.report["error"]
    assert prepared.report["status"] == "prepared"
    (step,) = prepared.steps("deploy")
    key = step["operation_key"]
    assert world.version("Production", "Core Services") == "2.0.0"

    monkeypatch.setenv("LIFETIME_URL", world.sim.url)
    monkeypatch.setenv("LIFETIME_TOKEN", world.sim.token)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    report = world.tmp / "continued.json"
    which = (
        ["--report", str(world.tmp / f"report-{world.runs}.json")]
        if by == "report"
        else [str(world.tmp / f"pipeline-{world.runs}.yml"), "--plan-key", key]
    )
    code = main(["continue", *which, "--time-scale", str(TIME_SCALE), "--report-file", str(report)])
    document = json.loads(report.read_text(encoding="utf-8"))
    assert code == 0, document["error"]
    assert document["status"] == "succeeded"
    assert world.version("Production", "Core Services") == "2.1.0"
    (deployed,) = [s for s in document["steps"] if s["stage"] == "deploy"]
    assert deployed["operation_key"] == key
    assert {s["status"] for s in document["steps"] if s["stage"] == "verify"} == {"succeeded"}
    assert [c for c in world.changes() if c.endswith("/continue/")] == [
        f"POST /lifetimeapi/rest/v2/deployments/{key}/continue/"
    ]
    assert sum(1 for c in world.changes() if c.endswith("/deployments/")) == 1  # no second plan
    assert "succeeded: Production" in capsys.readouterr().out


def test_continue_refuses_a_time_scale_for_a_lifetime_that_is_not_on_this_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A sped-up clock against a real LifeTime would poll it many times too often: exit 2,
    before any request (the URL is not even reachable)."""
    from odc_pipeline.cli import main

    path = tmp_path / "two-stage.yml"
    path.write_text(TWO_STAGE, encoding="utf-8")
    monkeypatch.setenv("LIFETIME_URL", "https://lifetime.example.com")
    monkeypatch.setenv("LIFETIME_TOKEN", "t" * 32)
    assert main(["continue", str(path), "--plan-key", "k", "--time-scale", "0.01"]) == 2
    assert "LIFETIME_URL must be a loopback URL" in capsys.readouterr().err
    monkeypatch.setenv("LIFETIME_URL", "http://127.0.0.1:9")
    assert main(["continue", str(path), "--plan-key", "k", "--time-scale", "0"]) == 2
    assert "--time-scale needs a positive number" in capsys.readouterr().err
