"""The README's reference table of the pipeline file, generated from the JSON Schema.

Hand-written references drift from the code; this one cannot, because a test compares the
README section with :func:`reference_markdown` (``odc-pipeline schema --markdown`` prints it).
"""

from __future__ import annotations

from typing import Any

from odc_pipeline.pipeline_file.durations import DURATION_PATTERN
from odc_pipeline.pipeline_file.revisions import REVISION_PATTERN


class _Walker:
    def __init__(self, schema: dict[str, Any]) -> None:
        self.defs: dict[str, Any] = schema.get("$defs", {})
        self.rows: list[tuple[str, str, str, str]] = []

    def deref(self, node: dict[str, Any]) -> dict[str, Any]:
        ref = node.get("$ref")
        if isinstance(ref, str):
            return self.defs[ref.rsplit("/", 1)[-1]]
        return node

    def options(self, node: dict[str, Any]) -> list[dict[str, Any]]:
        """The non-null alternatives of ``node``, dereferenced."""
        options = node.get("anyOf")
        if options is None:
            return [self.deref(node)]
        return [self.deref(option) for option in options if option.get("type") != "null"]

    def type_name(self, node: dict[str, Any]) -> str:
        if "const" in node:
            return f"`{node['const']}`"
        names = []
        for option in self.options(node):
            if option.get("pattern") == DURATION_PATTERN or (
                option.get("type") == "number" and "exclusiveMinimum" in option and names == ["duration"]
            ):
                name = "duration"
            elif option.get("pattern") == REVISION_PATTERN or (
                option.get("type") == "integer" and names == ["revision"]
            ):
                name = "revision"
            elif "enum" in option:
                name = " \\| ".join(f"`{value}`" for value in option["enum"])
            elif option.get("type") == "object":
                name = "mapping"
            elif option.get("type") == "array":
                name = "list"
            elif isinstance(option.get("type"), list):
                name = " \\| ".join(option["type"])
            else:
                name = str(option.get("type", "any"))
                if "minimum" in option and "maximum" in option:
                    name += f" {option['minimum']}–{option['maximum']}"
                elif "minimum" in option:
                    name += f" ≥ {option['minimum']}"
            if name not in names:
                names.append(name)
        return " or ".join(names)

    def walk(self, prefix: str, node: dict[str, Any]) -> None:
        model = self.deref(node)
        required = set(model.get("required", []))
        for key, prop in model.get("properties", {}).items():
            path = f"{prefix}{key}"
            self.add(path, prop, required=key in required)
            self.descend(path, prop)

    def descend(self, path: str, prop: dict[str, Any]) -> None:
        for option in self.options(prop):
            if "properties" in option:
                self.walk(f"{path}.", option)
            elif option.get("type") == "array" and isinstance(option.get("items"), dict):
                for item in self.options(option["items"]):
                    if "properties" in item:
                        self.walk(f"{path}[].", item)
            elif option.get("type") == "object" and isinstance(option.get("additionalProperties"), dict):
                inner = option["additionalProperties"]
                placeholder = "<asset>" if path.endswith("configure") else "<name>"
                if any("properties" in item for item in self.options(inner)):
                    self.walk(f"{path}.{placeholder}.", inner)
                elif any(item.get("type") == "object" for item in self.options(inner)):
                    self.add(
                        f"{path}.{placeholder}.<name>", inner.get("additionalProperties", {}), required=False
                    )
                else:
                    self.add(f"{path}.{placeholder}", inner, required=False)

    def add(self, path: str, prop: dict[str, Any], *, required: bool) -> None:
        if "default" in prop:
            default = prop["default"]
            default_text = (
                "–"
                if default is None
                else f"`{str(default).lower() if isinstance(default, bool) else default}`"
            )
        else:
            default_text = "required" if required else "–"
        description = " ".join(str(prop.get("description", "")).split()).replace("|", "\\|")
        self.rows.append((f"`{path}`", self.type_name(prop), default_text, description))


def reference_markdown(schema: dict[str, Any] | None = None) -> str:
    """A Markdown table: every key of the pipeline file with type, default and description."""
    if schema is None:
        from odc_pipeline.pipeline_file.schema import build_schema

        schema = build_schema()
    walker = _Walker(schema)
    walker.walk("", schema)
    lines = ["| key | type | default | description |", "|---|---|---|---|"]
    lines.extend("| " + " | ".join(row) + " |" for row in walker.rows)
    return "\n".join(lines) + "\n"
