"""An in-memory ODC for stage tests: just enough state to drive the engine without HTTP.

The end-to-end tests (test_e2e_*.py) use the real simulator through HTTP; these fakes keep
the per-stage tests fast and make each decision (reuse, attach, skip, rollback) explicit.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from types import SimpleNamespace as NS
from typing import Any

from odc_pipeline.api.errors import NotFoundError
from odc_pipeline.clock import ManualClock
from odc_pipeline.engine.context import RunContext
from odc_pipeline.engine.options import AssetSpec, EngineSpec, RunOptions
from odc_pipeline.report import RunReport, StepStatus

ENV_DEV, ENV_QA = "env-dev", "env-qa"


class RecordingReporter:
    def __init__(self) -> None:
        self.events: list[tuple[str, str]] = []
        self.finished: RunReport | None = None

    def start(self, *, target: str, pipeline_file: str, plan_only: bool) -> None:
        self.events.append(("start", target))

    def stage_started(self, stage: str) -> None:
        self.events.append(("stage", stage))

    def stage_finished(self, stage: str, status: StepStatus) -> None:
        self.events.append(("stage-end", f"{stage}:{status}"))

    def info(self, message: str, *, asset: str | None = None) -> None:
        self.events.append(("info", message))

    def warning(self, message: str, *, asset: str | None = None) -> None:
        self.events.append(("warning", message))

    def error(self, message: str, *, asset: str | None = None) -> None:
        self.events.append(("error", message))

    def heartbeat(self, message: str) -> None:
        self.events.append(("heartbeat", message))

    def finish(self, report: RunReport) -> None:
        self.finished = report

    def texts(self, kind: str) -> list[str]:
        return [t for k, t in self.events if k == kind]


@dataclass
class FakeOdc:
    """State + the client facade (``assets``, ``builds``, … attributes point at self)."""

    assets_by_key: dict[str, NS] = field(default_factory=dict)
    builds_list: list[NS] = field(default_factory=list)
    deployed: dict[tuple[str, str], NS] = field(default_factory=dict)  # (env, asset) -> deployment
    producers_of: dict[str, list[str]] = field(default_factory=dict)
    configs: dict[tuple[str, str], NS] = field(default_factory=dict)
    operations: dict[str, NS] = field(default_factory=dict)
    deploy_outcome: dict[tuple[str, int], str] = field(default_factory=dict)  # (asset, rev) -> status
    build_outcome: dict[tuple[str, int], str] = field(default_factory=dict)
    analysis_report: dict[str, Any] = field(default_factory=dict)  # asset -> report NS | "404" | "Failed"
    calls: list[tuple[str, Any]] = field(default_factory=list)
    polls_until_done: int = 1
    failed_deploy_replaces: bool = False  # a FinishedWithError Deploy that left its revision running
    _ids: Any = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        self.assets = self
        self.builds = self
        self.dependencies = self
        self.configurations = self
        self.deployments = self
        self.portfolio = self
        self.code_quality = self
        self.http = NS(call_counts={"GET /api/fake": 1})
        self._polls: dict[str, int] = {}

    # -- set-up helpers
    def add_asset(self, key: str, name: str, asset_type: str = "WebApplication", latest: int = 2) -> None:
        self.assets_by_key[key] = NS(
            asset_key=key, name=name, asset_type=asset_type, revision=latest, tag=None
        )

    def add_build(
        self, key: str, asset: str, revision: int, status: str = "Finished", build_type: str = "Release"
    ):
        self.builds_list.append(
            NS(
                build_key=key,
                asset_key=asset,
                asset_revision=revision,
                build_type=build_type,
                status=status,
                finished_date_time="2026-01-01T00:00:00Z",
            )
        )

    def run(self, env: str, asset: str, revision: int, build: str) -> None:
        self.deployed[(env, asset)] = NS(
            environment_key=env, revision=revision, build_key=build, url=f"https://{env}.example/{asset}"
        )

    def mutating(self) -> list[tuple[str, Any]]:
        return [
            c
            for c in self.calls
            if c[0]
            in {
                "builds.start",
                "deployments.start",
                "configurations.patch",
                "start_deployment_analysis",
                "start_analysis",
            }
        ]

    def _next(self, prefix: str) -> str:
        return f"{prefix}-{next(self._ids)}"

    # -- portfolio
    def environments(self) -> list[NS]:
        return [NS(key=ENV_DEV, name="Development", order=0), NS(key=ENV_QA, name="QA", order=1000)]

    def deployed_assets(self, *, asset_keys=None, environment_keys=None):
        for key in asset_keys or []:
            deployments = [
                d for (env, a), d in self.deployed.items() if a == key and env in (environment_keys or [env])
            ]
            if deployments:
                yield NS(key=key, type="WebApplication", deployments=deployments)

    # -- assets
    def find_by_name(self, name: str) -> list[NS]:
        return [a for a in self.assets_by_key.values() if a.name.casefold() == name.casefold()]

    def find_by_names(self, names: list[str]) -> dict[str, list[NS]]:
        return {name: self.find_by_name(name) for name in names}

    def get_many(self, keys: list[str]) -> dict[str, NS]:
        return {key: self.assets_by_key[key] for key in keys if key in self.assets_by_key}

    def get(self, key: str) -> NS:
        if key in self.operations:
            return self._poll_operation(key)
        if key in self.assets_by_key:
            return self.assets_by_key[key]
        for build in self.builds_list:
            if build.build_key == key:
                return self._poll_build(build)
        raise NotFoundError(f"{key} not found", status=404)

    def latest_revision(self, key: str) -> NS:
        return self.assets_by_key[key]

    def get_revision(self, key: str, n: int) -> NS:
        return NS(asset_key=key, revision=n)

    def highest_tag_revision(self, key: str):
        return NS(revision=1, tag="1.0.0")

    def list_revisions(self, key: str, *, is_tagged=None, sort="-revision"):
        yield NS(revision=1, tag="1.0.0")

    # -- builds
    def list(
        self,
        asset_key=None,
        *,
        revision=None,
        build_type=None,
        environment_key=None,
        status=None,
        operations=None,
        **_: Any,
    ):
        if asset_key is not None and environment_key is None and status is None:
            return [
                b
                for b in self.builds_list
                if b.asset_key == asset_key
                and (revision is None or b.asset_revision == revision)
                and (build_type is None or b.build_type == build_type)
            ]
        self.calls.append(("deployments.list", {"asset_key": asset_key, "status": status}))
        return [
            o
            for o in self.operations.values()
            if (asset_key is None or o.asset_key == asset_key)  # None: the whole stage's history
            and o.status == status
            and o.environment_key == environment_key
            and (not operations or o.operation in operations)
        ]

    def start(self, *args: Any, **kwargs: Any) -> NS:
        if args:  # builds.start(asset_key, revision, build_type=...)
            asset, revision = args
            self.calls.append(("builds.start", (asset, revision, kwargs.get("build_type"))))
            key = self._next("build")
            self.builds_list.append(
                NS(
                    build_key=key,
                    asset_key=asset,
                    asset_revision=revision,
                    build_type=kwargs["build_type"],
                    status="Running",
                    finished_date_time=None,
                )
            )
            return NS(build_key=key, is_successful=True)
        kwargs.pop("find_again", None)
        self.calls.append(("deployments.start", dict(kwargs)))
        key = self._next("op")
        self.operations[key] = NS(
            key=key,
            status="Running",
            operation=kwargs["operation"],
            asset_key=kwargs["asset_key"],
            environment_key=kwargs["environment_key"],
            revisions=[kwargs.get("revision")],
            build_key=kwargs.get("build_key"),
        )
        return self.operations[key]

    def _poll_build(self, build: NS) -> NS:
        if build.status == "Running":
            n = self._polls[build.build_key] = self._polls.get(build.build_key, 0) + 1
            if n >= self.polls_until_done:
                build.status = self.build_outcome.get((build.asset_key, build.asset_revision), "Finished")
        return build

    def _poll_operation(self, key: str) -> NS:
        op = self.operations[key]
        if op.status == "Running":
            n = self._polls[key] = self._polls.get(key, 0) + 1
            if n >= self.polls_until_done:
                revision = op.revisions[0]
                op.status = self.deploy_outcome.get((op.asset_key, revision), "Finished")
                moved = op.status == "Finished" or self.failed_deploy_replaces
                if moved and op.operation == "Deploy":
                    self.run(op.environment_key, op.asset_key, revision, op.build_key)
                if op.status == "Finished" and op.operation == "Undeploy":
                    self.deployed.pop((op.environment_key, op.asset_key), None)
        return op

    def log_messages(self, key: str) -> list[NS]:
        return [NS(severity="Error", message="Compilation failed: Action 'GetOrders' has an error")]

    def finder(self, *args: Any, **kwargs: Any):
        return lambda: None

    # -- deployments
    def messages(self, key: str):
        yield NS(severity="Error", message="Database upgrade failed for entity Order")

    # -- dependencies
    def producers(self, asset_key: str, revision: int, **_: Any) -> list[NS]:
        return [NS(key=k) for k in self.producers_of.get(asset_key, [])]

    def start_deployment_analysis(self, asset_key: str, revision: int, env: str, **_: Any) -> str:
        self.calls.append(("start_deployment_analysis", asset_key))
        if self.analysis_report.get(asset_key) == "404":
            raise NotFoundError("analysis not available", status=404)
        return f"analysis-{asset_key}"

    def get_deployment_analysis(self, key: str) -> NS:
        asset = key.removeprefix("analysis-")
        report = self.analysis_report.get(asset)
        if report == "Failed":
            return NS(process_status="Failed", report=None, error=NS(detail="internal", title=None))
        return NS(process_status="Finished", report=report or NS(status="NoIssuesFound", impacted_assets=[]))

    # -- code quality (the gate tests replace start_analysis / get_analysis)
    def get_summary(self, asset_key: str, revision: int) -> None:
        return None

    # -- configurations
    def get_deployed(self, env: str, asset: str, *, agent: bool = False) -> NS:
        return self.configs[(env, asset)]

    def get_for_revision(self, env: str, asset: str, revision: int, *, agent: bool = False) -> NS:
        return self.configs.get((env, f"{asset}@{revision}"), self.configs.get((env, asset)))

    def patch(self, env: str, asset: str, patch: Any, *, agent: bool = False) -> None:
        self.calls.append(("configurations.patch", (env, asset, patch.to_json())))


def setting(
    name: str, data_type: str, deployed: str | None, *, secret: bool = False, value: str | None = None
) -> NS:
    return NS(
        key=f"k-{name}",
        name=name,
        data_type=data_type,
        deployed_value=deployed,
        value=deployed if value is None else value,
        is_secret=secret,
    )


def make_ctx(
    odc: FakeOdc,
    *,
    assets: tuple[AssetSpec, ...],
    stages=None,
    options: RunOptions | None = None,
    **spec_fields: Any,
) -> tuple[RunContext, RecordingReporter]:
    from odc_pipeline.report import STAGES

    reporter = RecordingReporter()
    spec = EngineSpec(target="QA", assets=assets, stages=frozenset(stages or STAGES), **spec_fields)
    ctx = RunContext(
        client=odc, clock=ManualClock(), reporter=reporter, spec=spec, options=options or RunOptions()
    )
    return ctx, reporter


def value_patches(odc: FakeOdc) -> list[dict[str, Any]]:
    """The configuration PATCH bodies that carry values (not the empty permission probe ``{}``)."""
    return [c[1][2] for c in odc.calls if c[0] == "configurations.patch" and c[1][2]]
