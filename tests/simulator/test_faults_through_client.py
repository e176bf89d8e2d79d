"""Every fault switch and the organization's rate limits, as the real API client meets them.

The raw HTTP answers are covered in test_faults.py and test_auth_and_limits.py; here the same
switches go through :class:`odc_pipeline.api.OdcClient`, so each test proves what a pipeline
sees: a retry that succeeds, an error it can name, or a POST that is never sent twice. Every
request the client sends here is also checked against the specs (``wire_contract``).
"""

from __future__ import annotations

import pytest
from wire_contract import wire_contract

from odc_pipeline.api import OutcomeUnknownError, RateLimitedError, ServerError

from .conftest import Api, keys

__all__ = ["wire_contract"]  # autouse: every request these tests send is judged by the specs

ENVIRONMENTS = "/api/portfolios/v2/environments"
DEPLOYMENTS = "/api/deployments/v1/deployment-operations"


def _statuses(sim, path):
    return [e.status for e in sim.request_log if e.path == path]


def test_a_short_rate_limit_storm_is_ridden_out_with_backoff(sim, make_client, clock):
    client = make_client(sim)
    sim.faults.add("rate-limit-storm", times=3, path="/api/portfolios/")
    before = clock.monotonic()
    assert len(client.portfolio.environments()) == 3
    assert _statuses(sim, ENVIRONMENTS) == [429, 429, 429, 200]
    assert client.http.retries["429"] == 3
    assert clock.monotonic() - before >= 3 * client.http.settings.rate_limit_backoff_initial


def test_an_endless_rate_limit_storm_becomes_a_rate_limited_error(sim, make_client):
    client = make_client(sim)
    sim.faults.add("rate-limit-storm", path="/api/portfolios/")
    with pytest.raises(RateLimitedError) as raised:
        client.portfolio.environments()
    assert raised.value.status == 429
    assert _statuses(sim, ENVIRONMENTS) == [429] * client.http.settings.max_attempts


def test_the_organization_post_limit_is_shared_by_every_client(sim, make_client, clock):
    """Two pipelines of one organization: the second meets the first one's 10 POSTs/min."""
    first, second = make_client(sim), make_client(sim, "qa-deployer")
    portal = keys(sim)["Orders Portal"]
    for _ in range(10):
        first.builds.start(portal, 20)
    clock.advance(45)  # the client's backoff (>= 5 s per 429, jittered) then covers the rest
    assert second.builds.start(portal, 20).is_successful
    posts = [e for e in sim.request_log.find("POST", "/build-operations") if e.client_id == "qa-deployer"]
    assert posts[0].status == 429
    assert posts[-1].status == 201
    assert posts[-1].time >= 60  # admitted only once the minute slid past the first ten


def test_the_domain_limit_of_a_hundred_per_minute_is_shared_too(sim, make_client, clock):
    other = Api(sim, "read-only")  # another integration of the same organization
    assert {other("GET", ENVIRONMENTS).status_code for _ in range(100)} == {200}
    client = make_client(sim)
    clock.advance(45)
    assert len(client.portfolio.environments()) == 3
    mine = [e for e in sim.request_log if e.path == ENVIRONMENTS and e.client_id == sim.client_id]
    assert mine[0].status == 429
    assert mine[-1].status == 200
    assert mine[-1].time >= 60


def test_a_500_on_a_read_is_retried_then_is_a_server_error(sim, make_client):
    client = make_client(sim)
    sim.faults.add("server-error", status=500, path="/api/portfolios/")
    with pytest.raises(ServerError) as raised:
        client.portfolio.environments()
    assert raised.value.status == 500
    assert raised.value.problem.status == 500
    assert _statuses(sim, ENVIRONMENTS) == [500] * client.http.settings.max_attempts


def test_one_500_on_a_read_costs_one_retry(sim, make_client):
    client = make_client(sim)
    sim.faults.add("server-error", status=500, times=1, path="/api/portfolios/")
    assert len(client.portfolio.environments()) == 3
    assert _statuses(sim, ENVIRONMENTS) == [500, 200]


@pytest.mark.parametrize("status", [502, 503])
def test_gateway_errors_on_reads_are_retried(sim, make_client, status):
    client = make_client(sim)
    sim.faults.add("server-error", status=status, times=2, path="/api/portfolios/")
    assert len(client.portfolio.environments()) == 3
    assert _statuses(sim, ENVIRONMENTS) == [status, status, 200]


def _deploy_api_r11_to_production(client, sim, **extra):
    k = keys(sim)
    build_key = sim.state.running[k["QA"]][k["Orders API"]].build_key
    return client.deployments.start(
        operation="Deploy",
        asset_key=k["Orders API"],
        environment_key=k["Production"],
        revision=11,
        build_key=build_key,
        **extra,
    )


def test_a_502_on_a_deploy_post_is_never_resent_blindly(sim, make_client):
    client = make_client(sim)
    sim.faults.add("server-error", status=502, times=1, method="POST", path=DEPLOYMENTS)
    with pytest.raises(OutcomeUnknownError):
        _deploy_api_r11_to_production(client, sim)
    assert _statuses(sim, DEPLOYMENTS) == [502]


def test_a_dropped_deploy_post_is_looked_up_for_the_grace_window_and_never_resent(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    sim.faults.add("drop-connection", times=1, method="POST", path=DEPLOYMENTS)
    finder = client.deployments.finder(
        operation="Deploy", asset_key=k["Orders API"], environment_key=k["Production"]
    )
    before = clock.monotonic()
    with pytest.raises(OutcomeUnknownError, match="outcome unknown"):
        _deploy_api_r11_to_production(client, sim, find_again=finder)
    assert clock.monotonic() - before >= client.http.grace_seconds()
    sequence = [(e.method, e.status) for e in sim.request_log if e.path == DEPLOYMENTS]
    assert sequence[0] == ("POST", 0)
    assert set(sequence[1:]) == {("GET", 200)}  # looked up only, never sent again
    assert len(sequence) > 10


def test_dropped_connections_on_reads_are_retried(sim, make_client):
    client = make_client(sim)
    sim.faults.add("drop-connection", times=2, method="GET", path="/api/portfolios/")
    assert len(client.portfolio.environments()) == 3
    assert _statuses(sim, ENVIRONMENTS) == [0, 0, 200]
    assert client.http.retries["connection"] == 2


def test_slow_responses_spend_the_shared_clock_and_still_answer(sim, make_client, clock):
    client = make_client(sim)
    client.portfolio.environments()  # token fetched before timing
    sim.faults.add("slow-response", seconds=20, times=1, path="/api/portfolios/")
    before = clock.monotonic()
    assert len(client.portfolio.environments()) == 3
    assert clock.monotonic() - before == pytest.approx(20)


def test_token_expiry_mid_run_is_one_transparent_reauthentication(sim, make_client):
    client = make_client(sim)
    sim.faults.add("token-expiry", after=1, path="/api/portfolios/")
    client.portfolio.environments()
    assert len(client.portfolio.environments()) == 3
    assert _statuses(sim, ENVIRONMENTS) == [200, 401, 200]
    assert len([e for e in sim.request_log if e.path.endswith("/token")]) == 2
