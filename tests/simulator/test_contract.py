"""Contract tests: every served route answers what the specs describe, and nothing else.

One scenario drives every route (successes and the documented errors, before and after
operations finish) through :class:`ContractChecker`, which validates each answer against the
spec's response schema for its status; a final check proves no route was left out.
"""

from __future__ import annotations

import jsonschema
import pytest
import requests

from odc_pipeline import openapi
from odc_pipeline.simulator import routes as _routes  # noqa: F401  (registers the handlers)
from odc_pipeline.simulator.routing import ROUTES

from .conftest import Api, keys
from .contract import ContractChecker

AR = "/api/asset-repository/v1"
BU = "/api/builds/v1"
DM = "/api/dependency-management/v1"
AC = "/api/asset-configurations/v1"
DE = "/api/deployments/v1"
PO = "/api/portfolios/v2"
CQ = "/api/code-quality/v1"
EL = "/api/external-libraries/v1"
MISSING = "00000000-0000-4000-8000-000000000000"


@pytest.fixture
def check(api):
    return ContractChecker(api)


def test_every_route_answers_within_its_spec(sim, check, clock):
    k = keys(sim)
    core, api_app, portal, agent = (
        k["Orders Core"],
        k["Orders API"],
        k["Orders Portal"],
        k["Orders Assistant"],
    )
    dev, qa, prod = k["Development"], k["QA"], k["Production"]

    # asset repository
    assert (
        check("GET", f"{AR}/assets", params={"limit": 2, "embed": ["metadata", "releaseNote"]}).status_code
        == 200
    )
    assert check("GET", f"{AR}/assets", params={"assetKeys": f"{core},{portal}"}).status_code == 400
    assert check("GET", f"{AR}/assets/{portal}").status_code == 200
    assert check("GET", f"{AR}/assets/{MISSING}").status_code == 404
    assert check("GET", f"{AR}/assets/{portal}/latest-revision").status_code == 200
    assert check("GET", f"{AR}/assets/{core}/highest-tag-revision").status_code == 200
    assert check("GET", f"{AR}/assets/{portal}/highest-tag-revision").status_code == 404
    assert (
        check(
            "GET", f"{AR}/assets/{core}/revisions", params={"sort": "-revision", "isTagged": "true"}
        ).status_code
        == 200
    )
    assert check("GET", f"{AR}/assets/{core}/revisions/7", params={"embed": "metadata"}).status_code == 200
    assert check("GET", f"{AR}/assets/{core}/revisions/99").status_code == 404
    assert check("GET", f"{AR}/assets/{core}/revisions/7/release-notes").status_code == 200
    assert check("GET", f"{AR}/assets/{core}/revisions/7/metadata").status_code == 200
    assert check("PATCH", f"{AR}/assets/{core}/revisions/8", json={"tag": "1.3.0"}).status_code == 400
    assert (
        check(
            "PATCH", f"{AR}/assets/{core}/revisions/8", json={"tag": "1.4.0", "releaseNotes": "x"}
        ).status_code
        == 204
    )
    search = {"assetVersionFilters": [{"key": core, "isHighestTag": True}, {"key": portal, "revision": 19}]}
    assert check("POST", f"{AR}/assets/search", json=search).status_code == 200

    # builds
    started = check(
        "POST",
        f"{BU}/build-operations",
        json={"assetKey": portal, "assetRevision": 20, "buildType": "Release"},
    )
    assert started.status_code == 201
    build = started.json()["buildKey"]
    assert (
        check("POST", f"{BU}/build-operations", json={"assetKey": MISSING, "assetRevision": 1}).status_code
        == 404
    )
    assert check("GET", f"{BU}/build-operations/{build}").json()["status"] == "Pending"
    assert check("POST", f"{BU}/build-operations/{build}/generated-code").status_code == 422
    assert check("GET", f"{BU}/build-operations/{build}/generated-code").status_code == 404
    clock.advance(30)
    assert check("GET", f"{BU}/build-operations/{build}").json()["status"] == "Running"
    clock.advance(60)
    assert check("GET", f"{BU}/build-operations/{build}").json()["status"] == "Finished"
    assert (
        check("GET", f"{BU}/build-operations", params={"assetKey": portal, "assetRevision": 20}).status_code
        == 200
    )
    assert check("GET", f"{BU}/build-operations", params={"assetKey": MISSING}).status_code == 404
    assert check("GET", f"{BU}/build-operations/{build}/log-messages").status_code == 200
    assert check("GET", f"{BU}/build-operations/{MISSING}").status_code == 404
    assert check("POST", f"{BU}/build-operations/{build}/generated-code").status_code == 201
    assert check("GET", f"{BU}/build-operations/{build}/generated-code").status_code == 200
    clock.advance(60)
    assert check("GET", f"{BU}/build-operations/{build}/generated-code").json()["status"] == "Finished"

    # dependency management
    analysis = check(
        "POST", f"{DM}/deployment-analyses", json={"assetKey": api_app, "revision": 12, "environmentKey": qa}
    )
    assert analysis.status_code == 201
    analysis_key = analysis.json()["analysisKey"]
    assert check("GET", f"{DM}/deployment-analyses/{analysis_key}").json()["processStatus"] == "InProgress"
    clock.advance(5)
    assert (
        check("GET", f"{DM}/deployment-analyses/{analysis_key}").json()["report"]["status"] == "WarningsFound"
    )
    assert check("GET", f"{DM}/deployment-analyses/{MISSING}").status_code == 404
    assert (
        check("GET", f"{DM}/assets/{api_app}/consumers", params={"environmentKey": prod}).status_code == 200
    )
    assert check("GET", f"{DM}/assets/{api_app}/revisions/12/consumers").status_code == 200
    assert (
        check("GET", f"{DM}/assets/{portal}/revisions/20/producers", params={"maxDepth": 1}).status_code
        == 200
    )
    assert check("GET", f"{DM}/assets/{MISSING}/consumers").status_code == 404

    # asset configurations
    base = f"{AC}/environments/{prod}"
    assert check("GET", f"{base}/applications/{portal}/revisions/deployed/configurations").status_code == 200
    assert (
        check(
            "GET",
            f"{base}/applications/{portal}/revisions/19/configurations",
            params={"fields": "settings,timers"},
        ).status_code
        == 200
    )
    assert check("GET", f"{base}/applications/{agent}/revisions/deployed/configurations").status_code == 404
    settings = check("GET", f"{base}/applications/{api_app}/revisions/deployed/configurations").json()[
        "settings"
    ]
    patch = {"settings": [{"key": settings[0]["key"], "value": "25"}]}
    assert check("PATCH", f"{base}/applications/{api_app}/configurations", json=patch).status_code == 204
    deployed = check("GET", f"{base}/applications/{api_app}/revisions/deployed/configurations").json()
    (library,) = deployed["libraries"]
    library_patch = {
        "libraries": [
            {
                "key": library["key"],
                "revision": library["revision"],
                "settings": [{"key": library["settings"][0]["key"], "value": "USD"}],
            }
        ]
    }
    assert (
        check("PATCH", f"{base}/applications/{api_app}/configurations", json=library_patch).status_code == 204
    )
    bad = {"settings": [{"key": settings[0]["key"], "value": "not a number"}]}
    assert check("PATCH", f"{base}/applications/{api_app}/configurations", json=bad).status_code == 400
    assert check("GET", f"{base}/agents/{agent}/revisions/deployed/configurations").status_code == 200
    assert check("GET", f"{base}/agents/{agent}/revisions/3/configurations").status_code == 200
    agent_settings = check("GET", f"{base}/agents/{agent}/revisions/1/configurations").json()["settings"]
    agent_patch = {"settings": [{"key": agent_settings[0]["key"], "value": "0.5"}]}
    assert check("PATCH", f"{base}/agents/{agent}/configurations", json=agent_patch).status_code == 204
    assert check("GET", f"{base}/default-system-configurations").status_code == 200
    assert (
        check("PATCH", f"{base}/default-system-configurations", json={"systemConfigurations": []}).status_code
        == 204
    )

    # deployments
    deploy = {
        "operation": "Deploy",
        "assetKey": portal,
        "environmentKey": dev,
        "revision": 20,
        "buildKey": build,
    }
    started = check("POST", f"{DE}/deployment-operations", json=deploy)
    assert started.status_code == 201
    operation = started.json()["key"]
    assert check("GET", f"{DE}/deployment-operations/{operation}").json()["status"] == "Running"
    assert (
        check("GET", f"{DE}/deployment-operations/{operation}/messages", params={"limit": 1}).status_code
        == 200
    )
    clock.advance(100)
    first = check("GET", f"{DE}/deployment-operations/{operation}/messages", params={"limit": 2}).json()
    assert first["page"]["nextPageOffset"]
    params = {"limit": 2, "offset": first["page"]["nextPageOffset"]}
    assert check("GET", f"{DE}/deployment-operations/{operation}/messages", params=params).status_code == 200
    assert (
        check(
            "GET", f"{DE}/deployment-operations/{operation}/messages", params={"offset": "garbage"}
        ).status_code
        == 400
    )
    assert check("GET", f"{DE}/deployment-operations/{operation}").json()["status"] == "Finished"
    listing = {"environmentKey": dev, "operations": ["Deploy"], "status": "Finished", "limit": 1}
    assert check("GET", f"{DE}/deployment-operations", params=listing).json()["page"]["nextPageOffset"] == 1
    assert check("GET", f"{DE}/deployment-operations/{MISSING}").status_code == 404
    apply = {"operation": "ApplyConfigs", "assetKey": api_app, "environmentKey": prod, "revision": 9}
    assert check("POST", f"{DE}/deployment-operations", json=apply).status_code == 201
    debug = {"operation": "Deploy", "assetKey": k["Orders Backoffice"], "environmentKey": qa, "revision": 6}
    debug["buildKey"] = next(b.key for b in sim.state.builds.values() if b.build_type == "Debug")
    assert check("POST", f"{DE}/deployment-operations", json=debug).status_code == 400

    # portfolio
    assert check("GET", f"{PO}/environments").status_code == 200
    assert (
        check(
            "GET", f"{PO}/deployed-assets", params={"environmentKey": f"{qa},{prod}", "limit": 2}
        ).status_code
        == 200
    )
    assert check("GET", f"{PO}/deployed-assets", params={"key": portal}).status_code == 200

    # code quality
    assert check("GET", f"{CQ}/assets/{portal}/revisions/19/analysis-summary").status_code == 200
    assert check("GET", f"{CQ}/assets/{portal}/revisions/20/analysis-summary").status_code == 404
    started = check("POST", f"{CQ}/code-analyses", json={"assetKey": portal, "assetRevision": 20})
    assert started.status_code == 200
    code_analysis = started.json()["analysisKey"]
    assert check("GET", f"{CQ}/code-analyses/{code_analysis}").json()["status"] == "Queued"
    clock.advance(30)
    assert check("GET", f"{CQ}/code-analyses/{code_analysis}").json()["status"] == "Completed"
    assert check("GET", f"{CQ}/assets/{portal}/revisions/20/analysis-summary").status_code == 200
    assert check("GET", f"{CQ}/code-analyses/{MISSING}").status_code == 404

    # external libraries
    upload = check("GET", f"{EL}/uploads").json()
    # Object storage, not an ODC API: sent without the bearer token the API session carries.
    assert requests.put(upload["uploadUrl"], data=b"PK zip", timeout=10).status_code == 200
    body = {"fileName": "PdfTools.zip", "highCodeBinaryUri": upload["downloadUrl"]}
    generation = check("POST", f"{EL}/generation-operations", json=body)
    assert generation.status_code == 201
    generation_key = generation.json()["operationKey"]
    assert check("GET", f"{EL}/generation-operations/{generation_key}").json()["status"] == "Downloading"
    clock.advance(10)
    assert check("GET", f"{EL}/generation-operations/{generation_key}").json()["status"] == "Generating"
    clock.advance(60)
    log = check("GET", f"{EL}/generation-operations/{generation_key}/log-messages").json()
    assert log["validationMessages"][-1]["type"] == "Information"
    assert check("GET", f"{EL}/generation-operations/{generation_key}").json()["status"] == "ReadyForReview"
    assert check("GET", f"{EL}/generation-operations").status_code == 200
    assert check("GET", f"{EL}/generation-operations/{MISSING}").status_code == 404

    missing = set(ROUTES) - check.seen
    assert not missing, f"routes never exercised by the contract scenario: {sorted(missing)}"


