"""The seam's shared behaviour: what every platform inherits from ``Platform``."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any

import pytest

from odc_pipeline.clock import ManualClock
from odc_pipeline.errors import UsageError
from odc_pipeline.platforms import FACTORIES, open_client, platform_for, register
from odc_pipeline.platforms.base import (
    AssetRef,
    DeployOutcome,
    DeployRequest,
    EnvironmentRef,
    Finding,
    ImpactRequest,
    ImpactResult,
    OperationRef,
    Platform,
    PlatformNotSupportedError,
    ResolvedRevision,
    RunningState,
    UnitOutcome,
    UnitRequest,
    UnitSearch,
)
from odc_pipeline.report import Message

DEV = EnvironmentRef("env-dev", "Development", 0)
QA = EnvironmentRef("env-qa", "QA", 1)


class Run:
    """RunServices for tests: records tracked keys and the waits asked for."""

    def __init__(self) -> None:
        self.clock = ManualClock()
        self.reporter: Any = None
        self.tracked: list[str] = []
        self.waited: list[str] = []

    def wait(
        self, fetch: Any, is_done: Any, *, what: str, describe: Any, stage: str, hint: Any = None
    ) -> Any:
        self.waited.append(what)
        value = fetch()
        while not is_done(value):
            value = fetch()
        return value

    @contextmanager
    def tracking(self, key: str, what: str) -> Any:
        self.tracked.append(key)
        yield

    def history_hint(self, key: Any, read: Any) -> None:
        return None


class Memory(Platform):
    """The smallest complete platform: proves the abstract surface is implementable."""

    name = "memory"

    def __init__(self, assets: list[AssetRef]) -> None:
        self.assets = assets
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def environments(self) -> list[EnvironmentRef]:
        return [DEV, QA]

    def get_asset(self, key: str) -> AssetRef:
        return next(a for a in self.assets if a.key == key)

    def find_assets(self, name: str) -> list[AssetRef]:
        return [a for a in self.assets if a.name.lower() == name.lower()]

    def resolve_revision(self, asset: AssetRef, selector: str, *, label: str) -> ResolvedRevision:
        return ResolvedRevision(number=int(selector))

    def running(self, environment: EnvironmentRef, asset: AssetRef) -> RunningState | None:
        self.calls.append(f"running {asset.key}")
        return RunningState(asset.key, environment.key, revision=1) if asset.key != "b" else None

    def find_unit(
        self, asset: AssetRef, revision: ResolvedRevision, *, pinned: Any = None, running: Any = None
    ) -> UnitSearch:
        return UnitSearch()

    def start_unit(self, run: Any, request: UnitRequest) -> str:
        self.calls.append(f"start unit {request.asset.key}")
        return f"build-{request.asset.key}"

    def wait_unit(self, run: Any, request: UnitRequest, key: str, *, what: str, stage: str) -> UnitOutcome:
        run.wait(lambda: "Finished", lambda s: s == "Finished", what=what, describe=str, stage=stage)
        return UnitOutcome(request.asset.key, key, succeeded=True, status="Finished")

    def analyse(self, run: Any, request: ImpactRequest, *, stage: str) -> ImpactResult:
        with self.lock:
            self.calls.append(f"analyse {request.asset.key}")
        if request.asset.key == "boom":
            raise RuntimeError("analysis crashed")
        return ImpactResult(request.asset.key, verdict="NoIssuesFound")

    def running_operations(self, environment: Any, asset: Any, kinds: Any) -> list[OperationRef]:
        return []

    def start_deploy(self, run: Any, request: DeployRequest) -> OperationRef:
        self.calls.append(f"start {request.asset.key}")
        return OperationRef(f"op-{request.asset.key}", request.kind)

    def wait_deploy(
        self, run: Any, operation: OperationRef, *, what: str, stage: str, hint: Any = None
    ) -> DeployOutcome:
        final = run.wait(lambda: "Finished", lambda s: s == "Finished", what=what, describe=str, stage=stage)
        return DeployOutcome(operation.key.removeprefix("op-"), operation.key, final, succeeded=True)


def _platform() -> Memory:
    return Memory(
        [
            AssetRef("a", "Orders", "App"),
            AssetRef("b", "Billing", "App"),
            AssetRef("c", "billing", "App"),
            AssetRef("d", "Billing", "Library"),
        ]
    )


def test_resolve_asset_is_exact_and_lists_candidates() -> None:
    platform = _platform()
    assert platform.resolve_asset(name="Orders").key == "a"
    assert platform.resolve_asset(key="c").name == "billing"
    with pytest.raises(UsageError, match=r"'orders' not found \(did you mean 'Orders'\?\)"):
        platform.resolve_asset(name="orders")
    with pytest.raises(UsageError, match=r"ambiguous: b \(App\); d \(Library\)"):
        platform.resolve_asset(name="Billing")


def test_find_environment_by_name_or_key_and_lists_visible() -> None:
    platform = _platform()
    envs = platform.environments()
    assert platform.find_environment(envs, "env-qa", role="target") is QA
    with pytest.raises(UsageError, match=r"'qa' not found \(did you mean 'QA'\?\).*Development, QA"):
        platform.find_environment(envs, "qa", role="target")
    with pytest.raises(UsageError, match="no target stage"):
        platform.find_environment(envs, "", role="target")


def test_running_all_defaults_to_one_read_per_asset() -> None:
    platform = _platform()
    found = platform.running_all(QA, [AssetRef("a", "Orders"), AssetRef("b", "Billing")])
    assert list(found) == ["a"]
    assert found["a"].environment_key == "env-qa"
    assert platform.calls == ["running a", "running b"]


def test_deploy_all_defaults_to_tracked_per_asset_deploys_in_order() -> None:
    platform, run = _platform(), Run()
    requests = [DeployRequest(AssetRef(k, k), QA, revision=2) for k in ("b", "a")]
    outcomes = platform.deploy_all(run, requests, stage="deploy")
    assert list(outcomes) == ["b", "a"]
    assert all(o.succeeded for o in outcomes.values())
    assert platform.calls == ["start b", "start a"]
    assert run.tracked == ["op-b", "op-a"]
    assert run.waited == ["deploy op-b of b", "deploy op-a of a"]


def test_analyse_all_runs_every_analysis_and_raises_the_first_error() -> None:
    platform, run = _platform(), Run()
    requests = [ImpactRequest(AssetRef(k, k), QA, ResolvedRevision(number=1)) for k in ("a", "b")]
    results = platform.analyse_all(run, requests, stage="impact-analysis", max_parallel=2)
    assert {k: r.verdict for k, r in results.items()} == {"a": "NoIssuesFound", "b": "NoIssuesFound"}
    with pytest.raises(RuntimeError, match="analysis crashed"):
        platform.analyse_all(
            run,
            [ImpactRequest(AssetRef("boom", "boom"), QA, ResolvedRevision(number=1))],
            stage="impact-analysis",
        )


def test_optional_features_refuse_clearly() -> None:
    platform = _platform()
    with pytest.raises(PlatformNotSupportedError, match="release is not available on memory"):
        platform.set_tag(AssetRef("a", "Orders"), 1, tag="1.0.0", notes=None)
    with pytest.raises(PlatformNotSupportedError, match="two-stage"):
        platform.continue_deploy(Run(), "plan-1", stage="deploy")
    assert platform.abort_deploy("op-1") is False
    assert issubclass(PlatformNotSupportedError, UsageError)  # exit 2, before any change


def test_grouped_findings_and_labels() -> None:
    result = ImpactResult(
        "a",
        verdict="ErrorsFound",
        findings=(
            Finding("Portal", "Error", "x"),
            Finding("Portal", "Warning", "y"),
            Finding("Api", "Error", "z"),
        ),
    )
    assert result.grouped() == {"Portal": {"Error": ["x"], "Warning": ["y"]}, "Api": {"Error": ["z"]}}
    assert ResolvedRevision(number=7).label == "r7"
    assert ResolvedRevision(version="1.4.0").label == "1.4.0"
    outcome = DeployOutcome(
        "a", "op", "Failed", False, messages=(Message("info", "i"), Message("error", "e"))
    )
    assert outcome.reason == "e"


def test_platform_registry_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"unknown platform 'mainframe'; known: .*odc"):
        platform_for("mainframe", object())
    register(
        "memory",
        wrap=lambda client: _platform(),
        connect=lambda env, overrides, clock: ("client", env["X"], overrides["y"]),
    )
    try:
        assert isinstance(platform_for("memory", None), Memory)
        client = open_client("memory", env={"X": "1"}, overrides={"y": 2}, clock=None)
        assert client == ("client", "1", 2)
    finally:
        FACTORIES.pop("memory")


def test_produce_unit_starts_or_attaches_and_tracks_the_wait() -> None:
    platform, run = _platform(), Run()
    request = UnitRequest(AssetRef("a", "Orders"), ResolvedRevision(number=4))
    assert platform.produce_unit(run, request, stage="build").key == "build-a"
    attached = platform.produce_unit(
        run, UnitRequest(request.asset, request.revision, attach_to="b9"), stage="build"
    )
    assert attached.key == "b9"
    assert platform.calls == ["start unit a"]  # attaching never starts another
    assert run.tracked == ["build-a", "b9"]
    assert run.waited == ["Release build of Orders r4 (build-a)", "Release build of Orders r4 (b9)"]
