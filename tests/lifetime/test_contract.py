"""Every request the LifeTime client can send is one the swagger describes; every model reads its answers.

``calls.call_everything`` is recorded on the stub and each request is checked against its
operation in the vendored swagger (or the Properties API's UNDOC document) with the same
module the simulator binds requests with (``odc_pipeline.swagger``): the operation exists for
that method and path, every query parameter is declared with exactly that spelling, given
once, and binds to its declared type; path parameters bind; the JSON body validates against
the body parameter's schema (with the product's validator and with ``jsonschema``); the
Properties API gets raw text; ``Accept`` and ``Content-Type`` are among the declared media types.
"""

from __future__ import annotations

import inspect
import random
import typing
from urllib.parse import urlencode

import jsonschema
import pytest
from pydantic import BaseModel

from odc_pipeline import openapi, swagger
from odc_pipeline.lifetime import models as m
from odc_pipeline.lifetime.errors import LifetimeErrorBody

from .calls import EXERCISED, answer_with_samples, call_everything
from .stub import Seen

DOMAINS = ("environments", "applications", "versions", "deployments", "properties")


@pytest.fixture
def recorded(lt, stub) -> list[Seen]:
    answer_with_samples(stub)
    call_everything(lt)
    return stub.lt_calls()


def problems_of(seen: Seen) -> list[str]:
    """What ``swagger.Operation.check_request`` (shared with the simulator's tests) finds, and more."""
    operation = swagger.find_operation(seen.method, seen.path)
    if operation is None:
        return [f"{seen.method} {seen.path} is in no document"]
    where = operation.endpoint
    content_type = seen.headers.get("Content-Type", "")
    problems = [
        f"{where}: {p}"
        for p in operation.check_request(urlencode(seen.query), content_type, seen.body or b"")
    ]
    names = [name for name, _ in seen.query]
    problems += [f"{where}: ?{n} sent {names.count(n)} times" for n in set(names) if names.count(n) > 1]
    accept = [media.strip() for media in seen.headers.get("Accept", "").split(",")]
    problems += [f"{where}: Accept {a!r} not produced" for a in accept if a not in operation.produces]
    if seen.body and operation.raw_text_body and seen.body.startswith(b'"'):
        problems.append(f"{where}: the raw value was JSON-encoded")
    elif seen.body and operation.body_parameter is not None and not operation.raw_text_body:
        validator = jsonschema.Draft202012Validator(operation.request_schema())
        problems += [f"{where}: jsonschema: {e.message}" for e in validator.iter_errors(seen.json)]
    return problems


def test_every_request_matches_its_operation(recorded):
    assert len(recorded) >= 50
    problems = [p for seen in recorded for p in problems_of(seen)]
    assert problems == []


def test_the_check_catches_what_a_strict_server_would_refuse():
    base = swagger.LIFETIME_BASE_PATH
    json_accept = {"Accept": "application/json"}
    pythonic = Seen(
        "GET", f"{base}/applications/", [("IncludeModules", "False"), ("X", "1")], json_accept, None
    )
    assert problems_of(pythonic) == [f"GET {base}/applications/: query parameter 'X' is not declared"]
    repeated = Seen("GET", f"{base}/deployments/", [("MinDate", "2026-01-01")] * 2, json_accept, None)
    assert any("sent 2 times" in p for p in problems_of(repeated))
    bad_date = Seen("GET", f"{base}/deployments/", [("MinDate", "2026-01-01T00:00:00")], json_accept, None)
    assert any("MinDate" in p for p in problems_of(bad_date))
    stray = Seen(
        "POST",
        f"{base}/deployments/",
        [],
        {"Accept": "text/plain", "Content-Type": "application/json"},
        b'{"Notes": "n", "SourceEnvironmentKey": "a", "TargetEnvironmentKey": "b"}',
    )
    assert any("ApplicationOperations" in p for p in problems_of(stray))


