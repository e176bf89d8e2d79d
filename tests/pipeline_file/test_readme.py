"""The README's pipeline file reference is generated from the schema and must stay current."""

from __future__ import annotations

import re

from odc_pipeline.pipeline_file.reference import reference_markdown
from odc_pipeline.pipeline_file.schema import build_schema

from .helpers import ROOT


def _section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"<!-- section:pipeline-file -->(.*)<!-- /section:pipeline-file -->", text, re.S)
    assert match, "README.md lost its pipeline-file section markers"
    return match.group(1)


def _schema_paths(node: dict, schema: dict, prefix: str = "") -> set[str]:
    """Every property path of the schema, spelled as in the reference."""
    paths: set[str] = set()

    def options(value: dict) -> list[dict]:
        items = value.get("anyOf", [value])
        return [schema["$defs"][i["$ref"].rsplit("/", 1)[1]] if "$ref" in i else i for i in items]

    for key, prop in node.get("properties", {}).items():
        path = prefix + key
        paths.add(path)
        for option in options(prop):
            if "properties" in option:
                paths |= _schema_paths(option, schema, path + ".")
            items = option.get("items")
            if isinstance(items, dict):
                for item in options(items):
                    paths |= _schema_paths(item, schema, path + "[].")
            extra = option.get("additionalProperties")
            if isinstance(extra, dict):
                # mappings keyed by asset under configure, by name elsewhere (LifeTime's modules)
                placeholder = "<asset>" if path.endswith("configure") else "<name>"
                for item in options(extra):
                    paths |= _schema_paths(item, schema, f"{path}.{placeholder}.")
    return paths


def test_readme_reference_is_the_generated_one() -> None:
    section = _section()
    match = re.search(r"<!-- reference:start -->\n(.*)<!-- reference:end -->", section, re.S)
    assert match, "the reference markers are missing from the README section"
    assert match.group(1) == reference_markdown(), (
        "run `odc-pipeline schema --markdown` and paste it into README.md"
    )


def test_every_schema_property_is_in_the_readme() -> None:
    schema = build_schema()
    section = _section()
    paths = _schema_paths(schema, schema)
    assert len(paths) > 40
    missing = sorted(path for path in paths if f"`{path}`" not in section)
    assert missing == []


def test_readme_example_is_a_valid_pipeline() -> None:
    from odc_pipeline.pipeline_file import parse_pipeline

    block = re.search(r"```yaml\n(.*?)```", _section(), re.S)
    assert block
    pipeline = parse_pipeline(block.group(1), env={"ORDERS_API_TOKEN": "readme-token"})
    assert pipeline.stages.enabled == ("configure", "build", "impact-analysis", "deploy", "verify")
