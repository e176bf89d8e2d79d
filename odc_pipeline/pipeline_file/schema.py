"""The pipeline file's JSON Schema (draft 2020-12), generated from the models.

Committed as ``schema/odc-pipeline.schema.json`` (a test keeps it identical to this output) so
that editors with the YAML language server autocomplete and check pipeline files, e.g. with
``# yaml-language-server: $schema=schema/odc-pipeline.schema.json`` at the top.

Pydantic's output is adjusted where the loader accepts more than a model field's type says
(an asset may be a bare name; a stage may be left empty) so that the schema never rejects a
file the loader accepts.
"""

from __future__ import annotations

import json
from typing import Any

from odc_pipeline.pipeline_file.durations import DURATION_PATTERN, format_duration

SCHEMA_ID = "https://odc-pipeline.dev/schema/odc-pipeline.schema.json"
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_ANNOTATIONS = ("description", "default", "title", "examples")


def _allow_null(schema: dict[str, Any]) -> dict[str, Any]:
    """``{anyOf: [X, null]}`` for X, unless it already allows null."""
    options = schema.get("anyOf")
    if options and any(option.get("type") == "null" for option in options):
        return schema
    rest = {key: value for key, value in schema.items() if key in _ANNOTATIONS}
    core = {key: value for key, value in schema.items() if key not in _ANNOTATIONS}
    return {"anyOf": [core, {"type": "null"}], **rest}


def _drop_titles(node: Any) -> None:
    """Pydantic's generated ``title``s ("Max-Parallel") add noise to editor hovers."""
    if isinstance(node, dict):
        properties = node.get("properties")
        if isinstance(properties, dict):
            for prop in properties.values():
                if isinstance(prop, dict):
                    prop.pop("title", None)
        for value in node.values():
            _drop_titles(value)
    elif isinstance(node, list):
        for value in node:
            _drop_titles(value)


def _human_duration_defaults(node: Any) -> None:
    """Durations default to seconds in Python; editors should show ``10s``, as users write."""
    if isinstance(node, dict):
        options = node.get("anyOf", [])
        is_duration = any(isinstance(o, dict) and o.get("pattern") == DURATION_PATTERN for o in options)
        if is_duration and isinstance(node.get("default"), int | float):
            node["default"] = format_duration(node["default"])
        for value in node.values():
            _human_duration_defaults(value)
    elif isinstance(node, list):
        for value in node:
            _human_duration_defaults(value)


def build_schema() -> dict[str, Any]:
    """The schema as a dict (``$schema``, ``$id``, descriptions, defaults)."""
    from odc_pipeline.pipeline_file.models import PipelineFile

    generated = PipelineFile.model_json_schema(by_alias=True, mode="validation")
    _drop_titles(generated)
    _human_duration_defaults(generated)
    defs = generated["$defs"]
    props = generated["properties"]

    props["assets"]["items"] = {
        "anyOf": [
            {"type": "string", "minLength": 1, "description": "Shorthand for {name: ...}"},
            props["assets"]["items"],
        ]
    }
    defs["Asset"]["properties"]["revision"]["default"] = "latest"
    for name in ("settings", "timers", "integrations"):
        prop = defs["AssetConfiguration"]["properties"][name]
        defs["AssetConfiguration"]["properties"][name] = _allow_null(prop)
    props["timeouts"] = _allow_null(props["timeouts"])
    defs["Stages"]["minProperties"] = 1

    schema: dict[str, Any] = {
        "$schema": SCHEMA_DIALECT,
        "$id": SCHEMA_ID,
        "title": "odc-pipeline pipeline file",
        "description": "Declarative pipeline for OutSystems Developer Cloud: "
        "configure → build → impact-analysis → deploy → verify.",
    }
    schema.update({key: value for key, value in generated.items() if key not in ("title", "description")})
    return schema


def schema_text() -> str:
    """The schema as committed: indented JSON with a trailing newline."""
    return json.dumps(build_schema(), indent=2, ensure_ascii=False) + "\n"
