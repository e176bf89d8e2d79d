"""A shared read of the target stands in for a deploy's own only once, and only while fresh."""

from __future__ import annotations

from types import SimpleNamespace as NS

from odc_pipeline.clock import ManualClock
from odc_pipeline.engine.stage_reads import FRESH_SECONDS, KINDS, StageReads
from odc_pipeline.platforms.base import OperationRef, RunningState


def _ctx(clock: ManualClock, calls: list[str], *, fail: bool = False) -> NS:
    def running_operations_all(target, assets, kinds):
        calls.append("operations")
        assert tuple(kinds) == KINDS
        if fail:
            raise RuntimeError("the tenant is down")
        return {a.key: [OperationRef(key="op-b", kind="Deploy")] if a.key == "b" else [] for a in assets}

    def running_all(target, assets):
        calls.append("running")
        return {"a": RunningState("a", "qa", revision=1, unit_key="build-a1")}

    platform = NS(running_operations_all=running_operations_all, running_all=running_all)
    return NS(clock=clock, target=NS(key="qa"), platform=platform)


def _apps(*keys: str) -> list[NS]:
    return [NS(key=k, label=k.upper()) for k in keys]


def test_two_calls_answer_every_app_once() -> None:
    clock, calls = ManualClock(), []
    ctx = _ctx(clock, calls)
    reads = StageReads()
    reads.read_for(ctx, _apps("a", "b", "c"))  # type: ignore[arg-type]
    assert calls == ["operations", "running"]
    a, b, c = (reads.take(ctx, k) for k in "abc")  # type: ignore[arg-type]
    assert a is not None and a.running is not None and a.running.unit_key == "build-a1"  # noqa: PT018
    assert b is not None and [op.key for op in b.operations] == ["op-b"]  # noqa: PT018
    assert c is not None and c.running is None and c.operations == []  # noqa: PT018
    assert reads.take(ctx, "a") is None  # once: a second question reads on its own  # type: ignore[arg-type]


def test_an_answer_older_than_a_few_seconds_is_not_used() -> None:
    clock, calls = ManualClock(), []
    ctx = _ctx(clock, calls)
    reads = StageReads()
    reads.read_for(ctx, _apps("a", "b"))  # type: ignore[arg-type]
    clock.advance(FRESH_SECONDS - 0.5)
    assert reads.take(ctx, "a") is not None  # type: ignore[arg-type]
    clock.advance(1.0)
    assert reads.take(ctx, "b") is None  # type: ignore[arg-type]


def test_one_app_or_a_failed_read_leaves_each_deploy_to_its_own_read() -> None:
    clock, calls = ManualClock(), []
    reads = StageReads()
    reads.read_for(_ctx(clock, calls), _apps("a"))  # type: ignore[arg-type]
    assert calls == []
    failing = _ctx(clock, calls, fail=True)
    reads.read_for(failing, _apps("a", "b"))  # type: ignore[arg-type]
    assert calls == ["operations"]
    assert reads.take(failing, "a") is None  # type: ignore[arg-type]


def test_the_platform_default_asks_per_asset_and_odc_lists_the_stage_once() -> None:
    from odc_pipeline.platforms.base import AssetRef, EnvironmentRef
    from odc_pipeline.platforms.odc.platform import OdcPlatform

    listed: list[dict[str, object]] = []

    def deployments_list(**filters):
        listed.append(filters)
        running = [
            NS(key="op-1", operation="Deploy", asset_key="a", build_key=None, status="Running"),
            NS(key="op-2", operation="ApplyConfigs", asset_key="elsewhere", build_key=None, status="Running"),
        ]
        return [op for op in running if filters.get("asset_key") in (None, op.asset_key)]

    client = NS(deployments=NS(list=deployments_list))
    platform = OdcPlatform(client)
    qa = EnvironmentRef(key="qa", name="QA")
    found = platform.running_operations_all(
        qa, [AssetRef(key="a", name="A"), AssetRef(key="b", name="B")], KINDS
    )
    assert {k: [op.key for op in ops] for k, ops in found.items()} == {"a": ["op-1"], "b": []}
    assert listed == [{"environment_key": "qa", "status": "Running", "operations": list(KINDS)}]
    per_asset = super(OdcPlatform, platform).running_operations_all(qa, [AssetRef(key="b", name="B")], KINDS)
    assert per_asset == {"b": []}
    assert listed[1] == {
        "environment_key": "qa",
        "asset_key": "b",
        "status": "Running",
        "operations": list(KINDS),
    }