def test_unauthenticated_and_rate_limited_answers_are_problem_details(sim, check, clock):

    anonymous = ContractChecker(lambda method, path, **kw: Api.__call__(_Anon(sim), method, path, **kw))
    for method, base, template in sorted(ROUTES):
        path = base + template.replace("{", "").replace("}", "")
        response = anonymous(method, path)
        assert response.status_code == 401, (method, path)
        if base != DM:
            assert set(response.json()) >= {"traceId", "errorCode", "status", "title"}
        else:
            assert "traceId" not in response.json()
            assert "errorCode" not in response.json()
    statuses = [
        check("POST", f"{BU}/build-operations", json={"assetKey": MISSING, "assetRevision": 1}).status_code
        for _ in range(11)
    ]
    assert statuses == [404] * 10 + [429]


class _Anon:
    def __init__(self, sim):
        import requests

        self.sim = sim
        self.session = requests.Session()


def _request_schemas():
    for method, base, template in sorted(ROUTES):
        spec_file = openapi.SPEC_FILES[base]
        schema = openapi.request_schema(openapi.load_spec(spec_file), method, template)
        if schema is not None:
            yield pytest.param(method, base, template, id=f"{method} {base}{template}")


@pytest.mark.parametrize(("method", "base", "template"), list(_request_schemas()))
def test_bodies_the_spec_rejects_are_rejected(sim, api, method, base, template):
    k = keys(sim)
    path = base + template
    for name, value in {
        "{assetKey}": k["Orders Core"],
        "{revisionNumber}": "8",
        "{environmentKey}": k["QA"],
        "{applicationKey}": k["Orders Portal"],
        "{agentKey}": k["Orders Assistant"],
        "{operationKey}": MISSING,
    }.items():
        path = path.replace(name, value)
    for body in ({"surelyNotAField": 1}, ["not", "an", "object"]):
        response = api(method, path, json=body)
        assert response.status_code == 400, (body, response.text)
        assert "specification" in response.json()["detail"]