def test_every_request_covers_the_operations_a_pipeline_needs(recorded):
    endpoints = {swagger.find_operation(s.method, s.path).endpoint for s in recorded}
    base = swagger.LIFETIME_BASE_PATH
    needed = {
        f"GET {base}/environments/",
        f"GET {base}/environments/{{EnvironmentKey}}/deploymentzones/",
        f"GET {base}/applications/{{ApplicationKey}}/",
        f"GET {base}/environments/{{EnvironmentKey}}/applications/{{ApplicationKey}}/",
        f"GET {base}/applications/{{ApplicationKey}}/versions/",
        f"POST {base}/environments/{{EnvironmentKey}}/applications/{{ApplicationKey}}/versions/",
        f"POST {base}/deployments/",
        f"GET {base}/deployments/{{DeploymentKey}}/",
        f"POST {base}/deployments/{{DeploymentKey}}/{{Command}}/",
        f"GET {base}/deployments/{{DeploymentKey}}/status/",
        f"DELETE {base}/deployments/{{DeploymentKey}}/",
        f"GET {base}/deployments/",
    }
    assert needed <= endpoints
    properties = {e for e in endpoints if e.startswith(f"PUT {swagger.PROPERTIES_BASE_PATH}/")}
    assert len(properties) == 4  # site property, REST URL, SOAP URL, timer schedule


def test_call_count_keys_are_document_endpoints(lt, recorded):
    for key, count in lt.http.call_counts.items():
        method, template = key.split(" ", 1)
        concrete = template.replace("{Command}", "start")
        operation = swagger.find_operation(method, concrete)
        assert operation is not None, key
        assert operation.endpoint == key
        assert count >= 1


def test_every_public_method_is_exercised(lt):
    missing = []
    for domain in DOMAINS:
        api = getattr(lt, domain)
        for name, _member in inspect.getmembers(type(api), inspect.isfunction):
            if not name.startswith("_") and (domain, name) not in EXERCISED:
                missing.append(f"{domain}.{name}")
    assert missing == []


# (model, document, method, template, status, unwrap) — unwrap: the answer is a list of the model.
LT_DOC = "lifetime-api-v2.json"
RESPONSES: list[tuple[type[BaseModel], str, str, str, int, bool]] = [
    (m.Environment, LT_DOC, "GET", "/environments/", 200, True),
    (m.Environment, LT_DOC, "GET", "/environments/{EnvironmentKey}/", 200, False),
    (m.DeploymentZone, LT_DOC, "GET", "/environments/{EnvironmentKey}/deploymentzones/", 200, True),
    (m.Application, LT_DOC, "GET", "/applications/", 200, True),
    (m.Application, LT_DOC, "GET", "/applications/{ApplicationKey}/", 200, False),
    (m.Application, LT_DOC, "GET", "/environments/{EnvironmentKey}/applications/", 200, True),
    (
        m.Application,
        LT_DOC,
        "GET",
        "/environments/{EnvironmentKey}/applications/{ApplicationKey}/",
        200,
        False,
    ),
    (m.ApplicationVersion, LT_DOC, "GET", "/applications/{ApplicationKey}/versions/", 200, True),
    (
        m.ApplicationVersion,
        LT_DOC,
        "GET",
        "/applications/{ApplicationKey}/versions/{VersionKey}/",
        200,
        False,
    ),
    (
        m.VersionCreated,
        LT_DOC,
        "POST",
        "/environments/{EnvironmentKey}/applications/{ApplicationKey}/versions/",
        201,
        False,
    ),
    (m.Deployment, LT_DOC, "GET", "/deployments/", 200, True),
    (m.DeploymentDetails, LT_DOC, "GET", "/deployments/{DeploymentKey}/", 200, False),
    (m.PlanData, LT_DOC, "PUT", "/deployments/{DeploymentKey}/", 200, False),
    (m.PlanStatusReport, LT_DOC, "GET", "/deployments/{DeploymentKey}/status/", 200, False),
    (
        m.PropertyResult,
        "lifetime-properties-api-v1.undoc.json",
        "PUT",
        "/Modules/{ModuleKey}/Environments/{EnvironmentKey}/SiteProperties/{SitePropertyKey}/Value/",
        201,
        False,
    ),
]


