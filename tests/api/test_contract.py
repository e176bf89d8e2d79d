"""Contract tests against the vendored ODC OpenAPI specs (via ``odc_pipeline.openapi``).

* every request body the client can send validates against the operation's request schema
  (with both the product's validator and ``jsonschema``);
* every response model parses the specs' own examples and many schema-valid generated bodies.

The specs' OAS 3.0 quirks (``nullable`` next to ``allOf``, ``nullable`` on typed fields) are
normalized in exactly one place, ``openapi.to_json_schema``; nothing here patches schemas.
"""

from __future__ import annotations

import random
from typing import Any

import jsonschema
import pytest
from pydantic import BaseModel

from odc_pipeline import openapi
from odc_pipeline.api import models as m
from odc_pipeline.api.models import AssetConfigPatch, ConfigGroupPatch, ConfigValuePatch, LibraryConfigPatch

from .stub import Reply

UUID1 = "0f4c2a5e-0000-4000-8000-000000000001"
UUID2 = "0f4c2a5e-0000-4000-8000-000000000002"
UUID3 = "0f4c2a5e-0000-4000-8000-000000000003"
ENV = "/api/asset-configurations/v1/environments/{environmentKey}"

FULL_PATCH = AssetConfigPatch(
    key=UUID2,
    revision_baseline=3,
    settings=[
        ConfigValuePatch(key="s", value="v"),
        ConfigValuePatch(key="bin", value="QUJD", filename="a.bin"),
    ],
    timers=[ConfigGroupPatch(key="t", configs=[ConfigValuePatch(key="IsActive", value="False")])],
    integrations=[ConfigGroupPatch(key="i", configs=[ConfigValuePatch(key="URL", value="https://x")])],
    libraries=[
        LibraryConfigPatch(
            key="l",
            revision=2,
            settings=[ConfigValuePatch(key="ls", value="1")],
            system_configurations=[ConfigValuePatch(key="sc", value="2")],
            integrations=[ConfigGroupPatch(key="li", configs=[ConfigValuePatch(key="k", value="v")])],
        )
    ],
    system_configurations=[ConfigValuePatch(key="Email", value="a@b.c")],
)
AGENT_PATCH = FULL_PATCH.model_copy(update={"system_configurations": None})


def send_everything(client) -> None:
    """Call every client method that sends a body, with every optional field populated."""
    client.builds.start(UUID2, 3)
    client.builds.start(UUID2, 3, build_type="Debug")
    client.assets.set_tag(UUID2, 3, tag="1.2.3", release_notes="<p>n</p>", commit_message="c")
    client.assets.set_tag(UUID2, 3, tag="1.2.4")
    client.dependencies.start_deployment_analysis(UUID2, 3, UUID3)
    client.configurations.patch(UUID3, UUID2, FULL_PATCH)
    client.configurations.patch(UUID3, UUID2, AGENT_PATCH, agent=True)
    client.configurations.patch(UUID3, UUID2, AssetConfigPatch(settings=[ConfigValuePatch(key="only")]))
    client.configurations.patch_default_system(
        UUID3, m.EnvironmentConfigPatch(system_configurations=[ConfigValuePatch(key="k", value="v")])
    )
    for operation, extra in (
        ("Deploy", {"revision": 3, "build_key": UUID1}),
        ("ApplyConfigs", {"revision": 3}),
        ("Undeploy", {}),
    ):
        client.deployments.start(operation=operation, asset_key=UUID2, environment_key=UUID3, **extra)
    client.code_quality.start_analysis(UUID2, 3)
    client.external_libraries.start_generation(file_name="lib.zip", binary_uri="https://b/lib.zip")


def wire_success_answers(stub) -> None:
    stub.on("POST", "/api/builds/v1/build-operations", Reply(201, {"buildKey": UUID1, "isSuccessful": True}))
    stub.on("PATCH", f"/api/asset-repository/v1/assets/{UUID2}/revisions/3", Reply(204))
    stub.on("POST", "/api/dependency-management/v1/deployment-analyses", Reply(201, {"analysisKey": "k"}))
    for kind in ("applications", "agents"):
        stub.on(
            "PATCH",
            f"/api/asset-configurations/v1/environments/{UUID3}/{kind}/{UUID2}/configurations",
            Reply(204),
        )
    stub.on(
        "PATCH",
        f"/api/asset-configurations/v1/environments/{UUID3}/default-system-configurations",
        Reply(204),
    )
    stub.on(
        "POST", "/api/deployments/v1/deployment-operations", Reply(201, {"key": UUID1, "status": "Running"})
    )
    stub.on("POST", "/api/code-quality/v1/code-analyses", Reply(200, {"analysisKey": UUID1}))
    stub.on("POST", "/api/external-libraries/v1/generation-operations", Reply(201, {"operationKey": UUID1}))


def test_every_request_body_validates_against_its_spec(client, stub):
    wire_success_answers(stub)
    send_everything(client)
    sent = [s for s in stub.api_calls() if s.body]
    assert len(sent) == 14
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
