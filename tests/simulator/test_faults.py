"""Faults switched on per run (tenant file, start_simulator) and while running (sim.faults)."""

from __future__ import annotations

import pytest
import requests

from odc_pipeline.simulator import FaultError, parse_fault

from .conftest import Api, edited_tenant, keys

ENVIRONMENTS = "/api/portfolios/v2/environments"


def test_server_errors_fire_the_given_number_of_times(sim):
    api = Api(sim)
    sim.faults.add("server-error", status=502, times=2, path="/api/portfolios/")
    statuses = [api("GET", ENVIRONMENTS).status_code for _ in range(3)]
    assert statuses == [502, 502, 200]
    assert api("GET", "/api/asset-repository/v1/assets").status_code == 200


def test_a_500_is_problem_details(sim):
    api = Api(sim)
    sim.faults.add("server-error", status=500, times=1)
    answer = api("GET", ENVIRONMENTS)
    assert answer.status_code == 500
    assert answer.json()["status"] == 500


def test_rate_limit_storm_until_switched_off(sim):
    api = Api(sim)
    storm = sim.faults.add("rate-limit-storm", after=1)
    assert [api("GET", ENVIRONMENTS).status_code for _ in range(3)] == [200, 429, 429]
    sim.faults.remove(storm)
    assert api("GET", ENVIRONMENTS).status_code == 200


def test_dropped_connections_get_no_answer(sim):
    api = Api(sim)
    sim.faults.add("drop-connection", times=1, method="GET")
    with pytest.raises(requests.ConnectionError):
        api("GET", ENVIRONMENTS)
    assert api("GET", ENVIRONMENTS).status_code == 200
    assert [e.status for e in sim.request_log if e.path == ENVIRONMENTS] == [0, 200]


def test_slow_responses_spend_clock_time(sim, clock):
    api = Api(sim)
    sim.faults.add("slow-response", seconds=12, times=1)
    before = clock.monotonic()
    assert api("GET", ENVIRONMENTS).status_code == 200
    assert clock.monotonic() - before == 12
    assert clock.sleeps == [12]


def test_token_expiry_mid_run_forces_a_new_token(sim):
    api = Api(sim)
    sim.faults.add("token-expiry", after=2)
    assert [api("GET", ENVIRONMENTS).status_code for _ in range(4)] == [200, 200, 401, 401]


def test_analysis_unavailable_makes_the_analysis_endpoints_404(sim, make_client):
    from odc_pipeline.api import NotFoundError

    client = make_client(sim)
    k = keys(sim)
    sim.faults.add("analysis-unavailable")
    with pytest.raises(NotFoundError):
        client.dependencies.start_deployment_analysis(k["Orders Portal"], 19, k["QA"])
    sim.faults.clear()
    assert client.dependencies.start_deployment_analysis(k["Orders Portal"], 19, k["QA"])


def test_faults_from_the_tenant_file_are_on_from_the_start(make_sim):
    tenant = edited_tenant(
        lambda d: d.update(faults=[{"name": "server-error", "options": {"status": 503, "times": 1}}])
    )
    sim = make_sim(tenant)
    api = Api(sim)
    assert [api("GET", ENVIRONMENTS).status_code for _ in range(2)] == [503, 200]


def test_the_client_rides_out_a_short_503_storm(sim, make_client):
    client = make_client(sim)
    sim.faults.add("server-error", status=503, times=2, path="/api/portfolios/")
    assert len(client.portfolio.environments()) == 3
    assert [e.status for e in sim.request_log if e.path == ENVIRONMENTS] == [503, 503, 200]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("earthquake", "unknown fault 'earthquake'"),
        ("server-error:status=418", "status must be one of"),
        ("server-error:colour=red", "unknown option(s) colour"),
        ("slow-response:seconds", "must look like name=value"),
        ("drop-connection:times=often", "invalid literal"),
    ],
)
def test_bad_fault_switches_are_explained(text, message):
    with pytest.raises(FaultError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_fault(text)


def test_fault_options_parse_from_the_command_line_form():
    fault = parse_fault("server-error:status=502,times=3,path=/api/deployments/,method=post")
    assert (fault.status, fault.times, fault.path, fault.method) == (502, 3, "/api/deployments/", "POST")


def test_analysis_unavailable_over_http_is_the_domain_problem_details(sim, clock):
    api = Api(sim)
    k = keys(sim)
    body = {"assetKey": k["Orders Portal"], "revision": 19, "environmentKey": k["QA"]}
    started = api("POST", "/api/dependency-management/v1/deployment-analyses", json=body).json()[
        "analysisKey"
    ]
    sim.faults.add("analysis-unavailable")
    for method, path, payload in (
        ("POST", "/api/dependency-management/v1/deployment-analyses", body),
        ("GET", f"/api/dependency-management/v1/deployment-analyses/{started}", None),
    ):
        answer = api(method, path, json=payload)
        assert answer.status_code == 404
        assert answer.json()["status"] == 404
        assert "traceId" not in answer.json()  # dependency-management's ProblemDetails has none
    assert (
        api("GET", "/api/dependency-management/v1/assets/" + k["Orders API"] + "/consumers").status_code
        == 200
    )
