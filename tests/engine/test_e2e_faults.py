"""End to end under faults: dropped connections, lost answers, 429 storms, 503s, token expiry.

Every start POST carries a find-again hook, so a request that may or may not have reached ODC
is looked up instead of deploying twice (dropped and late answers: test_at_most_once.py).
The counts below come from the simulator's own state and request log, not from the engine's
view of what it did.
"""

from __future__ import annotations

from typing import Any

import requests

from odc_pipeline.simulator.auth import TOKEN_PATH

from .e2e import EXAMPLES, example_variant, pipeline_file, simulated

RELEASE = EXAMPLES / "multi-asset-release.yml"
APPS = {"Orders API": 1, "Orders Portal": 1, "Orders Backoffice": 1}


class LoseFirstAnswer(requests.Session):
    """Sends the request, then drops the answer of the first POST whose path contains ``path``.

    The simulator's drop-connection fault closes the socket *before* handling the request; this
    covers the other half: the operation started, but the client never heard about it.
    """

    def __init__(self, path: str, operation: str | None = None) -> None:
        super().__init__()
        self.path = path
        self.operation = operation
        self.lost: list[str] = []

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        response = super().request(method, url, *args, **kwargs)
        body = kwargs.get("json") or {}
        wanted = self.operation is None or body.get("operation") == self.operation
        if method == "POST" and self.path in url and wanted and not self.lost:
            self.lost.append(response.text)
            response.close()
            raise requests.ConnectionError("Connection reset by peer (answer lost after sending)")
        return response


def test_lost_answer_of_a_started_deploy_is_found_again_not_sent_twice(tmp_path):
    session = LoseFirstAnswer("/deployment-operations", operation="Deploy")
    with simulated(tmp_path) as sim:
        run = sim.run(RELEASE, session=session)
        assert run.report.exit_code == 0, run.report.error
        assert session.lost, "no answer was lost: the test did not exercise recovery"
        assert sim.started() == APPS  # the lost one was found again, not started a second time
        assert len(sim.deploys()) == 3


def test_lost_answer_of_an_applyconfigs_that_already_finished_is_found_again(tmp_path):
    def instant(data):
        data["durations"]["apply_configs"] = 0  # finished before the client looks again

    session = LoseFirstAnswer("/deployment-operations", operation="ApplyConfigs")
    with simulated(tmp_path, instant) as sim:
        run = sim.run(EXAMPLES / "configuration-only.yml", session=session)
        assert run.report.exit_code == 0, run.report.error
        assert session.lost
        assert sim.started("ApplyConfigs") == {"Orders Portal": 1}
        portal = next(s for s in run.report.steps_for("configure") if s.asset == "Orders Portal")
        assert portal.operation_key
        assert portal.operation_key in session.lost[0]


def test_lost_answer_of_a_build_that_already_finished_is_found_again(tmp_path):
    def quick(data):
        data["durations"]["build"] = 0

    session = LoseFirstAnswer("/build-operations")
    with simulated(tmp_path, quick) as sim:
        run = sim.run(RELEASE, session=session)
        assert run.report.exit_code == 0, run.report.error
        assert session.lost
        assert sim.builds_started() == {"Orders Backoffice": 1}


def test_dropped_analysis_and_code_analysis_posts_are_sent_again(tmp_path):
    stages = (
        "  build: {}\n  impact-analysis: {}\n  deploy: {}\n  verify: {code-quality: {max-critical: 100}}\n"
    )
    text = f"version: 1\ntarget: QA\nassets: [Orders API]\nstages:\n{stages}"
    with simulated(tmp_path) as sim:
        for path in ("/deployment-analyses", "/code-analyses"):
            sim.simulator.faults.add("drop-connection", path=path, method="POST", times=1)
        run = sim.run(pipeline_file(tmp_path, text))
        assert run.report.exit_code == 0, run.report.error
        assert run.report.impact_status == "WarningsFound"  # the re-sent analysis ran
        verify = run.report.steps_for("verify")[0]
        assert verify.analysis_key
        for path in ("/deployment-analyses", "/code-analyses"):
            posts = sim.requests(method="POST", contains=path)
            assert [e.status for e in posts] == [0, 201 if path != "/code-analyses" else 200]


def test_rate_limit_storm_and_503s_while_polling_do_not_fail_the_run(tmp_path):
    with simulated(tmp_path) as sim:
        sim.simulator.faults.add("rate-limit-storm", path="/deployment-operations/", method="GET", times=6)
        sim.simulator.faults.add("server-error", path="/build-operations/", method="GET", times=3)
        sim.simulator.faults.add("server-error", status=502, path="/deployment-analyses/", times=2)
        run = sim.run(RELEASE)
        assert run.report.exit_code == 0, run.report.error
        assert len(sim.statuses(429)) == 6
        assert len(sim.statuses(503)) == 3
        assert len(sim.statuses(502)) == 2
        assert sim.started() == APPS


def test_token_expiry_mid_run_costs_one_reauthentication(tmp_path):
    with simulated(tmp_path) as sim:
        sim.simulator.faults.add("token-expiry", after=20)
        run = sim.run(RELEASE)
        assert run.report.exit_code == 0, run.report.error
        tokens = sim.requests(method="POST", contains=TOKEN_PATH)
        assert len(tokens) == 2  # the first token, and exactly one renewal after the 401s
        # Work runs per asset in parallel, so every request already on its way with the old token
        # gets its 401 (one per concurrent request, never more); each is sent again, once, and
        # succeeds with the renewed token.
        refused = sim.statuses(401)
        assert 1 <= len(refused) <= 4
        log = sim.requests()
        for entry in refused:
            later = log[log.index(entry) + 1 :]
            again = [e for e in later if (e.method, e.path) == (entry.method, entry.path)]
            assert again, (entry.method, entry.path)
            assert 200 <= again[0].status < 300, (entry.method, entry.path)
        assert sim.started() == APPS


def test_slow_responses_slow_the_run_down_but_not_break_it(tmp_path):
    with simulated(tmp_path) as sim:
        sim.simulator.faults.add("slow-response", seconds=20, method="GET", times=10)
        sim.simulator.faults.add("slow-response", seconds=20, path="/deployment-operations", method="POST")
        run = sim.run(RELEASE)
        assert run.report.exit_code == 0, run.report.error
        assert sim.started() == APPS


def test_deploy_queue_time_counts_as_running_not_as_a_failure(tmp_path):
    """Deploys queued behind each other on one stage answer Running; the waits outlast it."""
    pipeline = example_variant(tmp_path, "multi-asset-release.yml", {"deploy: 30m": "deploy: 1h"})
    with simulated(tmp_path) as sim:
        run = sim.run(pipeline)
        assert run.report.exit_code == 0, run.report.error
        assert sim.started() == APPS
