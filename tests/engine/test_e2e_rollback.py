"""rollback-on-failure end to end: the whole stage goes back to what ran before the run.

Three apps with dependencies (Orders API <- Orders Portal, Orders Backoffice), deployed one at
a time so "the last one" is well defined. After every run the simulator's own state — what
runs in QA (revision and build) and the configuration values — is checked, not only the
report.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import requests

from odc_pipeline.api.models import AssetConfigPatch
from odc_pipeline.engine.options import RunOptions
from odc_pipeline.engine.plan import render_plan
from odc_pipeline.engine.report_file import SCHEMA_PATH
from odc_pipeline.errors import ExitCode
from odc_pipeline.report import StepStatus
from odc_pipeline.reporting.outputs import derive_outputs
from odc_pipeline.reporting.plain import text_table
from odc_pipeline.reporting.summary import render_summary

from .e2e import example_variant, simulated
from .fakes import RecordingReporter

APPS = ("Orders API", "Orders Portal", "Orders Backoffice")
PORTAL_VALUES = ("MaxItemsPerPage", "EnableBetaFeatures", "NightlySync.IsActive")


def outcomes(*specs: dict[str, Any], edit=None):
    def change(data):
        data["outcomes"] = [*data.get("outcomes", []), *specs]
        if edit is not None:
            edit(data)

    return change


def fail_deploy(asset: str, revision: int | None = None, times: int | None = 1) -> dict[str, Any]:
    spec: dict[str, Any] = {"operation": "deployment", "asset": asset, "stage": "QA", "result": "failure"}
    spec["message"] = f"Database upgrade failed in {asset}"
    if revision is not None:
        spec["revision"] = revision
    if times is not None:
        spec["times"] = times
    return spec


def release(tmp_path, *, rollback: bool = True):
    """The README demo, one deploy at a time (API, Portal, Backoffice), with or without rollback."""
    return example_variant(
        tmp_path,
        "multi-asset-release.yml",
        {
            "max-parallel: 4": "max-parallel: 1",
            "rollback-on-failure: true": f"rollback-on-failure: {'true' if rollback else 'false'}",
        },
    )


def running(sim, asset: str) -> tuple[int, str] | None:
    """(revision, build key) that QA runs, straight from the simulator's state."""
    state = sim.simulator.state
    entry = state.running[state.stage_by_name("QA").key].get(sim.asset_key(asset))
    return (entry.revision, entry.build_key) if entry else None


def qa(sim) -> dict[str, tuple[int, str] | None]:
    return {name: running(sim, name) for name in APPS}


def portal_values(sim) -> dict[str, dict[str, str | None]]:
    values = sim.simulator.state.config_values("QA", "Orders Portal")
    return {name: values[name] for name in (*PORTAL_VALUES, "ApiToken")}


def valid(run) -> dict[str, Any]:
    """The written report file, checked against the committed schema."""
    document = json.loads(run.report_path.read_text())
    jsonschema.validate(document, json.loads(SCHEMA_PATH.read_text()))
    return document


def rollback_of(report, asset: str):
    return next(a for a in report.rollback.assets if a.asset == asset)


