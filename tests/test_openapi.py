"""The spec helpers every contract test and the simulator rely on."""

from __future__ import annotations

import json
import random
from pathlib import Path

import jsonschema
import pytest

from odc_pipeline import openapi, swagger

SHARED_SPECS = Path(__file__).resolve().parents[2] / "shared" / "odc-openapi"
VENDORED = Path(openapi.__file__).parent / "specs"


def _all_body_schemas():
    for base, file_name in openapi.SPEC_FILES.items():
        spec = openapi.load_spec(file_name)
        for method, template, definition in openapi.iter_operations(file_name):
            request = openapi.request_schema(spec, method, template)
            if request is not None:
                yield f"{method} {base}{template} request", request
            for status in definition.get("responses", {}):
                if status.isdigit():
                    response = openapi.response_schema(spec, method, template, int(status))
                    if response is not None:
                        yield f"{method} {base}{template} {status}", response


BODY_SCHEMAS = list(_all_body_schemas())


@pytest.mark.skipif(not SHARED_SPECS.is_dir(), reason="shared/odc-openapi is not beside this checkout")
def test_vendored_specs_are_identical_to_the_shared_contract():
    shared = {p.name: p.read_bytes() for p in SHARED_SPECS.glob("*.json")}
    lifetime = set(swagger.SPEC_FILES.values())  # the LifeTime documents: tests/test_swagger.py
    vendored = {p.name: p.read_bytes() for p in VENDORED.glob("*.json") if p.name not in lifetime}
    assert vendored == shared


def test_every_base_path_matches_its_spec_servers_url():
    for base, file_name in openapi.SPEC_FILES.items():
        url = openapi.load_spec(file_name)["servers"][0]["url"]
        assert url.endswith(base), (file_name, url)


def test_find_operation_maps_concrete_paths_to_templates():
    op = openapi.find_operation("GET", "/api/builds/v1/build-operations/0f4c2a5e-0000-4000-8000-000000000001")
    assert op is not None
    assert op.template == "/build-operations/{operationKey}"
    assert op.path_params == {"operationKey": "0f4c2a5e-0000-4000-8000-000000000001"}
    assert op.endpoint == "GET /api/builds/v1/build-operations/{operationKey}"
    assert "Asset management > Open" in " ".join(op.permissions)


def test_literal_segments_win_over_parameters():
    op = openapi.find_operation(
        "GET", "/api/asset-configurations/v1/environments/e/applications/a/revisions/deployed/configurations"
    )
    assert op is not None
    assert op.template.endswith("/revisions/deployed/configurations")


def test_unknown_paths_and_methods_are_not_found():
    assert openapi.find_operation("GET", "/api/build-operations/v1/build-operations") is None
    assert openapi.find_operation("DELETE", "/api/builds/v1/build-operations") is None
    assert openapi.path_exists("/api/builds/v1/build-operations")
    assert not openapi.path_exists("/api/builds/v1/nothing-here")


@pytest.mark.parametrize(("name", "schema"), BODY_SCHEMAS, ids=[n for n, _ in BODY_SCHEMAS])
def test_normalized_schemas_are_valid_draft_2020_12(name, schema):
    jsonschema.Draft202012Validator.check_schema(schema)


def test_nullable_allof_reference_accepts_null():
    spec = openapi.load_spec("deployments-api-v1.json")
    schema = openapi.response_schema(spec, "GET", "/deployment-operations", 200)
    assert schema is not None
    body = {"results": None, "page": None}
    assert openapi.validate(body, schema) == []
    assert jsonschema.Draft202012Validator(schema).is_valid(body)


def test_additional_properties_are_rejected_with_a_field_path():
    spec = openapi.load_spec("deployments-api-v1.json")
    schema = openapi.request_schema(spec, "POST", "/deployment-operations")
    assert schema is not None
    errors = openapi.validate({"operation": "Deploy", "labels": ["x"]}, schema)
    assert errors == ["$.labels: unknown field (the spec allows no additional properties)"]
    errors = openapi.validate({"operation": "Publish"}, schema)
    assert len(errors) == 1
    assert errors[0].startswith("$.operation:")


def test_formats_and_types_are_checked():
    spec = openapi.load_spec("build-operations-api-v1.json")
    schema = openapi.request_schema(spec, "POST", "/build-operations")
    assert schema is not None
    assert openapi.validate({"assetKey": "not-a-uuid"}, schema) == [
        "$.assetKey: 'not-a-uuid' is not a valid uuid"
    ]
    assert openapi.validate({"assetRevision": "3"}, schema) == [
        "$.assetRevision: expected integer, got string"
    ]
    assert openapi.validate({"assetRevision": True}, schema) == [
        "$.assetRevision: expected integer, got boolean"
    ]


@pytest.mark.parametrize(("name", "schema"), BODY_SCHEMAS, ids=[n for n, _ in BODY_SCHEMAS])
def test_samples_are_valid_and_our_validator_agrees_with_jsonschema(name, schema):
    """Samples must be valid for both validators; corrupted samples must fail for both."""
    reference = jsonschema.Draft202012Validator(schema)
    rng = random.Random(name)
    for _ in range(5):
        instance = openapi.sample(schema, rng)
        assert openapi.validate(instance, schema) == [], (name, json.dumps(instance))
        assert reference.is_valid(instance), (name, json.dumps(instance))
        if isinstance(instance, dict):
            corrupted = {**instance, "unexpectedFieldXyz": 1}
            ours = openapi.validate(corrupted, schema) == []
            assert ours == reference.is_valid(corrupted), (name, json.dumps(corrupted))