# --------------------------------------------------------------------------- request bodies, field by field

# Ordered from the most telling (a string that is no enum value, uuid or date) to plain wrong types.
WRONG_VALUES = ("not-a-valid-value", 1.5, 12345, True, ["a", "list"], {"an": "object"})
PER_FIELD = 2


def _object_schema(schema, defs):
    """The object schema behind ``allOf``/``$ref`` wrappers."""
    while "properties" not in schema:
        if "$ref" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
        elif schema.get("allOf"):
            schema = schema["allOf"][0]
        else:
            return None
    return schema


def _bad_bodies():
    """Per request property: a value of the wrong type, enum or format, as the spec defines it.

    Each candidate must be refused by both our validator and ``jsonschema`` (an independent
    oracle), so the test checks the simulator against the spec, not against itself.
    """
    for method, base, template in sorted(ROUTES):
        spec = openapi.load_spec(openapi.SPEC_FILES[base])
        schema = openapi.request_schema(spec, method, template)
        if schema is None:
            continue
        defs = schema.get("$defs", {})
        body_schema = _object_schema(schema, defs)
        if body_schema is None:
            continue
        oracle = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
        for name in body_schema["properties"]:
            wrong = [
                value
                for value in WRONG_VALUES
                if any(e.startswith(f"$.{name}") for e in openapi.validate({name: value}, schema))
                and any(list(e.absolute_path)[:1] == [name] for e in oracle.iter_errors({name: value}))
            ]
            assert wrong, f"no wrong value found for {method} {base}{template} {name}"
            for value in wrong[:PER_FIELD]:
                yield pytest.param(
                    (method, base, template), {name: value}, id=f"{method} {base}{template} {name}={value!r}"
                )


