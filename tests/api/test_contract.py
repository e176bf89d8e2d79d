"""Contract tests against the vendored ODC OpenAPI specs (via ``odc_pipeline.openapi``).

* every request body the client can send validates against the operation's request schema
  (with both the product's validator and ``jsonschema``);
* every response model parses the specs' own examples and many schema-valid generated bodies.

The specs' OAS 3.0 quirks (``nullable`` next to ``allOf``, ``nullable`` on typed fields) are
normalized in exactly one place, ``openapi.to_json_schema``; nothing here patches schemas.
"""

from __future__ import annotations

import random
import typing
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from odc_pipeline import openapi
from odc_pipeline.api import models as m

from .calls import (
    SENT_WITH_BODY,
    UUID1,
    UUID2,
    UUID3,
    answer_with_samples,
    read_everything,
    send_everything,
    wire_success_answers,
)


def test_every_request_body_validates_against_its_spec(client, stub):
    wire_success_answers(stub)
    send_everything(client)
    sent = [s for s in stub.api_calls() if s.body]
    assert len(sent) == SENT_WITH_BODY
    for seen in sent:
        operation = openapi.find_operation(seen.method, seen.path)
        assert operation is not None, f"{seen.method} {seen.path} is not in any spec"
        schema = operation.request_schema()
        assert schema is not None, operation.endpoint
        assert openapi.validate(seen.json, schema) == [], (operation.endpoint, seen.json)
        jsonschema.Draft202012Validator(schema).validate(seen.json)


def test_the_contract_check_would_catch_a_stray_field():
    operation = openapi.find_operation("PATCH", f"/api/asset-repository/v1/assets/{UUID2}/revisions/3")
    assert openapi.validate({"tag": "1.0.0", "labels": ["x"]}, operation.request_schema())


def test_call_count_keys_are_spec_endpoints(client, stub):
    wire_success_answers(stub)
    send_everything(client)
    for key in client.http.call_counts:
        if key.split(" ", 1)[1].startswith("/api/"):
            method, path = key.split(" ", 1)
            operation = openapi.find_operation(method, path)
            assert operation is not None
            assert operation.endpoint == key


