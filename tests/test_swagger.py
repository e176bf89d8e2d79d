"""The LifeTime swagger as data: the vendored copy, lookup, typed query binding, body and answer checks."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from odc_pipeline import swagger

SHARED = Path(__file__).resolve().parents[2] / "shared" / "lifetime-openapi" / "lifetime-api-v2.json"
VENDORED = Path(swagger.__file__).parent / "specs" / "lifetime-api-v2.json"
BASE = swagger.LIFETIME_BASE_PATH


@pytest.mark.skipif(not SHARED.is_file(), reason="shared/lifetime-openapi is not beside this checkout")
def test_vendored_swagger_is_identical_to_the_shared_contract():
    assert VENDORED.read_bytes() == SHARED.read_bytes()


def test_the_document_is_the_one_the_notes_describe():
    spec = swagger.load_spec("lifetime-api-v2.json")
    assert spec["swagger"] == "2.0"
    assert spec["basePath"] == BASE
    assert len(list(swagger.iter_operations())) == 86


@pytest.mark.parametrize("path", ["/deployments/k1/status", "/deployments/k1/status/"])
def test_paths_match_with_and_without_the_trailing_slash(path):
    op = swagger.find_operation("GET", BASE + path)
    assert op is not None
    assert op.template == "/deployments/{DeploymentKey}/status/"
    assert op.path_params == {"DeploymentKey": "k1"}
    assert op.operation_id == "Deployments_GetStatus"


def test_templates_without_a_trailing_slash_also_match_with_one():
    op = swagger.find_operation("PUT", BASE + "/environments/e1/maintenancemode/")
    assert op is not None
    assert op.template == "/environments/{EnvironmentKey}/maintenancemode"


def test_literal_segments_win_over_parameters():
    op = swagger.find_operation("GET", BASE + "/deployments/k1/status")
    assert op is not None
    assert op.template.endswith("/status/")
    command = swagger.find_operation("POST", BASE + "/deployments/k1/start")
    assert command is not None
    assert command.path_params == {"DeploymentKey": "k1", "Command": "start"}
    op = swagger.find_operation("GET", BASE + "/environments/dbconnection/permissionlevels")
    assert op is not None
    assert op.template == "/environments/dbconnection/permissionlevels/"


def test_unknown_paths_and_methods():
    assert swagger.find_operation("GET", "/lifetimeapi/rest/v1/environments") is None
    assert swagger.find_operation("PATCH", BASE + "/environments") is None
    assert swagger.path_exists(BASE + "/environments")
    assert not swagger.path_exists(BASE + "/nothing-here")


def test_properties_api_is_looked_up_in_its_own_document():
    path = "/PropertiesAPI/rest/v1/Modules/m/Environments/e/SiteProperties/p/Value"
    op = swagger.find_operation("PUT", path)
    assert op is not None
    assert op.path_params == {"ModuleKey": "m", "EnvironmentKey": "e", "SitePropertyKey": "p"}
    assert op.raw_text_body
    assert "201" in op.responses()


def _op(method: str, path: str) -> swagger.Operation:
    op = swagger.find_operation(method, BASE + path)
    assert op is not None
    return op


@pytest.mark.parametrize(("raw", "value"), [("True", True), ("false", False), ("TRUE", True)])
def test_booleans_bind_like_dotnet_bool_parse(raw, value):
    op = _op("GET", "/applications")
    assert op.bind_query(f"IncludeModules={raw}&IncludeEnvStatus=True") == {
        "IncludeModules": value,
        "IncludeEnvStatus": True,
    }


@pytest.mark.parametrize("raw", ["1", "yes", "", "truee"])
def test_other_boolean_spellings_are_refused(raw):
    with pytest.raises(swagger.QueryError, match=r"IncludeModules: .* is not a boolean"):
        _op("GET", "/applications").bind_query(f"IncludeModules={raw}")


def test_a_scalar_given_twice_is_refused():
    with pytest.raises(swagger.QueryError, match="given 2 times"):
        _op("GET", "/applications").bind_query("IncludeModules=True&IncludeModules=False")


def test_integers_are_int32_and_dates_are_iso():
    versions = _op("GET", "/applications/a/versions")
    assert versions.bind_query("MaximumVersionsToReturn=10") == {"MaximumVersionsToReturn": 10}
    for raw in ("ten", "1.5", str(2**31)):
        with pytest.raises(swagger.QueryError, match="MaximumVersionsToReturn"):
            versions.bind_query(f"MaximumVersionsToReturn={raw}")
    listing = _op("GET", "/deployments")
    assert listing.bind_query("MinDate=2026-11-30") == {"MinDate": date(2026, 11, 30)}
    for raw in ("30/11/2026", "2026-11-31", "2026-11-30T00:00:00"):
        with pytest.raises(swagger.QueryError, match="MinDate"):
            listing.bind_query(f"MinDate={raw}")


def test_required_query_parameters_and_unknown_ones():
    op = _op("GET", "/applications/a/versions/v")
    with pytest.raises(swagger.QueryError, match="IncludeModules: is required"):
        op.bind_query("")
    # IncludeEnvStatus is not declared here; like ASP.NET the binder ignores it
    assert op.bind_query("IncludeModules=True&IncludeEnvStatus=True") == {"IncludeModules": True}


def test_collection_formats_for_array_parameters():
    op = _op("GET", "/applications")
    csv = {"name": "Keys", "in": "query", "type": "array", "items": {"type": "integer"}}
    assert swagger._bind(csv, ["1,2"]) == [1, 2]
    with pytest.raises(ValueError, match="collectionFormat csv"):
        swagger._bind(csv, ["1", "2"])
    assert swagger._bind({**csv, "collectionFormat": "multi"}, ["1", "2"]) == [1, 2]
    assert swagger._bind({**csv, "collectionFormat": "pipes"}, ["3|4"]) == [3, 4]
    assert op.bind_query("") == {}


def test_request_bodies_accept_null_for_reference_types_only():
    tag = _op("POST", "/environments/e/applications/a/versions")
    assert tag.validate_body({"ChangeLog": "x", "Version": "1.0.1", "MobileVersions": None}) == []
    assert tag.validate_body({"ChangeLog": "x", "Version": 101}) == [
        "$.Version: expected string or null, got integer"
    ]
    mode = _op("PUT", "/environments/e/maintenancemode")
    errors = mode.validate_body({"IsMaintenanceModeEnabled": None})
    assert errors == ["$.IsMaintenanceModeEnabled: expected boolean, got null"]


def test_create_deployment_requires_all_four_members():
    op = _op("POST", "/deployments")
    errors = op.validate_body({"Notes": "n", "ApplicationOperations": []})
    assert "$.SourceEnvironmentKey: is required" in errors
    assert "$.TargetEnvironmentKey: is required" in errors
    ok = {
        "Notes": "n",
        "SourceEnvironmentKey": "s",
        "TargetEnvironmentKey": "t",
        "ApplicationOperations": [{"ApplicationVersionKey": "v", "DeploymentZoneKey": ""}],
    }
    assert op.validate_body(ok) == []


def test_answers_are_checked_closed_with_the_corrections():
    op = _op("POST", "/deployments")
    assert op.check_response(201, "text/plain; charset=utf-8", b"dce64ad4") == []
    assert op.check_response(200, "text/plain", b"dce64ad4") == []
    assert "not declared" in op.check_response(202, "text/plain", b"")[0]
    status = _op("GET", "/deployments/k/status")
    body = {"DeploymentStatus": "running", "Info": "", "DeploymentLog": []}
    assert status.check_response(200, "application/json", json.dumps(body).encode()) == []
    extra = json.dumps({**body, "Progress": 5}).encode()
    assert status.check_response(200, "application/json", extra) == [
        "$.Progress: unknown field (the spec allows no additional properties)"
    ]
    refused = json.dumps(swagger.exception_body(401, "no")).encode()
    assert status.check_response(401, "application/json", refused) == []
    command = _op("POST", "/deployments/k/start")
    assert command.check_response(202, "", b"") == []
    assert "declares no body" in command.check_response(202, "text/plain", b"ok")[0]


def test_every_converted_schema_is_valid_draft_2020_12():
    count = 0
    for op in swagger.iter_operations():
        schemas = [op.request_schema()] + [op.response_schema(int(s)) for s in op.responses() if s.isdigit()]
        for schema in filter(None, schemas):
            jsonschema.Draft202012Validator.check_schema(schema)
            count += 1
    assert count > 100


def test_every_correction_names_an_operation_and_a_reason():
    templates = {op.template for op in swagger.iter_operations()}
    for correction in swagger.CORRECTIONS:
        assert correction.template == "*" or correction.template in templates
        assert len(correction.reason) > 40


def test_requests_are_checked_strictly_for_clients():
    start = _op("POST", "/deployments/k/start")
    assert start.check_request("RedeployOutdated=True", "", b"") == []
    assert start.check_request("RedeployOutdated=True&ContinueWithErrors=True", "", b"") == [
        "query parameter 'ContinueWithErrors' is not declared"
    ]
    assert start.check_request("", "application/json", b"{}") == ["the operation takes no body"]
    create = _op("POST", "/deployments")
    assert create.check_request("", "", b"") == ["a body is required"]
    assert create.check_request("", "text/plain", b"{") == [
        "content type 'text/plain' is not one of application/json",
        "the body is not JSON",
    ]
    body = json.dumps(
        {"Notes": "", "SourceEnvironmentKey": "s", "TargetEnvironmentKey": "t", "ApplicationOperations": []}
    ).encode()
    assert create.check_request("", "application/json; charset=utf-8", body) == []
    versions = _op("GET", "/applications/a/versions/v")
    assert versions.check_request("IncludeModules=yes", "", b"") == [
        "IncludeModules: 'yes' is not a boolean (true or false)"
    ]
    put = swagger.find_operation("PUT", "/PropertiesAPI/rest/v1/Modules/m/Environments/e/Timers/t/Schedule/")
    assert put is not None
    assert put.check_request("", "application/json", b"04:15") == []  # raw text, as the scripts send it