def _concrete(sim, base, template):
    k = keys(sim)
    path = base + template
    for name, value in {
        "{assetKey}": k["Orders Core"],
        "{revisionNumber}": "8",
        "{environmentKey}": k["QA"],
        "{applicationKey}": k["Orders Portal"],
        "{agentKey}": k["Orders Assistant"],
        "{operationKey}": MISSING,
    }.items():
        path = path.replace(name, value)
    return path


@pytest.mark.parametrize(("route", "body"), list(_bad_bodies()))
def test_each_field_the_spec_types_is_checked(sim, api, route, body):
    method, base, template = route
    (name,) = body
    response = api(method, _concrete(sim, base, template), json=body)
    assert response.status_code == 400, response.text
    detail = response.json()["detail"]
    assert "specification" in detail
    assert f"$.{name}" in detail  # the answer names the field


def test_unknown_fields_are_refused_inside_nested_objects(sim, api):
    k = keys(sim)
    path = f"{AC}/environments/{k['QA']}/applications/{k['Orders Portal']}/configurations"
    body = {
        "libraries": [{"key": k["Orders Core"], "settings": [{"key": "x", "value": "1", "colour": "red"}]}]
    }
    response = api("PATCH", path, json=body)
    assert response.status_code == 400
    assert "$.libraries[0].settings[0].colour" in response.json()["detail"]