# (model, spec file, method, template, status, unwrap) — unwrap: list key to parse items of.
RESPONSES: list[tuple[type[BaseModel], str, str, str, int, str | None]] = [
    (m.AssetRevision, "asset-repository-api-v1.json", "GET", "/assets/{assetKey}", 200, None),
    (
        m.AssetRevision,
        "asset-repository-api-v1.json",
        "GET",
        "/assets/{assetKey}/highest-tag-revision",
        200,
        None,
    ),
    (m.AssetRevision, "asset-repository-api-v1.json", "GET", "/assets/{assetKey}/latest-revision", 200, None),
    (
        m.AssetRevision,
        "asset-repository-api-v1.json",
        "GET",
        "/assets/{assetKey}/revisions/{revisionNumber}",
        200,
        None,
    ),
    (m.AssetRevision, "asset-repository-api-v1.json", "GET", "/assets/{assetKey}/revisions", 200, "results"),
    (m.AssetRevision, "asset-repository-api-v1.json", "GET", "/assets", 200, "results"),
    (m.BuildStarted, "build-operations-api-v1.json", "POST", "/build-operations", 201, None),
    (m.Build, "build-operations-api-v1.json", "GET", "/build-operations/{operationKey}", 200, None),
    (m.Build, "build-operations-api-v1.json", "GET", "/build-operations", 200, "builds"),
    (
        m.BuildLogMessage,
        "build-operations-api-v1.json",
        "GET",
        "/build-operations/{operationKey}/log-messages",
        200,
        "results",
    ),
    (
        m.GeneratedCodePackaging,
        "build-operations-api-v1.json",
        "POST",
        "/build-operations/{operationKey}/generated-code",
        201,
        None,
    ),
    (
        m.GeneratedCodePackage,
        "build-operations-api-v1.json",
        "GET",
        "/build-operations/{operationKey}/generated-code",
        200,
        None,
    ),
    (m.AnalysisStarted, "dependency-management-api-v1.json", "POST", "/deployment-analyses", 201, None),
    (
        m.DeploymentAnalysis,
        "dependency-management-api-v1.json",
        "GET",
        "/deployment-analyses/{analysisKey}",
        200,
        None,
    ),
    (
        m.AssetDependency,
        "dependency-management-api-v1.json",
        "GET",
        "/assets/{assetKey}/revisions/{revisionNumber}/producers",
        200,
        "results",
    ),
    (
        m.AssetDependency,
        "dependency-management-api-v1.json",
        "GET",
        "/assets/{assetKey}/consumers",
        200,
        "results",
    ),
    (
        m.AssetDependency,
        "dependency-management-api-v1.json",
        "GET",
        "/assets/{assetKey}/revisions/{revisionNumber}/consumers",
        200,
        "results",
    ),
    (
        m.AssetConfig,
        "asset-configurations-api-v1.json",
        "GET",
        "/environments/{environmentKey}/applications/{applicationKey}/revisions/deployed/configurations",
        200,
        None,
    ),
    (
        m.AssetConfig,
        "asset-configurations-api-v1.json",
        "GET",
        "/environments/{environmentKey}/agents/{agentKey}/revisions/{baselineRevision}/configurations",
        200,
        None,
    ),
    (
        m.AssetConfig,
        "asset-configurations-api-v1.json",
        "GET",
        "/environments/{environmentKey}/agents/{agentKey}/revisions/deployed/configurations",
        200,
        None,
    ),
    (
        m.AssetConfig,
        "asset-configurations-api-v1.json",
        "GET",
        "/environments/{environmentKey}/applications/{applicationKey}/revisions/{baselineRevision}/configurations",
        200,
        None,
    ),
    (
        m.EnvironmentConfig,
        "asset-configurations-api-v1.json",
        "GET",
        "/environments/{environmentKey}/default-system-configurations",
        200,
        None,
    ),
    (m.DeploymentOperation, "deployments-api-v1.json", "POST", "/deployment-operations", 201, None),
    (
        m.DeploymentOperation,
        "deployments-api-v1.json",
        "GET",
        "/deployment-operations/{operationKey}",
        200,
        None,
    ),
    (m.DeploymentOperation, "deployments-api-v1.json", "GET", "/deployment-operations", 200, "results"),
    (
        m.DeploymentMessage,
        "deployments-api-v1.json",
        "GET",
        "/deployment-operations/{operationKey}/messages",
        200,
        "results",
    ),
    (m.Environment, "portfolio-api-v2.json", "GET", "/environments", 200, "results"),
    (m.DeployedAsset, "portfolio-api-v2.json", "GET", "/deployed-assets", 200, "results"),
    (
        m.AnalysisSummary,
        "code-quality-api-v1.json",
        "GET",
        "/assets/{assetKey}/revisions/{revision}/analysis-summary",
        200,
        None,
    ),
    (m.CodeAnalysis, "code-quality-api-v1.json", "POST", "/code-analyses", 200, None),
    (m.CodeAnalysisStatus, "code-quality-api-v1.json", "GET", "/code-analyses/{analysisKey}", 200, None),
    (m.UploadUrls, "external-library-generation-api-v1.json", "GET", "/uploads", 200, None),
    (
        m.GenerationStarted,
        "external-library-generation-api-v1.json",
        "POST",
        "/generation-operations",
        201,
        None,
    ),
    (
        m.GenerationOperation,
        "external-library-generation-api-v1.json",
        "GET",
        "/generation-operations/{operationKey}",
        200,
        None,
    ),
    (
        m.GenerationOperation,
        "external-library-generation-api-v1.json",
        "GET",
        "/generation-operations",
        200,
        "results",
    ),
]
IDS = [f"{method} {template} -> {model.__name__}" for model, _, method, template, _, _ in RESPONSES]


def _items(body: Any, unwrap: str | None) -> list[Any]:
    if unwrap is None:
        return [body]
    return list((body or {}).get(unwrap) or [])


@pytest.mark.parametrize("case", RESPONSES, ids=IDS)
def test_response_models_parse_schema_valid_bodies(case):
    model, spec_file, method, template, status, unwrap = case
    spec = openapi.load_spec(spec_file)
    schema = openapi.response_schema(spec, method, template, status)
    assert schema is not None
    validator = jsonschema.Draft202012Validator(schema)
    rng = random.Random(f"{method} {template}")
    parsed = 0
    for optional_rate in (0.0, 1.0, *([0.6] * 40)):
        body = openapi.sample(schema, rng, optional_rate=optional_rate)
        validator.validate(body)
        for item in _items(body, unwrap):
            model.model_validate(item)
            parsed += 1
    assert parsed > 0