def test_the_last_app_fails_and_the_two_already_moved_go_back_with_their_configuration(tmp_path):
    with simulated(tmp_path, outcomes(fail_deploy("Orders Backoffice"))) as sim:
        before = qa(sim)
        values_before = portal_values(sim)
        run = sim.run(release(tmp_path))
        report = run.report

        assert report.exit_code == ExitCode.FAILED
        assert report.status == "rolled-back"
        assert report.rollback.status == "complete"
        assert report.rollback.still_on_new == ()
        assert valid(run)["rollback"]["status"] == "complete"
        assert ("stage-end", "rollback:rolled-back") in run.reporter.events
        assert "Database upgrade failed in Orders Backoffice" in report.rollback.reason
        assert qa(sim) == before  # revisions *and* builds, from the simulator
        forward = {s.asset: s.status for s in report.steps_for("deploy")}
        assert forward["Orders API"] is StepStatus.SUCCEEDED
        assert forward["Orders Portal"] is StepStatus.SUCCEEDED
        assert forward["Orders Backoffice"] is StepStatus.FAILED
        outcome = {a.asset: a.outcome for a in report.rollback.assets}
        assert outcome == {
            "Orders API": "rolled-back",
            "Orders Portal": "rolled-back",
            "Orders Backoffice": "stayed-live",
        }

        # consumers before producers: Portal's rollback deploy, then API's; Backoffice kept r5
        bodies = sim.deploys()
        assert [(b["assetKey"], b["revision"]) for b in bodies] == [
            (sim.asset_key("Orders API"), 12),
            (sim.asset_key("Orders Portal"), 20),
            (sim.asset_key("Orders Backoffice"), 6),
            (sim.asset_key("Orders Portal"), 19),
            (sim.asset_key("Orders API"), 11),
        ]
        assert [b["buildKey"] for b in bodies[3:]] == [before["Orders Portal"][1], before["Orders API"][1]]

        # configuration: readable values back to what resolve read, applied; the secret said so
        patches = sim.patches()  # PATCHes that carry values (not the empty permission probe)
        assert len(patches) == 2  # Portal's forward values, then the values read at resolve
        assert patches[1].body["revisionBaseline"] == 19
        after = portal_values(sim)
        for name in PORTAL_VALUES:
            assert after[name] == values_before[name], name
            assert after[name]["value"] == after[name]["deployedValue"]  # applied, not pending
        assert after["ApiToken"]["deployedValue"] == "demo-token-for-the-simulator"
        portal = rollback_of(report, "Orders Portal")
        statuses = {v.name: v.status for v in portal.values}
        assert statuses == {
            "setting ApiToken": "unrestorable",
            "setting MaxItemsPerPage": "restored",
            "setting EnableBetaFeatures": "restored",
            "timer NightlySync.IsActive": "restored",
        }
        token = next(v for v in portal.values if v.name == "setting ApiToken")
        assert "secret ODC does not read back" in token.note
        assert "demo-token-for-the-simulator" not in run.report_path.read_text()

        # what CI shows: rollback column, the outcome per asset, the state of the stage
        summary = render_summary(report)
        top, table = summary.split("| Asset", 1)
        assert "**Rolled back**" in top
        assert "Still" not in top
        assert "incomplete" not in top
        header = table.splitlines()[0].split(" | ")
        assert header[-3:] == ["rollback", "Revision", "App |"]
        rows = {
            line.split(" | ")[0]: line.split(" | ")
            for line in table.splitlines()[2:]
            if line.startswith("| ")
        }
        assert rows["| Orders API"][-3:-1] == ["↩️ rolled-back", "r11"]  # back where it was
        assert rows["| Orders API"][header.index("deploy")] == "✅ succeeded"  # the forward outcome
        assert rows["| Orders Backoffice"][-3] == "⏺️ stayed-live"
        assert "setting ApiToken: unrestorable (a secret ODC does not read back" in summary
        plain = text_table(report, str)
        assert plain[0].split()[-2:] == ["rollback", "revision"]
        outputs = derive_outputs(report)
        assert outputs.status == "rolled-back"
        assert '"rollback":"rolled-back","revision-now":11' in outputs.deployments


def test_a_failed_http_check_rolls_back_every_app_the_run_moved(tmp_path):
    edit = outcomes({"operation": "app_http", "asset": "Orders Portal", "result": "failure"})
    with simulated(tmp_path, edit) as sim:
        before = qa(sim)
        values_before = portal_values(sim)
        run = sim.run(release(tmp_path))
        report = run.report
        assert report.exit_code == ExitCode.FAILED
        assert report.status == "rolled-back", report.error
        assert "verification failed" in report.rollback.reason
        assert {a.asset: a.outcome for a in report.rollback.assets} == dict.fromkeys(APPS, "rolled-back")
        assert qa(sim) == before
        rollback_deploys = [(b["assetKey"], b["revision"]) for b in sim.deploys()[3:]]
        # both consumers before their producer
        assert rollback_deploys[-1] == (sim.asset_key("Orders API"), 11)
        assert sorted(rollback_deploys[:2]) == sorted(
            [(sim.asset_key("Orders Portal"), 19), (sim.asset_key("Orders Backoffice"), 5)]
        )
        after = portal_values(sim)
        assert {n: after[n] for n in PORTAL_VALUES} == {n: values_before[n] for n in PORTAL_VALUES}