def test_bodies_the_spec_accepts_are_never_refused_as_off_spec(sim, api):
    """The simulator may refuse a valid body for what it means (404, 400 naming a rule), never
    because of its shape: random schema-valid bodies of every route pass the shape check."""
    import random

    rng = random.Random(20261201)
    checked = 0
    for method, base, template in sorted(ROUTES):
        spec = openapi.load_spec(openapi.SPEC_FILES[base])
        schema = openapi.request_schema(spec, method, template)
        if schema is None or (method == "POST" and base in (BU, DE, EL)):
            continue  # POSTs there are limited to 10/min: their bodies are sampled below, once each
        for _ in range(5):
            body = openapi.sample(schema, rng)
            response = api(method, _concrete(sim, base, template), json=body)
            assert "specification" not in response.text, (method, template, body, response.text)
            checked += 1
    for base, template in (
        (BU, "/build-operations"),
        (DE, "/deployment-operations"),
        (EL, "/generation-operations"),
    ):
        schema = openapi.request_schema(openapi.load_spec(openapi.SPEC_FILES[base]), "POST", template)
        for _ in range(5):
            body = openapi.sample(schema, rng)
            assert "specification" not in api("POST", base + template, json=body).text, body
            checked += 1
    assert checked >= 50


def test_every_route_is_an_operation_of_a_vendored_spec():
    """A handler registered under a path no spec has could never be reached (or would invent one)."""
    for method, base, template in ROUTES:
        spec_file = openapi.SPEC_FILES[base]
        assert (method, template) in {(m, t) for m, t, _ in openapi.iter_operations(spec_file)}, (
            method,
            base,
            template,
        )