# The specs carry almost no examples (code-quality has a few; the rest are in the how-to pages
# quoted by odc-api-notes). Each documented body: (model, spec file, method, template, body).
DOCUMENTED_REQUESTS: list[tuple[type[BaseModel], str, str, str, dict[str, Any]]] = [
    (
        m.CodeAnalysisRequest,
        "code-quality-api-v1.json",
        "POST",
        "/code-analyses",
        {"assetKey": "12345678-1234-1234-1234-123456789abc", "assetRevision": 42},
    ),  # spec example
    (
        m.BuildRequest,
        "build-operations-api-v1.json",
        "POST",
        "/build-operations",
        {"buildType": "Release", "assetKey": UUID2, "assetRevision": 1},
    ),  # spec description example
    (
        m.DeploymentRequest,
        "deployments-api-v1.json",
        "POST",
        "/deployment-operations",
        {"operation": "Deploy", "assetKey": UUID2, "buildKey": UUID1, "revision": 1, "environmentKey": UUID3},
    ),
    (
        m.DeploymentRequest,
        "deployments-api-v1.json",
        "POST",
        "/deployment-operations",
        {"operation": "ApplyConfigs", "assetKey": UUID2, "environmentKey": UUID3},
    ),
    (
        m.GenerationRequest,
        "external-library-generation-api-v1.json",
        "POST",
        "/generation-operations",
        {"fileName": "string", "highCodeBinaryUri": "string"},
    ),
]


@pytest.mark.parametrize(("model", "spec_file", "method", "template", "body"), DOCUMENTED_REQUESTS)
def test_documented_request_examples_round_trip_through_the_request_models(
    model, spec_file, method, template, body
):
    schema = openapi.request_schema(openapi.load_spec(spec_file), method, template)
    assert openapi.validate(body, schema) == []
    assert model.model_validate(body).to_json() == body


DOCUMENTED_RESPONSES: list[tuple[type[BaseModel], dict[str, Any]]] = [
    (m.AnalysisStarted, {"analysisKey": "an-1"}),  # live 200 answer (odc-api-notes §8)
    (m.BuildStarted, {"buildKey": UUID1, "isSuccessful": False}),
    (
        m.ProblemDetails,
        {
            "type": None,
            "title": "Tag already in use",
            "status": 400,
            "errorCode": "OS-APPS-40021",
            "traceId": "00-abc-01",
            "extension": {"x": 1},
        },
    ),
    (
        m.AnalysisSummary,
        {
            "assetKey": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
            "assetRevision": 3,
            "analysisDate": "2026-01-02",
            "qualityScore": 88.5,
            "summary": {
                "categories": {
                    "security": {
                        "lowSeverity": 1,
                        "mediumSeverity": 0,
                        "highSeverity": 0,
                        "criticalSeverity": 0,
                    },
                    "performance": None,
                }
            },
        },
    ),
]


@pytest.mark.parametrize(("model", "body"), DOCUMENTED_RESPONSES)
def test_documented_response_examples_parse(model, body):
    parsed = model.model_validate(body)
    assert parsed.model_dump(mode="json", by_alias=True, exclude_unset=True) == body


def test_models_accept_fields_the_spec_does_not_list_yet():
    build = m.Build.model_validate(
        {
            "buildKey": UUID1,
            "assetKey": UUID2,
            "assetRevision": 1,
            "buildType": "Release",
            "brandNew": {"x": 1},
        }
    )
    assert build.model_extra == {"brandNew": {"x": 1}}


def test_every_response_the_client_reads_has_a_contract_case(client, stub):
    """A new read (or a forgotten one) must join RESPONSES, or its model is never checked."""
    answer_with_samples(stub)
    wire_success_answers(stub)
    read_everything(client)
    send_everything(client)
    covered = {(spec_file, method, template) for _, spec_file, method, template, _, _ in RESPONSES}
    missing = set()
    for seen in stub.api_calls():
        operation = openapi.find_operation(seen.method, seen.path)
        if seen.method == "PATCH":  # 204, no body to read
            continue
        if (operation.spec_file, operation.method, operation.template) not in covered:
            missing.add(operation.endpoint)
    assert missing == set()


def _resolve(schema: Any, defs: dict[str, Any]) -> dict[str, Any]:
    """The object schema behind $ref / allOf / a nullable anyOf, with merged properties."""
    if not isinstance(schema, dict):
        return {}
    if "$ref" in schema:
        return _resolve(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o != {"type": "null"}]
        return _resolve(options[0], defs) if options else {}
    if "allOf" in schema:
        merged: dict[str, Any] = {"properties": {}}
        for sub in schema["allOf"]:
            merged["properties"].update(_resolve(sub, defs).get("properties", {}))
        return merged
    types = schema.get("type")
    if types == "array" or (isinstance(types, list) and "array" in types):
        return _resolve(schema.get("items", {}), defs)
    return schema


def _nested_models(annotation: Any) -> list[type[BaseModel]]:
    found = []
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        found.append(annotation)
    for arg in typing.get_args(annotation):
        found += _nested_models(arg)
    return found


