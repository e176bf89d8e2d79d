"""The LifeTime API v2 Swagger 2.0 document as data: lookup, parameter binding, body and response checks.

``specs/lifetime-api-v2.json`` is the official document (a byte-identical copy of
``shared/lifetime-openapi``; a test keeps it so). The LifeTime simulator binds every request with
this module and the tests check every request the LifeTime client sends and every answer the
simulator gives with it, so both sides are held to the same reading of the contract:

* :func:`find_operation` maps a concrete request (``GET /lifetimeapi/rest/v2/deployments/<key>``)
  to its operation. Swagger paths end with ``/`` (a few do not); real servers and the official
  scripts use both spellings, so the lookup ignores one trailing slash on either side.
* :meth:`Operation.bind_query` converts query strings by their declared Swagger type the way an
  ASP.NET model binder does, and no more leniently: booleans are ``true``/``false`` in any case
  (``True`` is what Python clients send), ``integer``/``int32`` must be an int32, ``date`` is
  ``YYYY-MM-DD``; a scalar parameter given twice is refused (arrays would follow
  ``collectionFormat``: ``csv`` by default, ``multi`` for repeated keys); required parameters must
  be present. Unknown parameters are ignored, as ASP.NET does (the official scripts send
  ``ContinueWithErrors`` and ``IncludeEnvStatus`` where the swagger declares neither).
* :func:`to_json_schema` turns Swagger 2.0 schemas into self-contained JSON Schema (draft 2020-12)
  in one place, and :func:`odc_pipeline.openapi.validate` (the ODC validator, stdlib only) checks
  instances against them. Request bodies accept ``null`` for members a .NET deserializer maps to
  reference types (strings, arrays, objects) and refuse it for value types (integers, booleans):
  the official tag script sends ``"MobileVersions": null``. Responses are checked *closed*: an
  answer may not carry a member the swagger does not declare, nor ``null``.

Where the swagger is wrong or silent, :data:`CORRECTIONS` says what we follow instead, and why.
One more reading is not a status: operations that produce ``text/plain`` (``POST /deployments/``)
declare their errors as the ``Exception`` object, which has no text form; errors are JSON
(``application/json``) on every operation.
The Properties API (``/PropertiesAPI/rest/v1``) has no public contract at all; its operations are
described in ``specs/lifetime-properties-api-v1.undoc.json``, a reconstruction from the official
scripts, looked up the same way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl

from odc_pipeline.openapi import self_contained, validate

SPEC_PACKAGE = "odc_pipeline.specs"
LIFETIME_BASE_PATH = "/lifetimeapi/rest/v2"
PROPERTIES_BASE_PATH = "/PropertiesAPI/rest/v1"

SPEC_FILES: Mapping[str, str] = {
    LIFETIME_BASE_PATH: "lifetime-api-v2.json",
    PROPERTIES_BASE_PATH: "lifetime-properties-api-v1.undoc.json",
}
"""Base path → document. The first is official; the second is our reconstruction (UNDOC)."""

HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
INT32 = (-(2**31), 2**31 - 1)
UNSET_DATE = "1900-01-01T00:00:00"
"""How LifeTime serialises a date that is not set (``StartedOn`` of a plan not started)."""

EXCEPTION_SCHEMA_REF = {"$ref": "#/definitions/Exception"}


@dataclass(frozen=True)
class Correction:
    """A response status the swagger does not declare that we answer (simulator) or accept (client)."""

    method: str
    template: str  # "*" = every operation
    status: str
    response: Mapping[str, Any]
    reason: str


CORRECTIONS: tuple[Correction, ...] = (
    Correction(
        "POST",
        "/deployments/",
        "201",
        {"description": "Deployment successfully created.", "schema": {"type": "string"}},
        "The swagger (and the v2 docs page) say 200, but outsystems-pipeline, used against real "
        "LifeTime servers since 2019, accepts only 201 (lifetime_vars.py:48), and the binary "
        "deploy endpoint declares 201. The simulator answers 201; the client accepts 200 and 201.",
    ),
    Correction(
        "*",
        "*",
        "400",
        {"description": "The request is invalid.", "schema": EXCEPTION_SCHEMA_REF},
        "Some operations declare no 400 (Applications_Versions_Get, Applications_Versions_Delete, "
        "Deployments_Get...), yet an ASP.NET server answers 400 when it cannot bind a parameter to "
        "its declared type or a request breaks a documented rule ('Running versions, or versions "
        "used in Deployments cannot be deleted.'). The answer uses the Exception shape.",
    ),
    Correction(
        "*",
        "*",
        "401",
        {"description": "The token is missing, invalid or revoked.", "schema": EXCEPTION_SCHEMA_REF},
        "The swagger declares no 401 (and no securityDefinitions) anywhere; a server still refuses "
        "a bad token. Its shape is UNDOC: the simulator answers the swagger's Exception shape by "
        "default and can rehearse an empty or HTML body (tenant undoc.unauthorized_body).",
    ),
)


@cache
def load_spec(file_name: str) -> dict[str, Any]:
    """The parsed document (cached; callers must not mutate it)."""
    text = resources.files(SPEC_PACKAGE).joinpath(file_name).read_text(encoding="utf-8")
    return json.loads(text)


class QueryError(ValueError):
    """Query strings the swagger's types refuse; ``problems`` holds one message per parameter."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Operation:
    """One operation of one document, found for a concrete request path."""

    base_path: str
    spec_file: str
    method: str  # upper case
    template: str  # as the document spells it, e.g. "/deployments/{DeploymentKey}/"
    path_params: Mapping[str, str]
    definition: Mapping[str, Any] = field(repr=False)

    @property
    def endpoint(self) -> str:
        """``"GET /lifetimeapi/rest/v2/deployments/{DeploymentKey}/"``: a stable name for counting."""
        return f"{self.method} {self.base_path}{self.template}"

    @property
    def operation_id(self) -> str:
        return str(self.definition.get("operationId", ""))

    def parameters(self, location: str) -> list[Mapping[str, Any]]:
        return [p for p in self.definition.get("parameters", ()) if p.get("in") == location]

    @property
    def body_parameter(self) -> Mapping[str, Any] | None:
        bodies = self.parameters("body")
        return bodies[0] if bodies else None

    @property
    def consumes(self) -> tuple[str, ...]:
        return tuple(self.definition.get("consumes", ("application/json",)))

    @property
    def produces(self) -> tuple[str, ...]:
        return tuple(self.definition.get("produces", ("application/json",)))

    @property
    def raw_text_body(self) -> bool:
        """The Properties API takes the value as raw text (UNDOC, see its document)."""
        body = self.body_parameter
        return bool(body and body.get("x-raw-text"))

    def bind_query(self, query: str | Iterable[tuple[str, str]]) -> dict[str, Any]:
        """The declared query parameters, converted; raises :class:`QueryError` if a type refuses one."""
        pairs = parse_qsl(query, keep_blank_values=True) if isinstance(query, str) else list(query)
        values: dict[str, Any] = {}
        problems: list[str] = []
        for param in self.parameters("query"):
            name = param["name"]
            given = [value for key, value in pairs if key == name]
            try:
                bound = _bind(param, given)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
                continue
            if bound is not _ABSENT:
                values[name] = bound
        if problems:
            raise QueryError(problems)
        return values

    def bind_path(self) -> dict[str, Any]:
        """Path parameters by declared type (all are strings in the LifeTime swagger)."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        for param in self.parameters("path"):
            raw = self.path_params.get(param["name"], "")
            try:
                values[param["name"]] = _convert_scalar(param, raw)
            except ValueError as exc:
                problems.append(f"{param['name']}: {exc}")
        if problems:
            raise QueryError(problems)
        return values

    def request_schema(self) -> dict[str, Any] | None:
        """JSON Schema of the body parameter (None when the operation takes none)."""
        return _cached_request_schema(self.spec_file, self.method, self.template)

    def body_required(self) -> bool:
        body = self.body_parameter
        return bool(body and body.get("required"))

    def responses(self) -> dict[str, Mapping[str, Any]]:
        """Declared responses plus :data:`CORRECTIONS` for this operation."""
        return _responses(self.spec_file, self.method, self.template)

    def response_schema(self, status: int) -> dict[str, Any] | None:
        """Closed JSON Schema of the answer for ``status`` (None = the answer has no body)."""
        return _cached_response_schema(self.spec_file, self.method, self.template, status)

    def validate_body(self, body: Any) -> list[str]:
        schema = self.request_schema()
        return [] if schema is None else validate(body, schema)

    def check_request(self, query: str, content_type: str, content: bytes) -> list[str]:
        """Every way a request departs from the document, for checking a client (stricter than a server).

        Besides what :meth:`bind_query` and the body schema refuse, a client is held to sending
        only declared query parameters: a server ignoring one is no reason to send it.
        """
        problems: list[str] = []
        declared = {p["name"] for p in self.parameters("query")}
        for name in dict.fromkeys(key for key, _ in parse_qsl(query, keep_blank_values=True)):
            if name not in declared:
                problems.append(f"query parameter {name!r} is not declared")
        try:
            self.bind_path()
            self.bind_query(query)
        except QueryError as exc:
            problems += exc.problems
        body = self.body_parameter
        if body is None:
            if content:
                problems.append("the operation takes no body")
            return problems
        if not content:
            return [*problems, "a body is required"] if body.get("required") else problems
        media = content_type.split(";", maxsplit=1)[0].strip().lower()
        if media not in self.consumes:
            problems.append(f"content type {media or '(none)'!r} is not one of {', '.join(self.consumes)}")
        if self.raw_text_body:
            return problems
        try:
            instance = json.loads(content)
        except ValueError:
            return [*problems, "the body is not JSON"]
        return problems + self.validate_body(instance)

    def check_response(self, status: int, content_type: str, content: bytes) -> list[str]:
        """Every way an answer departs from the document (status, media type, body)."""
        responses = self.responses()
        if str(status) not in responses:
            return [f"status {status} is not declared (declared: {', '.join(responses)})"]
        schema = self.response_schema(status)
        if schema is None:
            return [] if not content else [f"status {status} declares no body, got {content[:80]!r}"]
        media = content_type.split(";", maxsplit=1)[0].strip().lower()
        allowed = self.produces
        if status >= 400 and "application/json" not in allowed:
            allowed = (*allowed, "application/json")  # errors are JSON (module docstring)
        if media not in allowed:
            return [f"content type {media or '(none)'!r} is not one of {', '.join(allowed)}"]
        text = content.decode("utf-8", "replace")
        if media == "text/plain":
            instance: Any = text
        else:
            try:
                instance = json.loads(text)
            except ValueError:
                return [f"body is not JSON: {text[:80]!r}"]
        return validate(instance, schema)


_ABSENT = object()


def _bind(param: Mapping[str, Any], given: list[str]) -> Any:
    if not given:
        if param.get("required"):
            raise ValueError("is required")
        return _ABSENT
    if param.get("type") == "array":
        fmt = param.get("collectionFormat", "csv")
        if fmt == "multi":
            raw_items = given
        else:
            if len(given) > 1:
                raise ValueError(f"given {len(given)} times; collectionFormat {fmt} expects one value")
            separator = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}[fmt]
            raw_items = given[0].split(separator) if given[0] else []
        return [_convert_scalar(param.get("items", {"type": "string"}), item) for item in raw_items]
    if len(given) > 1:
        raise ValueError(f"given {len(given)} times; the swagger types it as one {param.get('type')}")
    return _convert_scalar(param, given[0])


_BOOLEAN = re.compile(r"^(true|false)$", re.IGNORECASE)
_INTEGER = re.compile(r"^[+-]?\d+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _convert_scalar(param: Mapping[str, Any], raw: str) -> Any:
    kind = param.get("type", "string")
    if kind == "boolean":
        if not _BOOLEAN.match(raw):
            raise ValueError(f"{raw!r} is not a boolean (true or false)")
        return raw.lower() == "true"
    if kind == "integer":
        if not _INTEGER.match(raw):
            raise ValueError(f"{raw!r} is not an integer")
        value = int(raw)
        if param.get("format", "int32") == "int32" and not INT32[0] <= value <= INT32[1]:
            raise ValueError(f"{raw!r} is outside the int32 range")
        return value
    if kind == "number":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a number") from None
    if param.get("format") == "date":
        if not _DATE.match(raw):
            raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD)")
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise ValueError(f"{raw!r} is not a date (YYYY-MM-DD)") from None
    if param.get("in") == "path" and raw == "":
        raise ValueError("is empty")
    if "enum" in param and raw not in param["enum"]:
        raise ValueError(f"{raw!r} is not one of {', '.join(param['enum'])}")
    return raw


# --------------------------------------------------------------------------- lookup


def _strip(path: str) -> str:
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", _strip(template))
    pattern = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{pattern}/?$")


@cache
def _routes(file_name: str) -> tuple[tuple[str, re.Pattern[str], tuple[str, ...]], ...]:
    """(template, regex, methods) sorted so that literal segments win over parameters."""
    routes = []
    for template, item in load_spec(file_name)["paths"].items():
        methods = tuple(m.upper() for m in item if m in HTTP_METHODS)
        routes.append((template, _template_regex(template), methods))
    routes.sort(key=lambda r: (r[0].count("{"), -len(r[0])))
    return tuple(routes)


def _split_base(path: str) -> tuple[str, str] | None:
    for base in SPEC_FILES:
        if path == base or path.startswith(base + "/"):
            return base, path[len(base) :] or "/"
    return None


def find_operation(method: str, path: str) -> Operation | None:
    """The operation serving ``method path`` (path with its base path, query ignored), or None."""
    method = method.upper()
    split = _split_base(path.split("?", 1)[0])
    if split is None:
        return None
    base, rest = split
    file_name = SPEC_FILES[base]
    for template, regex, methods in _routes(file_name):
        match = regex.match(rest)
        if match and method in methods:
            definition = load_spec(file_name)["paths"][template][method.lower()]
            return Operation(base, file_name, method, template, match.groupdict(), definition)
    return None


def path_exists(path: str) -> bool:
    """Whether any method is described for ``path`` (to tell 405 from 404)."""
    split = _split_base(path.split("?", 1)[0])
    if split is None:
        return False
    base, rest = split
    return any(regex.match(rest) for _, regex, _ in _routes(SPEC_FILES[base]))


def iter_operations(file_name: str = SPEC_FILES[LIFETIME_BASE_PATH]) -> Iterator[Operation]:
    """Every operation of a document (path parameters unbound), for tests that cover all routes."""
    base = next(b for b, f in SPEC_FILES.items() if f == file_name)
    for template, item in load_spec(file_name)["paths"].items():
        for method, definition in item.items():
            if method in HTTP_METHODS:
                yield Operation(base, file_name, method.upper(), template, {}, definition)


# --------------------------------------------------------------------------- schemas


def to_json_schema(
    schema: Mapping[str, Any], spec: Mapping[str, Any], *, mode: str = "response"
) -> dict[str, Any]:
    """A self-contained draft 2020-12 schema for a Swagger 2.0 ``schema`` of ``spec``.

    ``mode="response"`` closes every object (no undeclared members); ``mode="request"`` admits
    ``null`` for .NET reference-type members (see the module docstring).
    """
    return self_contained(schema, spec.get("definitions", {}), lambda node: _convert(node, mode))


_ANNOTATIONS = ("x-example", "x-nullable", "readOnly", "example")
_REFERENCE_TYPES = ("string", "array", "object")


def _convert(node: Any, mode: str) -> Any:
    if isinstance(node, list):
        return [_convert(item, mode) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in _ANNOTATIONS:
            continue
        if key == "$ref" and isinstance(value, str):
            out[key] = value.replace("#/definitions/", "#/$defs/")
        elif key == "properties":
            out[key] = {name: _member(_convert(sub, mode), mode) for name, sub in value.items()}
        else:
            out[key] = _convert(value, mode)
    if mode == "response" and "properties" in out:
        out.setdefault("additionalProperties", False)
    return out


def _member(schema: dict[str, Any], mode: str) -> dict[str, Any]:
    if mode != "request":
        return schema
    if schema.get("type") in _REFERENCE_TYPES:
        return {**schema, "type": [schema["type"], "null"]}
    if "$ref" in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    return schema


@cache
def _cached_request_schema(spec_file: str, method: str, template: str) -> dict[str, Any] | None:
    spec = load_spec(spec_file)
    for param in spec["paths"][template][method.lower()].get("parameters", ()):
        if param.get("in") == "body":
            return to_json_schema(param.get("schema", {}), spec, mode="request")
    return None


@cache
def _responses(spec_file: str, method: str, template: str) -> dict[str, Mapping[str, Any]]:
    spec = load_spec(spec_file)
    declared = dict(spec["paths"][template][method.lower()].get("responses", {}))
    for correction in CORRECTIONS:
        if correction.method in ("*", method) and correction.template in ("*", template):
            declared.setdefault(correction.status, correction.response)
    return declared


@cache
def _cached_response_schema(spec_file: str, method: str, template: str, status: int) -> dict[str, Any] | None:
    response = _responses(spec_file, method, template).get(str(status))
    if response is None or "schema" not in response:
        return None
    return to_json_schema(response["schema"], load_spec(spec_file), mode="response")


def exception_body(status: int, *errors: str) -> dict[str, Any]:
    """The swagger's ``Exception`` answer: ``{"Errors": [...], "StatusCode": status}``."""
    return {"Errors": list(errors), "StatusCode": status}