def _operation(doc: str, method: str, template: str) -> swagger.Operation:
    for operation in swagger.iter_operations(doc):
        if operation.method == method and operation.template == template:
            return operation
    raise AssertionError(f"{method} {template} not in {doc}")


@pytest.mark.parametrize("case", RESPONSES, ids=lambda case: f"{case[0].__name__}-{case[2]} {case[3]}")
def test_models_parse_swagger_valid_answers(case):
    model, doc, method, template, status, many = case
    schema = _operation(doc, method, template).response_schema(status)
    assert schema is not None
    rng = random.Random(template)
    for rate in (0.0, 0.5, 1.0):
        for _ in range(15):
            body = openapi.sample(schema, rng, optional_rate=rate)
            assert openapi.validate(body, schema) == []
            for item in body if many else [body]:
                model.model_validate(item)


def test_error_model_parses_the_exception_shape():
    schema = _operation(LT_DOC, "GET", "/deployments/{DeploymentKey}/").response_schema(404)
    rng = random.Random("errors")
    for _ in range(20):
        body = openapi.sample(schema, rng, optional_rate=1.0)
        parsed = LifetimeErrorBody.from_answer(body, "")
        assert parsed.errors == body["Errors"]
        assert parsed.status_code == body["StatusCode"]
        assert parsed.problem(404, str).detail == ("; ".join(e for e in body["Errors"] if e) or None)


def _models(model: type[BaseModel]) -> typing.Iterator[type[BaseModel]]:
    yield model
    for field in model.model_fields.values():
        for arg in typing.get_args(field.annotation) or (field.annotation,):
            for inner in typing.get_args(arg) or (arg,):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    yield from _models(inner)


SWAGGER_NAMES: dict[type[BaseModel], str] = {
    m.Environment: "Environment",
    m.DeploymentZone: "DeploymentZone_v2",
    m.DeploymentTechnology: "DeploymentTechnology_v2",
    m.Application: "Application",
    m.AppStatusInEnv: "AppStatusInEnv_v2",
    m.MobileAppStatus: "MobileAppStatusInEnv",
    m.ModuleStatus: "ModuleStatusInEnv",
    m.ApplicationVersion: "ApplicationVersion_v2",
    m.MobileVersion: "MobileVersion",
    m.ModuleVersion: "ModuleVersion_v2",
    m.MobileVersionRequest: "MobileVersion",
    m.ApplicationVersionCreate: "ApplicationVersionCreate",
    m.VersionCreated: "TextRecord",
    m.PlanOperation: "TextTextRecord",
    m.PlanRequest: "ApplicationVersionKeyDeploymentZoneKeyRecordListTextTextTextRecord",
    m.ApplicationOperation: "ApplicationOperation_v2",
    m.Deployment: "Deployment_v2",
    m.ConflictOperation: "ApplicationOperation",
    m.ModuleConflict: "ModuleConflict",
    m.ApplicationConflict: "ApplicationConflict",
    m.ModuleInBinary: "ModulesInBinary",
    m.ApplicationInBinary: "ApplicationInBinary",
    m.ModuleToDelete: "ModuleToDelete",
    m.DeploymentDetails: "ApplicationConflictListTextListDeployment_v2Record",
    m.PlanData: "DeploymentData_v2",
    m.LogEntry: "DeploymentMessage",
    m.PlanStatusReport: "DeploymentMessageListTextTextRecord",
    LifetimeErrorBody: "Exception",
}


@pytest.mark.parametrize("model", list(SWAGGER_NAMES), ids=lambda model: model.__name__)
def test_every_model_field_is_a_member_of_its_swagger_definition(model):
    definition = swagger.load_spec(LT_DOC)["definitions"][SWAGGER_NAMES[model]]
    aliases = {field.alias or name for name, field in model.model_fields.items()}
    assert aliases <= set(definition["properties"]), aliases - set(definition["properties"])
    for nested in _models(model):
        assert nested in SWAGGER_NAMES, f"{nested.__name__} has no swagger definition in this test"