# One read model serves two spec shapes on purpose; each field it adds must be in the sibling.
SHARED_MODELS: dict[tuple[str, str], tuple[str, str]] = {
    ("AssetDependency", "isDirectProducer"): (
        "dependency-management-api-v1.json",
        "AssetDependencyWithProducerReferences",
    ),
    ("AssetDependency", "producers"): (
        "dependency-management-api-v1.json",
        "AssetDependencyWithProducerReferences",
    ),
    ("ConfigGroup", "pluginType"): ("asset-configurations-api-v1.json", "IntegrationResult"),
    ("ConfigGroup", "description"): ("asset-configurations-api-v1.json", "TimerResult"),
    ("AssetConfig", "systemConfigurations"): ("asset-configurations-api-v1.json", "ApplicationConfigResult"),
}


def _in_sibling(model: type[BaseModel], alias: str) -> bool:
    sibling = SHARED_MODELS.get((model.__name__, alias))
    if sibling is None:
        return False
    spec_file, schema_name = sibling
    return alias in openapi.load_spec(spec_file)["components"]["schemas"][schema_name]["properties"]


def _unknown_fields(
    model: type[BaseModel], schema: dict[str, Any], defs: dict[str, Any], where: str
) -> list[str]:
    properties = schema.get("properties", {})
    problems = []
    for name, field in model.model_fields.items():
        alias = field.alias or name
        if alias not in properties:
            if _in_sibling(model, alias):
                continue
            problems.append(f"{where}.{alias} ({model.__name__}.{name}) is not in the spec")
            continue
        for nested in _nested_models(field.annotation):
            if nested is m.ProblemDetails:  # RFC 7807 + extensions; its fields differ per spec (§2.1)
                continue
            problems += _unknown_fields(nested, _resolve(properties[alias], defs), defs, f"{where}.{alias}")
    return problems


@pytest.mark.parametrize("case", RESPONSES, ids=IDS)
def test_every_field_a_response_model_reads_exists_in_the_spec(case):
    """With extra="allow", a misspelled alias would read None forever instead of failing."""
    model, spec_file, method, template, status, unwrap = case
    schema = openapi.response_schema(openapi.load_spec(spec_file), method, template, status)
    defs = schema["$defs"]
    body = _resolve(schema, defs)
    if unwrap is not None:
        body = _resolve(body["properties"][unwrap], defs)
    assert _unknown_fields(model, body, defs, "$") == []


def test_the_field_check_catches_a_misspelled_alias():
    class Misspelled(m.Build):
        finished_at: str | None = None  # the spec calls it finishedDateTime

    schema = openapi.response_schema(
        openapi.load_spec("build-operations-api-v1.json"), "GET", "/build-operations/{operationKey}", 200
    )
    problems = _unknown_fields(Misspelled, _resolve(schema, schema["$defs"]), schema["$defs"], "$")
    assert problems == ["$.finishedAt (Misspelled.finished_at) is not in the spec"]


def _examples(node: Any) -> list[Any]:
    """Every ``example`` / ``examples[*].value`` under ``node`` (an operation's response)."""
    found: list[Any] = []
    if isinstance(node, dict):
        if "example" in node:
            found.append(node["example"])
        for value in (node.get("examples") or {}).values() if isinstance(node.get("examples"), dict) else ():
            found.append(value.get("value") if isinstance(value, dict) else value)
        for key, value in node.items():
            if key not in ("example", "examples"):
                found += _examples(value)
    elif isinstance(node, list):
        for item in node:
            found += _examples(item)
    return found


def test_the_example_scanner_finds_the_specs_examples():
    schemas = openapi.load_spec("code-quality-api-v1.json")["components"]["schemas"]
    assert _examples(schemas["AppsOverviewResponseV1"])[0]["assetRevision"] == 42


SPEC_RESPONSE_EXAMPLES = 0
"""Whole-body examples the vendored specs give for the responses the client reads (none today;
the bodies documented in the how-to pages are in DOCUMENTED_RESPONSES). A spec refresh that
adds some changes this count, and the test has already parsed them by then."""


def test_response_models_parse_the_specs_own_examples():
    parsed = 0
    for model, spec_file, method, template, status, unwrap in RESPONSES:
        spec = openapi.load_spec(spec_file)
        response = spec["paths"][template][method.lower()]["responses"][str(status)]
        validator = jsonschema.Draft202012Validator(openapi.response_schema(spec, method, template, status))
        for content in (response.get("content") or {}).values():
            examples = _examples({k: v for k, v in content.items() if k != "schema"})
            ref = content.get("schema", {}).get("$ref")
            target = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]] if ref else {}
            if "example" in target:  # an example on the referenced schema describes the whole body
                examples.append(target["example"])
            for example in examples:
                validator.validate(example)
                for item in _items(example, unwrap):
                    model.model_validate(item)
                parsed += 1
    assert parsed == SPEC_RESPONSE_EXAMPLES
