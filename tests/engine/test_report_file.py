import json
from pathlib import Path

import jsonschema

from odc_pipeline.engine.report_file import SCHEMA_PATH, write_report
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.report import (
    REPORT_SCHEMA_VERSION,
    AssetSummary,
    Message,
    RunReport,
    StepResult,
    StepStatus,
)


def _report(secret: str) -> RunReport:
    return RunReport(
        status="failed",
        exit_code=1,
        target="QA",
        target_key="env-qa",
        assets=(AssetSummary(name="Orders API", key="a1", asset_type="WebApplication", revision_before=3),),
        steps=(
            StepResult(
                asset="Orders API",
                stage="deploy",
                status=StepStatus.ROLLED_BACK,
                summary=f"token {secret} leaked?",
                revision_before=3,
                revision_after=3,
                operation_key="op-1",
                duration_seconds=1.5,
                messages=(Message("error", f"value {secret}", "deployment-messages"),),
                details={"rollback_operation_key": "op-2"},
            ),
        ),
        api_calls={"GET /api/deployments/v1/deployment-operations/{operationKey}": 4},
        error="deploy failed",
    )


def test_written_report_validates_against_the_committed_schema(tmp_path: Path):
    path = write_report(_report("s3cr3t-value"), tmp_path / "out" / "report.json", secrets=SecretRegistry())
    document = json.loads(path.read_text())
    schema = json.loads(SCHEMA_PATH.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(document, schema)
    assert document["schema_version"] == REPORT_SCHEMA_VERSION
    assert document["steps"][0]["status"] == "rolled-back"


def test_report_file_never_contains_a_registered_secret(tmp_path: Path):
    registry = SecretRegistry()
    registry.register("s3cr3t-value")
    path = write_report(_report("s3cr3t-value"), tmp_path / "report.json", secrets=registry)
    text = path.read_text()
    assert "s3cr3t-value" not in text
    assert "***" in text


def test_schema_rejects_an_unknown_status():
    schema = json.loads(SCHEMA_PATH.read_text())
    document = {**json.loads(json.dumps(_report("x").to_dict())), "status": "sort-of"}
    validator = jsonschema.Draft202012Validator(schema)
    assert any("status" in list(e.path) for e in validator.iter_errors(document))


def test_secrets_are_masked_in_mapping_keys_and_escaped_spellings(tmp_path: Path):
    """Details are keyed by names from ODC and the file is JSON: neither may unmask a secret."""
    secret = 'k3y"with\\quote'
    registry = SecretRegistry()
    registry.register(secret)
    base = _report(secret)
    step = base.steps[0]
    leaky = type(step)(
        asset=step.asset, stage=step.stage, status=step.status, details={f"setting {secret}": secret}
    )
    report = type(base)(status="failed", exit_code=1, target="QA", steps=(leaky,))
    text = write_report(report, tmp_path / "report.json", secrets=registry).read_text()
    assert "k3y" not in text
    assert "***" in json.loads(text)["steps"][0]["details"].popitem()[0]