def test_a_rollback_deploy_that_fails_leaves_an_incomplete_rollback_and_the_rerun_goes_forward(tmp_path):
    edit = outcomes(fail_deploy("Orders Backoffice"), fail_deploy("Orders Portal", revision=19))
    with simulated(tmp_path, edit) as sim:
        before = qa(sim)
        run = sim.run(release(tmp_path))
        report = run.report
        assert report.exit_code == ExitCode.ROLLBACK_INCOMPLETE == 9
        assert report.status == "rollback-incomplete"
        assert report.rollback.status == "incomplete"
        assert valid(run)["exit_code"] == 9
        assert set(report.rollback.still_on_new) == {"Orders Portal", "Orders API"}
        portal, api = rollback_of(report, "Orders Portal"), rollback_of(report, "Orders API")
        assert portal.outcome == "failed"
        assert "rollback deploy" in portal.summary
        assert "FinishedWithError" in portal.summary
        assert api.outcome == "kept"  # Portal still runs r20, which needs API r12
        assert "Orders Portal" in api.summary
        assert rollback_of(report, "Orders Backoffice").outcome == "stayed-live"
        assert running(sim, "Orders Portal")[0] == 20
        assert running(sim, "Orders API")[0] == 12
        assert running(sim, "Orders Backoffice") == before["Orders Backoffice"]
        assert [b["revision"] for b in sim.deploys()] == [12, 20, 6, 19]  # API was not touched
        # the restored values were PATCHed but the deploy that would apply them failed
        assert {v.status for v in portal.values} == {"pending", "unrestorable"}
        assert portal_values(sim)["MaxItemsPerPage"] == {"value": "25", "deployedValue": "50"}

        summary = render_summary(report)
        top = summary.split("| Asset")[0]
        assert "Rollback incomplete" in top
        assert "Orders Portal" in top
        assert "Orders API" in top
        assert (
            "rollback incomplete, still on new: Orders API, Orders Portal" in derive_outputs(report).summary
        )

        # no special state: the next run brings the stage forward as the file says
        again = sim.run(release(tmp_path))
        assert again.report.exit_code == 0, again.report.error
        assert {n: running(sim, n)[0] for n in APPS} == {
            "Orders API": 12,
            "Orders Portal": 20,
            "Orders Backoffice": 6,
        }


class CancelOnRollback(RecordingReporter):
    """Presses Ctrl-C the moment the rollback starts its first rollback deploy."""

    def __init__(self, ctx_box: list[Any]) -> None:
        super().__init__()
        self.ctx_box = ctx_box

    def warning(self, message: str, *, asset: str | None = None) -> None:
        super().warning(message, asset=asset)
        if message.startswith("rolling back to r"):
            self.ctx_box[0].cancel.set()


def test_cancel_during_the_rollback_lists_what_is_in_flight_and_starts_nothing_more(tmp_path):
    with simulated(tmp_path, outcomes(fail_deploy("Orders Backoffice"))) as sim:
        ctx, _ = sim.context(release(tmp_path))
        reporter = CancelOnRollback([ctx])
        ctx.reporter = reporter
        run = sim.finish(ctx, reporter)
        report = run.report
        assert report.exit_code == ExitCode.CANCELLED
        assert report.status == "cancelled"
        assert report.rollback.status == "cancelled"
        assert valid(run)["rollback"]["assets"]
        portal = rollback_of(report, "Orders Portal")
        assert portal.outcome == "cancelled"
        assert {v.status for v in portal.values} == {"pending", "unrestorable"}  # PATCHed, not applied yet
        assert portal.operation_key in report.in_flight
        assert rollback_of(report, "Orders API").outcome == "not-started"
        assert set(report.rollback.still_on_new) >= {"Orders Portal", "Orders API"}
        # the rollback deploy keeps running in ODC; nothing after it was started
        operation = sim.simulator.state.deployment(portal.operation_key)
        assert (operation.operation, operation.revision) == ("Deploy", 19)
        assert [b["revision"] for b in sim.deploys()] == [12, 20, 6, 19]
        assert running(sim, "Orders API")[0] == 12
        assert portal_values(sim)["MaxItemsPerPage"] == {"value": "25", "deployedValue": "50"}
        assert any("still running in ODC" in w for w in reporter.texts("warning"))
        assert ("stage-end", "rollback:cancelled") in reporter.events


