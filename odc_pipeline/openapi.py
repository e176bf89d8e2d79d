"""The official ODC OpenAPI specs as data: lookup, normalization and a small validator.

The specs (vendored under ``odc_pipeline/specs``, identical to ``shared/odc-openapi``) are the
contract. The simulator validates every request body against them at run time and the tests
validate every response and every request the client sends. Both need the same two things:

* **find the operation** for a concrete request (``GET /api/builds/v1/build-operations/<uuid>``);
* **a JSON Schema** for its body that means what the spec authors meant.

The second point is where the specs need help, and this module is the one place that gives it.
The specs are OpenAPI 3.0, whose ``nullable: true`` is not JSON Schema, and they write nullable
references as ``{"allOf": [{"$ref": ...}], "nullable": true}``. Under 3.0 semantics
``nullable`` has no effect next to ``allOf`` without ``type`` (openapi-schema-validator rejects
``page: null``), yet the servers do send ``null`` there and the descriptions say "Null when
there is no next page". :func:`to_json_schema` therefore rewrites:

* ``{type: T, nullable: true}`` to ``{type: [T, "null"]}`` (and adds ``None`` to an ``enum``);
* ``{allOf: [...], nullable: true}`` (and ``$ref`` + ``nullable``) to
  ``{anyOf: [{allOf: [...]}, {type: "null"}]}``;
* ``{allOf: [{$ref: X}], additionalProperties: false}`` (with no ``properties`` of its own) to
  ``{allOf: [{$ref: X}]}``: read literally, the sibling ``additionalProperties`` forbids every
  field of ``X``; the authors meant ``X``'s own ``additionalProperties: false``, which stays;
* ``#/components/schemas/X`` references to ``#/$defs/X`` of a self-contained draft 2020-12
  schema, so any validator (ours, or ``jsonschema`` in tests) resolves them.

OpenAPI-only annotations (``example``, ``readOnly``, ``deprecated``…) are kept: JSON Schema
ignores unknown keywords. ``format`` is checked for ``uuid``, ``date-time`` and ``date`` only,
the formats whose violation would make the real ODC answer 400.

The validator is deliberately small (stdlib only) because the simulator ships in the container
image, where test-only libraries are not installed; ``tests`` cross-check it with ``jsonschema``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any
from uuid import UUID

SPEC_PACKAGE = "odc_pipeline.specs"

SPEC_FILES: Mapping[str, str] = {
    "/api/asset-repository/v1": "asset-repository-api-v1.json",
    "/api/builds/v1": "build-operations-api-v1.json",
    "/api/dependency-management/v1": "dependency-management-api-v1.json",
    "/api/asset-configurations/v1": "asset-configurations-api-v1.json",
    "/api/deployments/v1": "deployments-api-v1.json",
    "/api/code-quality/v1": "code-quality-api-v1.json",
    "/api/external-libraries/v1": "external-library-generation-api-v1.json",
    "/api/portfolios/v2": "portfolio-api-v2.json",
    "/api/portfolios/v1": "portfolio-api-v1.json",
    "/api/native-mobile-builds/v1": "native-application-orchestration-service-api-v1.json",
    "/api/environment-configurations/v1": "environment-configurations-api-v1.json",
}
"""Base path (``servers[0].url`` without the host) → spec file."""

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


@cache
def load_spec(file_name: str) -> dict[str, Any]:
    """The parsed spec file (cached; callers must not mutate it)."""
    text = resources.files(SPEC_PACKAGE).joinpath(file_name).read_text(encoding="utf-8")
    return json.loads(text)


@dataclass(frozen=True)
class Operation:
    """One operation of one spec, found for a concrete request path."""

    base_path: str  # "/api/builds/v1"
    spec_file: str
    method: str  # upper case
    template: str  # spec path, e.g. "/build-operations/{operationKey}"
    path_params: Mapping[str, str]
    definition: Mapping[str, Any]

    @property
    def endpoint(self) -> str:
        """``"GET /api/builds/v1/build-operations/{operationKey}"``: a stable name for counting."""
        return f"{self.method} {self.base_path}{self.template}"

    @property
    def permissions(self) -> tuple[str, ...]:
        """The spec's ``x-os-permissions`` for this operation, if it names any."""
        raw = self.definition.get("x-os-permissions") or ()
        if isinstance(raw, str):
            return (raw,)
        return tuple(str(p) for p in raw)

    def request_schema(self) -> dict[str, Any] | None:
        """Cached: the simulator asks for it on every request (callers must not mutate it)."""
        return _cached_request_schema(self.spec_file, self.method, self.template)

    def response_schema(self, status: int) -> dict[str, Any] | None:
        """Cached like :meth:`request_schema`."""
        return _cached_response_schema(self.spec_file, self.method, self.template, status)


