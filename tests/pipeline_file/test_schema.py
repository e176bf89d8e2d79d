"""The JSON Schema: generated from the models, committed, valid draft 2020-12, complete."""

from __future__ import annotations

import json

import jsonschema
import pytest
import yaml
from pydantic import BaseModel

from odc_pipeline.cli import main
from odc_pipeline.pipeline_file import PipelineFile, PipelineFileError, parse_pipeline
from odc_pipeline.pipeline_file.schema import SCHEMA_DIALECT, build_schema, schema_text

from .helpers import MINIMAL, ROOT

COMMITTED = ROOT / "schema" / "odc-pipeline.schema.json"


def test_committed_schema_is_current() -> None:
    assert COMMITTED.read_text(encoding="utf-8") == schema_text(), (
        "schema/odc-pipeline.schema.json is stale: "
        "run `odc-pipeline schema -o schema/odc-pipeline.schema.json`"
    )


def test_schema_is_valid_draft_2020_12() -> None:
    schema = build_schema()
    assert schema["$schema"] == SCHEMA_DIALECT
    assert schema["$id"].startswith("https://")
    jsonschema.Draft202012Validator.check_schema(schema)
    assert set(schema["required"]) == {"version", "assets", "stages"}


def _models(model: type[BaseModel], seen: set[type[BaseModel]]) -> None:
    seen.add(model)
    for info in model.model_fields.values():
        for candidate in _types(info.annotation):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel) and candidate not in seen:
                _models(candidate, seen)


def _types(annotation: object) -> list[object]:
    from typing import get_args

    found = [annotation]
    for arg in get_args(annotation):
        found.extend(_types(arg))
    return found


def test_every_model_field_is_in_the_schema_with_a_description() -> None:
    schema = build_schema()
    models: set[type[BaseModel]] = set()
    _models(PipelineFile, models)
    for model in models:
        if model.__name__ in ("RevisionSelector", "ConfigValue"):
            continue  # written as text / scalars, described by their custom schemas
        node = schema if model is PipelineFile else schema["$defs"][model.__name__]
        for name, info in model.model_fields.items():
            prop = node["properties"][info.alias or name]
            assert prop.get("description"), f"{model.__name__}.{name} has no description"


def test_schema_command_prints_the_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema"]) == 0
    assert json.loads(capsys.readouterr().out) == build_schema()


def test_schema_command_writes_a_file(tmp_path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "schema.json"
    assert main(["schema", "-o", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == schema_text()


@pytest.mark.parametrize(
    "text",
    [
        MINIMAL + "  build:\n",  # an empty stage
        MINIMAL + "  configure:\n    Orders Portal:\n      settings:\n",
        MINIMAL + "timeouts:\n",
        MINIMAL + "timeouts: {build: 1h30m, deploy: 90}\n",
        MINIMAL.replace("  - Orders Portal", "  - {name: Orders Portal, revision: 7}"),
    ],
)
def test_schema_accepts_what_the_loader_accepts(text: str) -> None:
    parse_pipeline(text, env={})
    jsonschema.validate(yaml.safe_load(text), build_schema())


@pytest.mark.parametrize(
    "text",
    [
        MINIMAL + "  deploy-all: {}\n",
        MINIMAL.replace("deploy: {}", "deploy: {max-parallel: 51}"),
        MINIMAL + "timeouts: {build: soon}\n",
        MINIMAL.replace("version: 1", "version: 2"),
        MINIMAL.replace("  - Orders Portal", "  - {name: Orders Portal, revision: newest}"),
    ],
)
def test_schema_rejects_what_the_loader_rejects(text: str) -> None:
    with pytest.raises(PipelineFileError):
        parse_pipeline(text, env={})
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(yaml.safe_load(text), build_schema())
