"""The HTTP surface: paths with and without the trailing slash, typed binding, auth, errors, HTTPS."""

from __future__ import annotations

import json

import pytest
import requests

from odc_pipeline.clock import ManualClock
from odc_pipeline.simulator import start_simulator

from .conftest import EXAMPLE, Api, check_against_swagger, edited


@pytest.mark.parametrize("path", ["/environments", "/environments/"])
def test_paths_are_served_with_and_without_the_trailing_slash(api, path):
    answer = api("GET", path)
    assert answer.status_code == 200
    assert [e["Name"] for e in answer.json()] == ["Development", "Test", "Production"]
    assert [e["Order"] for e in answer.json()] == [1, 2, 3]


def test_python_booleans_bind_and_other_spellings_are_refused(api):
    assert api("GET", "/applications?IncludeModules=False&IncludeEnvStatus=True").status_code == 200
    refused = api("GET", "/applications?IncludeEnvStatus=yes")
    assert refused.status_code == 400
    assert refused.json() == {
        "Errors": ["The request is invalid: IncludeEnvStatus: 'yes' is not a boolean (true or false)"],
        "StatusCode": 400,
    }


def test_a_parameter_given_twice_is_refused_and_unknown_ones_are_ignored(api):
    assert api("GET", "/applications?IncludeEnvStatus=True&IncludeEnvStatus=False").status_code == 400
    assert api("GET", "/applications?Unknown=1").status_code == 200
    key = api.plan("Development", "Test", "Customer Portal")
    # the official scripts send ContinueWithErrors, which the swagger does not declare
    assert (
        api("POST", f"/deployments/{key}/start?RedeployOutdated=False&ContinueWithErrors=True").status_code
        == 202
    )


def test_bodies_are_checked_against_the_swagger(api):
    for body, where in (
        ({"Notes": "x"}, "SourceEnvironmentKey: is required"),
        (
            {"Notes": 1, "SourceEnvironmentKey": "", "TargetEnvironmentKey": "", "ApplicationOperations": []},
            "Notes",
        ),
    ):
        answer = api("POST", "/deployments", json=body)
        assert answer.status_code == 400
        assert any(where in e for e in answer.json()["Errors"])
    assert (
        api("POST", "/deployments", data="{", headers={"Content-Type": "application/json"}).status_code == 400
    )
    assert api("POST", "/deployments", data="x", headers={"Content-Type": "text/xml"}).status_code == 400
    assert api("POST", "/deployments").status_code == 400  # the body is required


def test_unknown_paths_and_methods(api):
    assert api("GET", "/nothing").status_code == 404
    assert api("DELETE", "/environments").status_code == 405
    assert api("GET", "/nothing").json()["StatusCode"] == 404


REFUSED = "The authentication token is missing, invalid or revoked."


@pytest.mark.parametrize(
    ("shape", "content_type", "body"),
    [
        ("exception", "application/json", {"Errors": [REFUSED], "StatusCode": 401}),
        ("empty", None, None),
        ("html", "text/html", None),
    ],
)
def test_a_refused_token_answers_401_in_each_rehearsable_shape(make_sim, shape, content_type, body):
    sim = make_sim(edited(lambda d: d.setdefault("undoc", {}).update(unauthorized_body=shape)))
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": sim.token}):
        answer = requests.get(sim.api_url + "/environments", headers=headers, timeout=10)
        assert answer.status_code == 401
        assert answer.headers.get("Content-Type", "").split(";")[0] == (content_type or "")
        if body is not None:
            assert answer.json() == body
        elif content_type is None:
            assert answer.content == b""
    assert Api(sim)("GET", "/environments").status_code == 200


def test_the_create_answer_can_be_rehearsed_as_200_or_a_json_string(make_sim):
    sim = make_sim(
        edited(
            lambda d: d.setdefault("undoc", {}).update(
                deployment_created_status=200, deployment_key_format="json"
            )
        )
    )
    api = Api(sim)
    keys = api.keys()
    version = api.running_key("Development", "Customer Portal")
    body = {
        "Notes": "",
        "SourceEnvironmentKey": keys["Development"],
        "TargetEnvironmentKey": keys["Test"],
        "ApplicationOperations": [{"ApplicationVersionKey": version, "DeploymentZoneKey": ""}],
    }
    answer = api("POST", "/deployments", json=body)
    assert answer.status_code == 200
    key = json.loads(answer.text)
    assert api("GET", f"/deployments/{key}").status_code == 200


def test_the_default_create_answer_is_201_with_the_bare_key(api):
    key = api.plan("Development", "Test", "Customer Portal")
    assert len(key) == 36
    assert '"' not in key


def test_service_accounts_only_see_their_environments(make_sim):
    def restricted(data):
        data["service_accounts"].append({"name": "qa-bot", "token": "qa-token", "environments": ["Test"]})

    sim = make_sim(edited(restricted))
    bot = Api(sim, token="qa-token")
    assert [e["Name"] for e in bot("GET", "/environments").json()] == ["Test"]
    production = Api(sim).keys()["Production"]
    assert bot("GET", f"/environments/{production}").status_code == 403


def test_https_with_a_given_certificate(make_sim, certificate):
    sim = make_sim(certificate=certificate)
    assert sim.url.startswith("https://127.0.0.1:")
    api = Api(sim, verify=str(certificate[0]))
    assert api("GET", "/environments").status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sim.api_url + "/environments", timeout=10, verify=True)  # not a public CA


def test_start_simulator_serves_both_platforms():
    with start_simulator(EXAMPLE, clock=ManualClock(), on_response=check_against_swagger) as lifetime:
        assert lifetime.platform == "lifetime"
        assert Api(lifetime)("GET", "/environments").status_code == 200
    odc_tenant = EXAMPLE.parent / "tenant.yaml"
    with start_simulator(odc_tenant, clock=ManualClock()) as odc:
        assert odc.client_id
        assert not hasattr(odc, "platform")
    with pytest.raises(TypeError, match="LifeTime simulator only"):
        start_simulator(odc_tenant, clock=ManualClock(), https=True)


def test_the_generated_certificate_names_localhost_too(make_sim, certificate):
    sim = make_sim(certificate=certificate)
    url = sim.api_url.replace("127.0.0.1", "localhost") + "/environments"
    answer = requests.get(
        url, headers={"Authorization": f"Bearer {sim.token}"}, timeout=10, verify=str(certificate[0])
    )
    assert answer.status_code == 200