@cache
def _cached_request_schema(spec_file: str, method: str, template: str) -> dict[str, Any] | None:
    return request_schema(load_spec(spec_file), method, template)


@cache
def _cached_response_schema(spec_file: str, method: str, template: str, status: int) -> dict[str, Any] | None:
    return response_schema(load_spec(spec_file), method, template, status)


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join(
        f"(?P<{p[1:-1].replace('-', '_')}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts
    )
    return re.compile(f"^{pattern}$")


@cache
def _routes(file_name: str) -> tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...]:
    """(template, regex, methods) sorted so literal segments win over parameters."""
    spec = load_spec(file_name)
    routes = []
    for template, item in spec.get("paths", {}).items():
        methods = tuple(m.upper() for m in item if m in HTTP_METHODS)
        routes.append((template, _template_regex(template), methods))
    routes.sort(key=lambda r: (r[0].count("{"), -len(r[0])))
    return tuple(routes)


def find_operation(method: str, path: str) -> Operation | None:
    """The spec operation serving ``method path`` (path with the ``/api/<domain>/<v>`` prefix).

    Returns None when no spec describes it, which is how the simulator answers 404/405 for
    paths a client invented (for example ``/api/build-operations/v1/...``).
    """
    method = method.upper()
    path = path.split("?", 1)[0]
    for base, file_name in SPEC_FILES.items():
        if not (path == base or path.startswith(base + "/")):
            continue
        rest = path[len(base) :] or "/"
        for template, regex, methods in _routes(file_name):
            match = regex.match(rest)
            if match and method in methods:
                item = load_spec(file_name)["paths"][template]
                params = {}
                names = re.findall(r"\{([^}]+)\}", template)
                for name in names:
                    params[name] = match.group(name.replace("-", "_"))
                return Operation(base, file_name, method, template, params, item[method.lower()])
    return None


def path_exists(path: str) -> bool:
    """Whether any method is described for ``path`` (to tell 405 from 404)."""
    path = path.split("?", 1)[0]
    for base, file_name in SPEC_FILES.items():
        if path.startswith(base + "/"):
            rest = path[len(base) :]
            if any(regex.match(rest) for _, regex, _ in _routes(file_name)):
                return True
    return False


