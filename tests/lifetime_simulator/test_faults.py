"""Faults on the shared switchboard, as the LifeTime simulator applies them."""

from __future__ import annotations

import pytest
import requests

from odc_pipeline.errors import UsageError
from odc_pipeline.lifetime_simulator import LIFETIME_FAULT_NAMES, parse_lifetime_fault

from .conftest import Api, edited


def plan_body(api: Api) -> dict:
    keys = api.keys()
    return {
        "Notes": "fault test",
        "SourceEnvironmentKey": keys["Development"],
        "TargetEnvironmentKey": keys["Test"],
        "ApplicationOperations": [
            {
                "ApplicationVersionKey": api.running_key("Development", "Customer Portal"),
                "DeploymentZoneKey": "",
            }
        ],
    }


def test_a_dropped_answer_to_post_deployments_records_exactly_one_plan(sim, api):
    body = plan_body(api)
    sim.faults.add("drop-response", path="/deployments", method="POST", times=1)
    with pytest.raises(requests.ConnectionError):
        api("POST", "/deployments", json=body)
    listed = api("GET", "/deployments?MinDate=2025-12-31").json()
    assert [(p["Notes"], p["TargetEnvironmentKey"]) for p in listed] == [
        ("fault test", body["TargetEnvironmentKey"])
    ]
    assert len(sim.state.plans) == 1
    assert sim.request_log.find("POST", "/deployments")[0].status == 0  # logged as dropped


def test_a_connection_dropped_before_handling_records_no_plan(sim, api):
    body = plan_body(api)
    sim.faults.add("drop-connection", path="/deployments", method="POST", times=1)
    with pytest.raises(requests.ConnectionError):
        api("POST", "/deployments", json=body)
    assert sim.state.plans == {}
    assert api("GET", "/deployments").status_code == 204


def test_a_revoked_token_is_refused_from_then_on(sim, api):
    sim.faults.add("token-expiry", path="/environments")
    refused = api("GET", "/environments")
    assert refused.status_code == 401
    assert refused.json()["StatusCode"] == 401
    assert api("GET", "/applications").status_code == 401
    fresh = Api(sim, token=sim.token)  # the account's new token
    assert fresh("GET", "/applications").status_code == 200


def test_a_server_error_on_a_status_get_fires_once_and_the_plan_goes_on(sim, api, clock):
    key = api.plan("Development", "Test", "Customer Portal")
    api("POST", f"/deployments/{key}/start")
    sim.faults.add("server-error", path="/status", method="GET", status=502, times=1)
    failed = api("GET", f"/deployments/{key}/status")
    assert (failed.status_code, failed.headers["Content-Type"]) == (502, "text/plain")
    clock.advance(60)
    assert api.status(key)["DeploymentStatus"] == "finished_successful"
    assert [e.status for e in sim.request_log.find("GET", "/status")] == [502, 200]


def test_permission_denied_and_rate_limit_answers(sim, api):
    sim.faults.add("permission-denied", path="/deployments", times=1)
    denied = api("GET", "/deployments")
    assert denied.status_code == 403
    assert denied.json()["StatusCode"] == 403
    sim.faults.add("rate-limit-storm", times=1)
    assert api("GET", "/environments").status_code == 429
    assert api("GET", "/environments").status_code == 200


def test_the_default_fault_path_covers_the_properties_api(sim, api):
    module = next(iter(sim.state.applications.values())).modules[0].key
    env = api.keys()["Production"]
    sim.faults.add("server-error", status=500, times=1)
    answer = requests.put(
        f"{sim.url}/PropertiesAPI/rest/v1/Modules/{module}/Environments/{env}/SiteProperties/x/Value/",
        data="v",
        headers={"Authorization": f"Bearer {sim.token}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert answer.status_code == 500
    assert answer.json() == {"Errors": ["Injected fault: server-error 500."], "StatusCode": 500}


def test_fault_names_and_tenant_faults(make_sim):
    assert "analysis-unavailable" not in LIFETIME_FAULT_NAMES
    assert parse_lifetime_fault("drop-response:method=POST").path == "/"
    with pytest.raises(UsageError, match="unknown fault 'analysis-unavailable'"):
        parse_lifetime_fault("analysis-unavailable")
    sim = make_sim(edited(lambda d: d.update(faults=[{"name": "server-error", "options": {"times": 1}}])))
    assert Api(sim)("GET", "/environments").status_code == 503
