"""Synthetic run reports and hostile ODC text shared by the CI reporter tests."""

from __future__ import annotations

import importlib.util
import io
import sys
from pathlib import Path
from types import ModuleType

import pytest

from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.report import AssetSummary, Message, RunReport, StepResult, StepStatus

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-Client-Value"
TOKEN = "tok%en;with]odd:chars,and spaces"

HOSTILE = (
    "::error::pwned\n"
    "##vso[task.setvariable variable=status;isOutput=true]hacked\n"
    "##[group]fake\r"
    "100% done; ] ::warning title=x::y "
    "\x1b[0Ksection_start:1:evil\r\x1b[0Kfake section "
    "::stop-commands::abc"
)
"""Every trick at once: GitHub and Azure commands, GitLab markers, newlines, %, \\r, ]."""


@pytest.fixture
def secrets() -> SecretRegistry:
    registry = SecretRegistry()
    registry.register(SECRET)
    return registry


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


def make_report(*, failed: bool = False, hostile: str = "", plan: bool = False) -> RunReport:
    """Two apps and a library into QA; optionally a failed deploy whose ODC messages are hostile."""
    text = hostile or "all good"
    steps = (
        StepResult("Orders Core", "build", StepStatus.UNCHANGED, asset_key="k-core", build_key="b-core"),
        StepResult("Orders API", "build", StepStatus.SUCCEEDED, asset_key="k-api", build_key="b-api"),
        StepResult(
            "Orders Portal", "build", StepStatus.SUCCEEDED, asset_key="k-portal", build_key="b-portal"
        ),
        StepResult("Orders Core", "deploy", StepStatus.SKIPPED, asset_key="k-core", summary="library"),
        StepResult(
            "Orders API",
            "deploy",
            StepStatus.PLANNED if plan else StepStatus.SUCCEEDED,
            asset_key="k-api",
            revision_before=11,
            revision_after=12,
            build_key="b-api",
            operation_key="op-api",
            duration_seconds=42.0,
        ),
        StepResult(
            "Orders Portal",
            "deploy",
            StepStatus.FAILED if failed else StepStatus.SUCCEEDED,
            asset_key="k-portal",
            summary=f"deployment failed: {text}" if failed else "deployed r5 (was r4)",
            revision_before=4,
            revision_after=4 if failed else 5,
            build_key="b-portal",
            operation_key="op-portal",
            messages=(Message("error", f"{text} {SECRET}", "deployment-messages"),) if failed else (),
        ),
    )
    assets = (
        AssetSummary("Orders Core", "k-core", "LowCodeLibrary", 7, 7, "b-core"),
        AssetSummary(
            "Orders API", "k-api", "WebApplication", 11, 12, "b-api", "https://qa.example.com/OrdersAPI"
        ),
        AssetSummary(
            "Orders Portal",
            "k-portal",
            "WebApplication",
            4,
            4 if failed else 5,
            "b-portal",
            "https://qa.example.com/OrdersPortal",
        ),
    )
    return RunReport(
        status="planned" if plan else ("failed" if failed else "succeeded"),
        exit_code=1 if failed else 0,
        target="QA",
        pipeline_file="odc-pipeline.yml",
        plan_only=plan,
        duration_seconds=120.5,
        assets=assets,
        steps=steps,
        impact_status="NoIssuesFound",
        error=f"Orders Portal: deployment failed: {text}" if failed else "",
    )


HOSTILE_REPORT = make_report(failed=True, hostile=HOSTILE)


def drive(reporter, report: RunReport, *, hostile: str = "") -> None:
    """Play a run through the Reporter protocol the way the engine does."""
    reporter.start(target="QA", pipeline_file="odc-pipeline.yml", plan_only=report.plan_only)
    for stage in ("build", "deploy"):
        reporter.stage_started(stage)
        reporter.info(f"working on {stage}", asset="Orders API")
        if hostile:
            reporter.info(hostile, asset=hostile)
            reporter.warning(hostile, asset="Orders Portal")
            reporter.error(f"{hostile} {SECRET}", asset="Orders Portal")
        reporter.heartbeat(f"still waiting {hostile}")
        worst = StepStatus.FAILED if report.exit_code and stage == "deploy" else StepStatus.SUCCEEDED
        reporter.stage_finished(stage, worst)
    reporter.finish(report)


def load_entrypoint() -> ModuleType:
    """``entrypoint.py`` lives at the top level (it is copied to /app in the image), not in the package."""
    if "entrypoint" in sys.modules:
        return sys.modules["entrypoint"]
    spec = importlib.util.spec_from_file_location("entrypoint", ROOT / "entrypoint.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["entrypoint"] = module
    spec.loader.exec_module(module)
    return module
