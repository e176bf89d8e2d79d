"""The run report as a file: ``odc-pipeline-report.json``, schema ``schema/run-report.schema.json``.

CI systems keep it as an artifact and other tools read it, so its shape is a contract:
``schema_version`` follows :data:`odc_pipeline.report.REPORT_SCHEMA_VERSION` and the JSON
Schema is committed next to the pipeline file's schema. The whole document passes through the
secret registry right before it is written, so no secret reaches the disk even if one slipped
into a message.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from odc_pipeline.redaction import SECRETS, SecretRegistry, redact_tree
from odc_pipeline.report import RunReport

DEFAULT_REPORT_FILE = "odc-pipeline-report.json"
REPORT_FILE_MODE = 0o644
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schema" / "run-report.schema.json"


def report_document(report: RunReport, *, secrets: SecretRegistry = SECRETS) -> dict[str, Any]:
    """The JSON-ready, redacted document for ``report``."""
    document = {"$schema": "https://odc-pipeline.dev/schema/run-report.schema.json", **report.to_dict()}
    return redact_tree(json.loads(json.dumps(document, default=str)), secrets)


def write_report(
    report: RunReport, path: str | os.PathLike[str], *, secrets: SecretRegistry = SECRETS
) -> Path:
    """Write atomically (a cancelled run must not leave half a JSON file behind), mode 0644."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(report_document(report, secrets=secrets), indent=2, sort_keys=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=".odc-report-", dir=target.parent)
    try:
        # mkstemp creates 0600; a later CI step (the runner user uploading artifacts) must read it.
        # The document is redacted, so readable-by-others is safe.
        os.fchmod(fd, REPORT_FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
