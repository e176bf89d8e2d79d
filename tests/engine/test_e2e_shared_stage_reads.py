"""When the ``before-deploy: all`` gate opens, the first deploys share one read of the target.

Each deploy re-reads what is running and what runs in the target right before it decides; the
deploys the gate releases together read it in two calls instead of two each, and still wait
out an operation someone else started, as a deploy that read on its own would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from odc_pipeline.clock import ScaledClock
from odc_pipeline.simulator import parse_tenant, start_simulator

from .e2e import SCALE, Sim, pipeline_file, two_stage_tenant

ROOTS = ["Billing", "Catalog", "Orders"]
CONSUMER = "Storefront"  # uses Orders: deploys after it, reads on its own
OPERATIONS = "/api/deployments/v1/deployment-operations"


def tenant_text() -> str:
    def app(name: str, producers: list[str]) -> dict[str, object]:
        return {
            "name": name,
            "type": "WebApplication",
            "producers": producers,
            "revisions": [{"revision": 1}, {"revision": 2}],
            "builds": [{"revision": 1, "type": "Release"}, {"revision": 2, "type": "Release"}],
        }

    names = [*ROOTS, CONSUMER]
    return two_stage_tenant(
        "Shared Reads",
        [*(app(n, []) for n in ROOTS), app(CONSUMER, ["Orders"])],
        deployments={"Development": dict.fromkeys(names, 2), "QA": dict.fromkeys(names, 1)},
        durations={"deployment": 90, "analysis": 3},
    )


@contextmanager
def release(tmp: Path) -> Iterator[tuple[Sim, Path]]:
    clock = ScaledClock(SCALE)
    with start_simulator(parse_tenant(tenant_text()), clock=clock) as simulator:
        assets = ", ".join([*ROOTS, CONSUMER])
        text = (
            f"version: 1\ntarget: QA\nassets: [{assets}]\nstages:\n"
            "  build: {}\n  impact-analysis: {before-deploy: all}\n  deploy: {}\n"
        )
        yield Sim(simulator, clock, tmp), pipeline_file(tmp, text)


def test_the_first_deploys_read_the_target_in_two_calls(tmp_path: Path) -> None:
    with release(tmp_path) as (sim, pipeline):
        mark = sim.mark()
        run = sim.run(pipeline)
        assert run.report.exit_code == 0, run.report.error
        entries = sim.requests(mark)
        keys = {a.name: a.key for a in sim.simulator.state.assets.values()}
    first_post = min(i for i, e in enumerate(entries) if e.method == "POST" and e.path == OPERATIONS)
    gate = max(i for i, e in enumerate(entries) if "/deployment-analyses/" in e.path)
    between = entries[gate:first_post]
    stage_wide = [e for e in between if e.path == OPERATIONS and "assetKey" not in e.query]
    per_app = [e for e in between if e.path == OPERATIONS and "assetKey" in e.query]
    deployed = [e for e in between if e.path.endswith("/deployed-assets")]
    assert len(stage_wide) == 1
    assert "status=Running" in stage_wide[0].query
    assert per_app == []
    assert len(deployed) == 1
    assert all(keys[name] in deployed[0].query for name in ROOTS)  # one read for the three roots
    assert keys[CONSUMER] not in deployed[0].query
    # the consumer's deploy, a minute later, reads for itself
    later = [e for e in entries[first_post:] if e.path == OPERATIONS and keys[CONSUMER] in e.query]
    assert later


def test_an_operation_running_at_the_gate_is_waited_out_first(tmp_path: Path) -> None:
    with release(tmp_path) as (sim, pipeline):
        state = sim.simulator.state
        keys = {a.name: a.key for a in state.assets.values()}
        qa = next(s.key for s in state.stages if s.name == "QA")
        r1 = next(b.key for b in state.builds.values() if b.asset_key == keys["Catalog"] and b.revision == 1)
        with state.lock:  # someone else redeploys Catalog r1 in QA as the run starts
            foreign = state.start_deployment(
                "Deploy",
                asset_key=keys["Catalog"],
                environment_key=qa,
                revision=1,
                build_key=r1,
                client_id="someone-else",
            )
        run = sim.run(pipeline)
        assert run.report.exit_code == 0, run.report.error
        ours = [
            e
            for e in sim.requests(method="POST", contains=OPERATIONS)
            if isinstance(e.body, dict) and e.body.get("assetKey") == keys["Catalog"] and e.status < 300
        ]
        assert len(ours) == 1
        assert ours[0].time >= foreign.t0 + foreign.duration  # it waited for the foreign deploy
        waited = f"waiting for operation already running {foreign.key}"
        assert any(waited in text for text in run.reporter.texts("info"))
        catalog = [e for e in sim.requests(contains="/deployed-assets") if keys["Catalog"] in e.query]
        # resolve's read, the gate's shared read, and a read of its own once the wait was over
        assert len(catalog) == 3
        assert catalog[-1].time >= foreign.t0 + foreign.duration
        own = [
            e
            for e in sim.requests(method="GET", contains=OPERATIONS)
            if f"assetKey={keys['Catalog']}" in e.query
        ]
        assert own == []  # the shared read listed the foreign deploy: no read of Catalog's own
