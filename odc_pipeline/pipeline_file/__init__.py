"""The pipeline file: format (models), YAML loader with positions, validation, JSON Schema.

Public API (imported lazily, so that ``odc-pipeline --version`` does not pay for pydantic)::

    from odc_pipeline.pipeline_file import load_pipeline, PipelineFile, PipelineFileError

``load_pipeline(path, *, env=os.environ) -> PipelineFile`` raises ``PipelineFileError`` (a
``UsageError``, exit code 2) whose ``problems`` are ``Problem(file, line, column, field,
message)``. See :mod:`.models` for what the engine reads.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "load_pipeline": "loader",
    "parse_pipeline": "loader",
    "DEFAULT_FILE": "loader",
    "Problem": "problems",
    "PipelineFileError": "problems",
    "RevisionKind": "revisions",
    "RevisionSelector": "revisions",
    "parse_duration": "durations",
    "format_duration": "durations",
    "build_schema": "schema",
}
_MODEL_EXPORTS = (
    "STAGE_ORDER",
    "Asset",
    "AssetConfiguration",
    "AssetType",
    "BuildStage",
    "CodeQualityGate",
    "ConfigValue",
    "DeployStage",
    "FailOn",
    "HttpCheck",
    "ImpactAnalysisStage",
    "OnUnavailable",
    "PipelineFile",
    "Stages",
    "Timeouts",
    "ValueSource",
    "VerifyStage",
)
_EXPORTS.update(dict.fromkeys(_MODEL_EXPORTS, "models"))


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
