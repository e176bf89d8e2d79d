from __future__ import annotations

import json
from dataclasses import replace

from odc_pipeline.report import RunReport, StepResult, StepStatus
from odc_pipeline.reporting.outputs import OUTPUT_NAMES, derive_outputs

from .conftest import HOSTILE, SECRET, make_report


def test_outputs_from_a_successful_run(secrets) -> None:
    out = derive_outputs(make_report(), report_file="out/report.json", secrets=secrets)
    assert [n for n, _ in out.items()] == list(OUTPUT_NAMES)
    assert out.status == "succeeded"
    assert out.exit_code == "0"
    assert out.report_file == "out/report.json"
    assert out.impact_status == "NoIssuesFound"
    deployments = json.loads(out.deployments)
    assert [d["asset"] for d in deployments] == ["Orders API", "Orders Portal"]  # skipped library left out
    assert deployments[0]["revision-before"] == 11
    assert deployments[0]["revision-after"] == 12
    assert json.loads(out.build_keys) == {
        "Orders Core": "b-core",
        "Orders API": "b-api",
        "Orders Portal": "b-portal",
    }
    assert out.summary == "succeeded: QA: 2 deployed"


def test_outputs_are_single_line_redacted_and_valid_json_even_when_hostile(secrets) -> None:
    out = derive_outputs(make_report(failed=True, hostile=HOSTILE), secrets=secrets)
    for _, value in out.items():
        assert "\n" not in value
        assert "\r" not in value
        assert SECRET not in value
        assert "##vso[" not in value
    assert out.exit_code == "1"
    assert "failed" in out.summary
    assert "pwned" in out.summary
    json.loads(out.deployments)


def test_secrets_that_json_would_escape_are_redacted_in_the_json_outputs(secrets) -> None:
    # JSON escapes `"`, `\` and control characters; redacting the encoded text would miss such
    # a secret, so the values are redacted before they are encoded.
    secret = 'pa"ss\\wo\trd'
    secrets.register(secret)
    step = StepResult(
        asset=f"App {secret}", stage="deploy", status=StepStatus.SUCCEEDED, build_key=f"b-{secret}"
    )
    steps = (replace(step, stage="build"), step)
    out = derive_outputs(
        RunReport(status="succeeded", exit_code=0, target="QA", steps=steps), secrets=secrets
    )
    deployments = json.loads(out.deployments)
    assert deployments[0]["asset"] == "App ***"
    assert deployments[0]["build-key"] == "b-***"
    assert json.loads(out.build_keys) == {"App ***": "b-***"}
    for value in (out.deployments, out.build_keys):
        assert json.dumps(secret)[1:-1] not in value