def iter_operations(file_name: str) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Every (METHOD, template, operation) of a spec, for contract tests that cover all routes."""
    for template, item in load_spec(file_name).get("paths", {}).items():
        for method, definition in item.items():
            if method in HTTP_METHODS:
                yield method.upper(), template, definition


# --------------------------------------------------------------------------- normalization


def to_json_schema(schema: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """A self-contained draft 2020-12 schema for ``schema`` (an OAS 3.0 schema of ``spec``)."""
    return self_contained(schema, spec.get("components", {}).get("schemas", {}), _convert)


def self_contained(
    schema: Mapping[str, Any], definitions: Mapping[str, Any], convert: Callable[[Any], Any]
) -> dict[str, Any]:
    """``convert(schema)`` with ``$defs`` holding ``convert`` of every definition it reaches.

    Shared by the ODC (OAS 3.0) and LifeTime (Swagger 2.0) readers; ``convert`` rewrites one
    dialect's schema, ``$ref`` pointers included, into JSON Schema that points at ``#/$defs/``.
    """
    root = convert(copy.deepcopy(dict(schema)))
    defs: dict[str, Any] = {}
    pending = _refs(root)
    while pending:  # only the referenced closure: keeps each schema small and fast to check
        name = pending.pop()
        if name in defs or name not in definitions:
            continue
        defs[name] = convert(copy.deepcopy(definitions[name]))
        pending |= _refs(defs[name])
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    root["$defs"] = defs
    return root


def _refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            found.add(ref.rsplit("/", 1)[-1])
        for value in node.values():
            found |= _refs(value)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def _convert(node: Any) -> Any:
    if isinstance(node, list):
        return [_convert(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/components/schemas/", "#/$defs/")
        elif key in ("properties", "patternProperties", "$defs"):
            out[key] = {name: _convert(sub) for name, sub in value.items()}
        else:
            out[key] = _convert(value)
    if "allOf" in out and out.get("additionalProperties") is False and "properties" not in out:
        del out["additionalProperties"]  # see module docstring: the $ref target carries it
    if out.pop("nullable", False):
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*types, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        elif "enum" in out:
            if None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            # {"allOf": [{"$ref": X}], "nullable": true} and friends: see module docstring.
            annotations = {k: out.pop(k) for k in list(out) if k in ("description", "title", "example")}
            out = {"anyOf": [out, {"type": "null"}], **annotations}
    return out


def _json_content(content: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    if not content:
        return None
    for media_type in ("application/json", "text/json", "application/*+json"):
        if media_type in content:
            return content[media_type]
    return None


def request_schema(spec: Mapping[str, Any], method: str, template: str) -> dict[str, Any] | None:
    """JSON Schema of the JSON request body, or None when the operation takes no JSON body."""
    operation = spec["paths"][template][method.lower()]
    media = _json_content(operation.get("requestBody", {}).get("content"))
    if media is None or "schema" not in media:
        return None
    return to_json_schema(media["schema"], spec)


def request_body_required(spec: Mapping[str, Any], method: str, template: str) -> bool:
    operation = spec["paths"][template][method.lower()]
    return bool(operation.get("requestBody", {}).get("required", False))


def response_schema(
    spec: Mapping[str, Any], method: str, template: str, status: int
) -> dict[str, Any] | None:
    """JSON Schema of the response body for ``status`` (falling back to ``default``)."""
    responses = spec["paths"][template][method.lower()].get("responses", {})
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if response is None and not 200 <= status < 300:
        response = responses.get("default")
    if response is None:
        return None
    media = _json_content(response.get("content"))
    if media is None or "schema" not in media:
        return None
    return to_json_schema(media["schema"], spec)


def declared_statuses(spec: Mapping[str, Any], method: str, template: str) -> tuple[str, ...]:
    return tuple(spec["paths"][template][method.lower()].get("responses", {}))


# --------------------------------------------------------------------------- validation


def validate(instance: Any, schema: Mapping[str, Any]) -> list[str]:
    """Every way ``instance`` violates ``schema`` (a schema from :func:`to_json_schema`).

    Each message starts with a JSON-pointer-like location (``$.settings[0].key``) so a 400 from
    the simulator tells the client exactly which field the spec refuses.
    """
    errors: list[str] = []
    _validate(instance, schema, schema.get("$defs", {}), "$", errors)
    return errors


_JSON_TYPES: Mapping[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
}


def _is_type(value: Any, type_name: str) -> bool:
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, int | float) and not isinstance(value, bool)
    expected = _JSON_TYPES.get(type_name)
    return expected is not None and isinstance(value, expected)


def _format_ok(value: str, fmt: str) -> bool:
    try:
        if fmt == "uuid":
            UUID(value)
            return len(value) in (32, 36)
        if fmt == "date-time":
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return "T" in value or " " in value
        if fmt == "date":
            date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _validate(value: Any, schema: Any, defs: Mapping[str, Any], where: str, errors: list[str]) -> None:
    if schema is True or schema is None:
        return
    if schema is False:
        errors.append(f"{where}: no value is allowed here")
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        _validate(value, defs.get(name, True), defs, where, errors)
    for sub in schema.get("allOf", ()):
        _validate(value, sub, defs, where, errors)
    if "anyOf" in schema and not any(_passes(value, sub, defs) for sub in schema["anyOf"]):
        errors.append(f"{where}: does not match any allowed shape")
    if "oneOf" in schema and sum(_passes(value, sub, defs) for sub in schema["oneOf"]) != 1:
        errors.append(f"{where}: must match exactly one allowed shape")
    if "type" in schema:
        types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
        if not any(_is_type(value, t) for t in types):
            errors.append(f"{where}: expected {' or '.join(types)}, got {_type_name(value)}")
            return
    if "enum" in schema and value not in schema["enum"]:
        allowed = ", ".join(json.dumps(v) for v in schema["enum"])
        errors.append(f"{where}: {json.dumps(value)} is not one of {allowed}")
    if isinstance(value, str):
        _validate_string(value, schema, where, errors)
    elif _is_type(value, "number"):
        if "minimum" in schema and value < schema["minimum"]:
            errors.append(f"{where}: must be >= {schema['minimum']}")
        if "maximum" in schema and value > schema["maximum"]:
            errors.append(f"{where}: must be <= {schema['maximum']}")
    elif isinstance(value, list):
        if "minItems" in schema and len(value) < schema["minItems"]:
            errors.append(f"{where}: needs at least {schema['minItems']} items")
        if "maxItems" in schema and len(value) > schema["maxItems"]:
            errors.append(f"{where}: allows at most {schema['maxItems']} items")
        if "items" in schema:
            for index, item in enumerate(value):
                _validate(item, schema["items"], defs, f"{where}[{index}]", errors)
    elif isinstance(value, dict):
        _validate_object(value, schema, defs, where, errors)


def _validate_string(value: str, schema: Mapping[str, Any], where: str, errors: list[str]) -> None:
    if "minLength" in schema and len(value) < schema["minLength"]:
        errors.append(f"{where}: must be at least {schema['minLength']} characters")
    if "maxLength" in schema and len(value) > schema["maxLength"]:
        errors.append(f"{where}: must be at most {schema['maxLength']} characters")
    if "pattern" in schema and not re.search(schema["pattern"], value):
        errors.append(f"{where}: does not match {schema['pattern']}")
    fmt = schema.get("format")
    if fmt in ("uuid", "date-time", "date") and not _format_ok(value, fmt):
        errors.append(f"{where}: {value!r} is not a valid {fmt}")


def _validate_object(
    value: dict[str, Any], schema: Mapping[str, Any], defs: Mapping[str, Any], where: str, errors: list[str]
) -> None:
    properties = schema.get("properties", {})
    for name in schema.get("required", ()):
        if name not in value:
            errors.append(f"{where}.{name}: is required")
    extra = schema.get("additionalProperties", True)
    for name, item in value.items():
        if name in properties:
            _validate(item, properties[name], defs, f"{where}.{name}", errors)
        elif extra is False:
            errors.append(f"{where}.{name}: unknown field (the spec allows no additional properties)")
        elif isinstance(extra, dict):
            _validate(item, extra, defs, f"{where}.{name}", errors)


def _passes(value: Any, schema: Any, defs: Mapping[str, Any]) -> bool:
    probe: list[str] = []
    _validate(value, schema, defs, "$", probe)
    return not probe


def _type_name(value: Any) -> str:
    for name in ("null", "boolean", "integer", "number", "string", "array", "object"):
        if _is_type(value, name):
            return name
    return type(value).__name__


# --------------------------------------------------------------------------- samples


def sample(schema: Mapping[str, Any], rng: Any, *, optional_rate: float = 0.6, depth: int = 0) -> Any:
    """A schema-valid instance of ``schema`` drawn with ``rng`` (a ``random.Random``).

    Contract tests feed these to the client's response models ("every model parses every
    schema-valid body") and cross-check :func:`validate` against ``jsonschema``.
    """
    return _sample(schema, schema.get("$defs", {}), rng, optional_rate, depth)


_SAMPLE_FORMATS: Mapping[str, Any] = {
    "uuid": lambda rng: str(UUID(int=rng.getrandbits(128), version=4)),
    "date-time": lambda rng: f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T10:{rng.randint(10, 59)}:00Z",
    "date": lambda rng: f"2026-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}",
    "uri": lambda rng: f"https://example.com/{rng.randint(1, 999)}",
}


def _sample(schema: Any, defs: Mapping[str, Any], rng: Any, rate: float, depth: int) -> Any:
    if schema is True or not schema:
        return None if depth > 6 else rng.choice(["x", 1, True])
    if "$ref" in schema:
        return _sample(defs[schema["$ref"].rsplit("/", 1)[-1]], defs, rng, rate, depth + 1)
    if "anyOf" in schema:
        options = schema["anyOf"]
        non_null = [o for o in options if o != {"type": "null"}]
        if non_null and (depth > 4 or rng.random() < 0.7):
            return _sample(rng.choice(non_null), defs, rng, rate, depth + 1)
        return None
    if "allOf" in schema:
        merged: dict[str, Any] = {}
        for sub in schema["allOf"]:
            value = _sample(sub, defs, rng, rate, depth + 1)
            if isinstance(value, dict):
                merged.update(value)
            else:
                return value
        return merged
    if "enum" in schema:
        return rng.choice(schema["enum"])
    types = schema.get("type", "object")
    type_name = rng.choice(types) if isinstance(types, list) else types
    if type_name == "null":
        return None
    if type_name == "object" or "properties" in schema:
        out = {}
        required = set(schema.get("required", ()))
        for name, sub in schema.get("properties", {}).items():
            if name in required or (depth < 5 and rng.random() < rate):
                out[name] = _sample(sub, defs, rng, rate, depth + 1)
        return out
    if type_name == "array":
        count = 0 if depth > 4 else rng.randint(0, 2)
        return [_sample(schema.get("items", {}), defs, rng, rate, depth + 1) for _ in range(count)]
    if type_name == "string":
        fmt = schema.get("format")
        if fmt in _SAMPLE_FORMATS:
            return _SAMPLE_FORMATS[fmt](rng)
        length = max(schema.get("minLength", 1), 1)
        text = "s" * length + str(rng.randint(0, 99))
        return text[: schema.get("maxLength", len(text))]
    if type_name == "integer":
        low = int(schema.get("minimum", 0))
        high = int(schema.get("maximum", low + 1000))
        return rng.randint(low, high)
    if type_name == "number":
        low = float(schema.get("minimum", 0))
        return low + rng.random() * 100
    if type_name == "boolean":
        return rng.random() < 0.5
    return None


# --------------------------------------------------------------------------- query parameters


@dataclass(frozen=True)
class QueryParameter:
    """A declared query parameter: its spec name and the JSON Schema of one value.

    ``is_array`` decides the wire form, for the client and the simulator alike: no spec sets
    ``style``/``explode``, so an array goes as OAS's default ``form`` + ``explode`` (one key per
    item) and a scalar goes once. A scalar that "takes several values, comma separated" (the
    portfolio's ``key`` and ``environmentKey``) is still a scalar: one key, values comma-joined.
    """

    name: str
    schema: Mapping[str, Any]  # of one value (the items' schema for an array)
    is_array: bool
    required: bool = False


@cache
def query_parameters(spec_file: str, method: str, template: str) -> Mapping[str, QueryParameter]:
    """Every query parameter of one operation (path-level ones included), by spec name."""
    return _declared(spec_file, method, template, "query")


@cache
def path_parameters(spec_file: str, method: str, template: str) -> Mapping[str, QueryParameter]:
    """The path parameters of one operation with their value schemas (``is_array`` False)."""
    return _declared(spec_file, method, template, "path")


def _declared(spec_file: str, method: str, template: str, where: str) -> Mapping[str, QueryParameter]:
    spec = load_spec(spec_file)
    item = spec["paths"][template]
    operation = item.get(method.lower(), {})
    found: dict[str, QueryParameter] = {}
    for listed in (*item.get("parameters", ()), *operation.get("parameters", ())):
        parameter = listed
        if "$ref" in listed:
            parameter = spec["components"]["parameters"][listed["$ref"].rsplit("/", 1)[-1]]
        if parameter.get("in") != where:
            continue
        schema = to_json_schema(parameter.get("schema", {}), spec)
        is_array = resolved(schema).get("type") == "array"
        if is_array:
            schema = {**to_json_schema(parameter["schema"].get("items", {}), spec), "$defs": schema["$defs"]}
        found[parameter["name"]] = QueryParameter(
            parameter["name"], schema, is_array, bool(parameter.get("required"))
        )
    return found


def resolved(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` itself, or the target of its single ``allOf``/``$ref`` (enums are written so)."""
    defs = schema.get("$defs", {})
    node: Mapping[str, Any] = schema
    for _ in range(4):
        if "$ref" in node:
            node = defs.get(node["$ref"].rsplit("/", 1)[-1], {})
        elif len(node.get("allOf", ())) == 1:
            node = node["allOf"][0]
        else:
            return node
    return node


def query_value(value: Any) -> str:
    """One value as query text: booleans lower-case, datetimes ISO 8601, the rest ``str``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def serialize_query(
    spec_file: str, method: str, template: str, params: Mapping[str, Any] | None
) -> list[tuple[str, str]] | None:
    """The query pairs for ``params`` as the operation's declared types allow (None dropped).

    The one place the client decides the wire form: repeated keys only for ``type: array``;
    several values for a scalar are joined with commas (the form its description names) and
    sent once. A name the spec does not declare is a bug in the client, so it raises.
    """
    if not params:
        return None
    declared = query_parameters(spec_file, method.upper(), template)
    pairs: list[tuple[str, str]] = []
    for name, value in params.items():
        parameter = declared.get(name)
        if parameter is None:
            raise ValueError(f"{method.upper()} {template} declares no query parameter {name!r}")
        many = isinstance(value, list | tuple | set | frozenset)
        values = [v for v in (value if many else [value]) if v is not None]
        if not values:
            continue
        if parameter.is_array:
            pairs.extend((name, query_value(v)) for v in values)
        else:
            pairs.append((name, ",".join(query_value(v) for v in values)))
    return pairs or None


def bind_value(raw: str, schema: Mapping[str, Any]) -> tuple[Any, str | None]:
    """Bind query/path text to its declared type as ASP.NET Core would: (value, error)."""
    node = resolved(schema)
    kind = node.get("type")
    if "enum" in node:
        for allowed in node["enum"]:
            if isinstance(allowed, str) and allowed.lower() == raw.lower():
                return allowed, None
        return raw, f"The value '{raw}' is not valid."
    if kind == "integer":
        if not re.fullmatch(r"[+-]?\d+", raw.strip()):
            return raw, f"The value '{raw}' is not valid."
        value = int(raw)
        bits = 64 if node.get("format") == "int64" else 32
        if not -(2 ** (bits - 1)) <= value < 2 ** (bits - 1):
            return raw, f"The value '{raw}' is not valid."
        return value, None
    if kind == "number":
        try:
            return float(raw), None
        except ValueError:
            return raw, f"The value '{raw}' is not valid."
    if kind == "boolean":
        if raw.strip().lower() not in ("true", "false"):
            return raw, f"The value '{raw}' is not valid."
        return raw.strip().lower() == "true", None
    fmt = node.get("format")
    if kind == "string" and fmt in ("uuid", "date-time", "date"):
        # DateTime binding accepts a bare date as midnight; anything unparsable is refused.
        ok = _format_ok(raw, "date") if fmt == "date-time" and len(raw) == 10 else _format_ok(raw, fmt)
        if not ok:
            return raw, f"The value '{raw}' is not valid."
    return raw, None
