"""Tokens, permissions and the documented per-organization rate limits."""

from __future__ import annotations

import pytest
import requests

from odc_pipeline.api import AuthenticationError, PermissionDeniedError

from .conftest import Api, edited_tenant, keys


def _token_endpoint(sim):
    return requests.get(f"{sim.url}/identity/.well-known/openid-configuration", timeout=10).json()[
        "token_endpoint"
    ]


def test_discovery_and_token_follow_the_documented_shapes(sim):
    discovery = requests.get(f"{sim.url}/identity/.well-known/openid-configuration", timeout=10).json()
    assert "client_credentials" in discovery["grant_types_supported"]
    answer = requests.post(
        discovery["token_endpoint"],
        data={
            "grant_type": "client_credentials",
            "client_id": sim.client_id,
            "client_secret": sim.client_secret,
        },
        timeout=10,
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["token_type"], body["expires_in"]) == ("Bearer", 43200)


@pytest.mark.parametrize(
    ("form", "status", "error"),
    [
        (
            {"grant_type": "client_credentials", "client_id": "odc-pipeline", "client_secret": "wrong"},
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x"},
            401,
            "invalid_client",
        ),
        (
            {
                "grant_type": "client_credentials",
                "client_id": "suspended-client",
                "client_secret": "suspended-secret",
            },
            401,
            "invalid_client",
        ),
        (
            {"grant_type": "password", "client_id": "odc-pipeline", "client_secret": "odc-simulator-secret"},
            400,
            "unsupported_grant_type",
        ),
    ],
)
def test_bad_token_requests_are_refused(sim, form, status, error):
    answer = requests.post(_token_endpoint(sim), data=form, timeout=10)
    assert (answer.status_code, answer.json()["error"]) == (status, error)


def test_json_token_requests_are_refused(sim):
    answer = requests.post(_token_endpoint(sim), json={"grant_type": "client_credentials"}, timeout=10)
    assert answer.status_code == 400


def test_bad_credentials_fail_the_client(sim, make_client):
    client = make_client(sim, sim.client_id, "not-the-secret")
    with pytest.raises(AuthenticationError):
        client.portfolio.environments()


def test_tokens_expire_on_the_clock(make_sim, clock):
    sim = make_sim(edited_tenant(lambda data: data.update(token_lifetime_seconds=60)))
    api = Api(sim)
    assert api("GET", "/api/portfolios/v2/environments").status_code == 200
    clock.advance(61)
    expired = api("GET", "/api/portfolios/v2/environments")
    assert expired.status_code == 401
    assert expired.json()["errorCode"]


def test_the_client_reauthenticates_when_tokens_expire_mid_run(sim, make_client):
    client = make_client(sim)
    assert client.portfolio.environments()
    assert sim.expire_tokens() == 1
    assert [e.name for e in client.portfolio.environments()] == ["Development", "QA", "Production"]
    token_calls = [e for e in sim.request_log if e.path.endswith("/token")]
    assert len(token_calls) == 2
    assert token_calls[0].body["client_secret"] == "***"


def test_a_missing_permission_in_a_stage_is_forbidden(sim, make_client, clock):
    client = make_client(sim, "qa-deployer")
    k = keys(sim)
    with pytest.raises(PermissionDeniedError) as denied:
        client.dependencies.start_deployment_analysis(k["Orders Portal"], 19, k["Production"])
    assert "Release management > Deploy assets" in str(denied.value.problem.detail)
    assert client.dependencies.start_deployment_analysis(k["Orders Portal"], 19, k["QA"])


def test_stages_without_view_permission_are_hidden(make_sim, make_client):
    def qa_blind(data):
        data["api_clients"].append(
            {
                "client_id": "no-qa",
                "client_secret": "no-qa-secret",
                "permissions": {"*": ["all"]},
                "denied": {"QA": ["Stage > View stage"]},
            }
        )

    sim = make_sim(edited_tenant(qa_blind))
    client = make_client(sim, "no-qa")
    assert [e.name for e in client.portfolio.environments()] == ["Development", "Production"]
    (portal,) = client.portfolio.deployed_assets(asset_keys=[keys(sim)["Orders Portal"]])
    assert {d.environment_key for d in portal.deployments} == {
        keys(sim)["Development"],
        keys(sim)["Production"],
    }


def test_deployment_posts_are_limited_to_ten_per_minute_too(sim, api, clock):
    k = keys(sim)
    body = {
        "operation": "ApplyConfigs",
        "assetKey": k["Orders API"],
        "environmentKey": k["QA"],
        "revision": 11,
    }
    path = "/api/deployments/v1/deployment-operations"
    statuses = [api("POST", path, json=body).status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    builds = api(
        "POST", "/api/builds/v1/build-operations", json={"assetKey": k["Orders API"], "assetRevision": 11}
    )
    assert builds.status_code == 201  # each POST endpoint has its own budget
    clock.advance(60)
    assert api("POST", path, json=body).status_code == 201


def test_post_endpoints_are_limited_to_ten_per_minute(sim, api, clock):
    body = {"assetKey": keys(sim)["Orders Portal"], "assetRevision": 20, "buildType": "Release"}
    statuses = [api("POST", "/api/builds/v1/build-operations", json=body).status_code for _ in range(11)]
    assert statuses == [201] * 10 + [429]
    assert (
        api("GET", "/api/builds/v1/build-operations", params={"assetKey": body["assetKey"]}).status_code
        == 200
    )
    clock.advance(60)
    assert api("POST", "/api/builds/v1/build-operations", json=body).status_code == 201


def test_each_domain_is_limited_to_a_hundred_per_minute(sim, api, clock):
    statuses = [api("GET", "/api/portfolios/v2/environments").status_code for _ in range(101)]
    assert statuses.count(200) == 100
    assert statuses[-1] == 429
    assert (
        api("GET", "/api/asset-repository/v1/assets").status_code == 200
    )  # other domains have their own pool
    clock.advance(60)
    assert api("GET", "/api/portfolios/v2/environments").status_code == 200


def test_paths_no_spec_describes_are_not_found(sim, api):
    assert api("GET", "/api/build-operations/v1/build-operations").status_code == 404
    assert api("DELETE", "/api/portfolios/v2/environments").status_code == 405