def test_without_rollback_nothing_is_rolled_back_and_the_summary_says_what_moved(tmp_path):
    with simulated(tmp_path, outcomes(fail_deploy("Orders Backoffice"))) as sim:
        before = qa(sim)
        run = sim.run(release(tmp_path, rollback=False))
        report = run.report
        assert report.exit_code == ExitCode.FAILED
        assert report.status == "failed"
        assert report.rollback is None
        assert valid(run)["rollback"] is None
        assert [b["revision"] for b in sim.deploys()] == [12, 20, 6]
        assert running(sim, "Orders API")[0] == 12
        assert running(sim, "Orders Portal")[0] == 20
        assert running(sim, "Orders Backoffice") == before["Orders Backoffice"]
        assert portal_values(sim)["MaxItemsPerPage"] == {"value": "50", "deployedValue": "50"}
        assert len(sim.patches()) == 1  # forward only: nothing set back
        top = render_summary(report).split("| Asset")[0]
        assert "moved by this run" in top
        assert "Orders API r11 → r12" in top
        assert "Orders Portal r19 → r20" in top
        moved_line = top.split("moved by this run")[1].split("\n")[0]
        assert "Orders Backoffice" not in moved_line.split("; not moved")[0]
        assert "not moved: Orders Backoffice (failed)" in moved_line


def _first_deploy(data):
    del data["deployments"]["QA"]["Orders Backoffice"]


HTTP_FAILS = {"operation": "app_http", "asset": "Orders Portal", "result": "failure"}


def test_an_app_that_did_not_run_before_is_undeployed(tmp_path):
    with simulated(tmp_path, outcomes(HTTP_FAILS, edit=_first_deploy)) as sim:
        assert running(sim, "Orders Backoffice") is None
        run = sim.run(release(tmp_path))
        assert run.report.status == "rolled-back", run.report.error
        backoffice = rollback_of(run.report, "Orders Backoffice")
        assert backoffice.outcome == "undeployed"
        assert (backoffice.revision_target, backoffice.revision_now) == (None, None)
        assert running(sim, "Orders Backoffice") is None
        (undeploy,) = sim.deploys(operation="Undeploy")
        # asset and stage only: no revision or build for an Undeploy
        assert sorted(undeploy) == ["assetKey", "environmentKey", "operation"]
        assert undeploy["assetKey"] == sim.asset_key("Orders Backoffice")


def test_an_undeploy_the_platform_refuses_leaves_the_rollback_incomplete(tmp_path):
    forward_ok = {"operation": "deployment", "asset": "Orders Backoffice", "revision": 6, "result": "success"}
    forward_ok["times"] = 1
    undeploy_fails = {
        "operation": "deployment",
        "asset": "Orders Backoffice",
        "result": "failure",
        "times": 1,
    }
    with simulated(tmp_path, outcomes(HTTP_FAILS, forward_ok, undeploy_fails, edit=_first_deploy)) as sim:
        run = sim.run(release(tmp_path))
        assert run.report.exit_code == ExitCode.ROLLBACK_INCOMPLETE
        backoffice = rollback_of(run.report, "Orders Backoffice")
        assert backoffice.outcome == "failed"
        assert "undeploy" in backoffice.summary
        assert run.report.rollback.still_on_new == ("Orders API", "Orders Backoffice")
        assert running(sim, "Orders Backoffice")[0] == 6
        assert rollback_of(run.report, "Orders API").outcome == "kept"  # Backoffice r6 still uses it
        assert running(sim, "Orders API")[0] == 12
        assert running(sim, "Orders Portal")[0] == 19


def test_plan_shows_what_each_app_would_roll_back_to(tmp_path):
    with simulated(tmp_path) as sim:
        before = qa(sim)
        run = sim.run(release(tmp_path), options=RunOptions(plan=True))
        assert run.report.exit_code == 0, run.report.error
        text = "\n".join(render_plan(run.report))
        assert f"on failure: would roll back to r11 (build {before['Orders API'][1]})" in text
        assert f"on failure: would roll back to r19 (build {before['Orders Portal'][1]})" in text
        assert "1 secret value(s) ODC does not read back would keep the new value" in text
        api = next(s for s in run.report.steps_for("deploy") if s.asset == "Orders API")
        assert api.details["rollback_to"] == {"revision": 11, "build_key": before["Orders API"][1]}
        assert sim.mutations() == []


def test_a_deploy_that_times_out_triggers_the_rollback_which_waits_for_it_first(tmp_path):
    slow = {"operation": "deployment", "asset": "Orders Backoffice", "stage": "QA", "revision": 6}
    slow.update(result="success", duration=900, times=1)  # past the 10 min deploy timeout
    with simulated(tmp_path, outcomes(slow)) as sim:
        before = qa(sim)
        pipeline = example_variant(
            tmp_path,
            "multi-asset-release.yml",
            {"max-parallel: 4": "max-parallel: 1", "deploy: 30m": "deploy: 10m"},
        )
        run = sim.run(pipeline)
        report = run.report
        assert report.exit_code == ExitCode.TIMEOUT
        assert report.status == "rolled-back", report.error
        forward = {s.asset: s.status for s in report.steps_for("deploy")}
        assert forward["Orders Backoffice"] is StepStatus.TIMED_OUT
        assert "timed out" in report.rollback.reason
        backoffice = rollback_of(report, "Orders Backoffice")
        # its own deploy finished during the rollback's wait (r6 ran), so r5 was redeployed
        assert backoffice.outcome == "rolled-back"
        assert qa(sim) == before
        assert [b["revision"] for b in sim.deploys()][:3] == [12, 20, 6]
        assert sorted(b["revision"] for b in sim.deploys()[3:]) == [5, 11, 19]
        assert sim.started()["Orders Backoffice"] == 2  # its r6 deploy was waited for, not repeated


class LoseRollbackAnswer(requests.Session):
    """Sends the POST, then loses the answer of the first Deploy of ``revision`` (a rollback)."""

    def __init__(self, revision: int) -> None:
        super().__init__()
        self.revision = revision
        self.lost: list[str] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        body = kwargs.get("json") or {}
        started = response.status_code < 300
        if method == "POST" and body.get("revision") == self.revision and started and not self.lost:
            self.lost.append(response.text)
            response.close()
            raise requests.ConnectionError("Connection reset by peer (answer lost after sending)")
        return response


def test_rollback_deploys_are_at_most_once_and_wait_out_rate_limits_like_forward_ones(tmp_path):
    session = LoseRollbackAnswer(revision=19)
    with simulated(tmp_path, outcomes(fail_deploy("Orders Backoffice"))) as sim:
        before = qa(sim)
        # the first rollback deploy meets two 429s, then its answer is lost
        sim.simulator.faults.add(
            "rate-limit-storm", path="/deployment-operations", method="POST", after=3, times=2
        )
        run = sim.run(release(tmp_path), session=session)
        assert run.report.status == "rolled-back", run.report.error
        assert session.lost, "no answer was lost: the test did not exercise recovery"
        assert len(sim.statuses(429)) == 2
        assert qa(sim) == before
        # the lost rollback deploy was found again, not started twice
        assert sim.started() == {"Orders API": 2, "Orders Portal": 2, "Orders Backoffice": 1}
        portal = rollback_of(run.report, "Orders Portal")
        assert portal.operation_key in session.lost[0]


def test_values_pending_before_the_run_are_pending_again_after_the_rollback(tmp_path):
    """Someone left MaxItemsPerPage=40 and EnableBetaFeatures=True pending in QA; the run's
    deploy applied them with its own values. Rolled back, QA runs the old values again and
    the pending ones wait for the next deploy, as before the run."""
    with simulated(tmp_path, outcomes(fail_deploy("Orders Backoffice"))) as sim:
        ctx, reporter = sim.context(release(tmp_path))
        state = sim.simulator.state
        qa_key = state.stage_by_name("QA").key
        portal_key = sim.asset_key("Orders Portal")
        deployed = ctx.client.configurations.get_deployed(qa_key, portal_key)
        key_of = {s.name: s.key for s in deployed.settings}
        ctx.client.configurations.patch(
            qa_key,
            portal_key,
            AssetConfigPatch.model_validate(
                {
                    "settings": [
                        {"key": key_of["MaxItemsPerPage"], "value": "40"},
                        {"key": key_of["EnableBetaFeatures"], "value": "True"},  # what the file wants
                    ]
                }
            ),
        )
        run = sim.finish(ctx, reporter)
        assert run.report.status == "rolled-back", run.report.error
        after = portal_values(sim)
        assert after["MaxItemsPerPage"] == {"value": "40", "deployedValue": "25"}
        assert after["EnableBetaFeatures"] == {"value": "True", "deployedValue": "False"}
        assert after["NightlySync.IsActive"] == {"value": "True", "deployedValue": "True"}
        notes = {v.name: (v.status, v.note) for v in rollback_of(run.report, "Orders Portal").values}
        assert notes["setting MaxItemsPerPage"] == (
            "restored",
            "back to 25; its pending value 40 set pending again",
        )
        assert notes["setting EnableBetaFeatures"] == (
            "restored",
            "back to False; its pending value True set pending again",
        )
