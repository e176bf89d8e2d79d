"""Simulated time: a ManualClock the tests move, or real time scaled (``--time-scale``)."""

from __future__ import annotations

import time

from odc_pipeline.api import OdcClient
from odc_pipeline.clock import ScaledClock
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.settings import Settings
from odc_pipeline.simulator import start_simulator

from .conftest import EXAMPLE_TENANT, check_against_spec, keys


def _redeploy_api(client, sim):
    k = keys(sim)
    return client.deployments.start(
        operation="Deploy",
        asset_key=k["Orders API"],
        environment_key=k["Production"],
        revision=11,
        build_key=sim.state.running[k["QA"]][k["Orders API"]].build_key,
    )


def test_a_manual_clock_decides_when_a_deploy_finishes(sim, make_client, clock):
    client = make_client(sim)
    operation = _redeploy_api(client, sim)
    real_start = time.monotonic()
    clock.advance(89.9)
    assert client.deployments.get(operation.key).status == "Running"
    assert sim.state.running_revision("Production", "Orders API") == 9
    clock.advance(0.1)
    done = client.deployments.get(operation.key)
    assert done.status == "Finished"
    assert sim.state.running_revision("Production", "Orders API") == 11
    assert (done.finished_date_time - done.started_date_time).total_seconds() == 90
    assert time.monotonic() - real_start < 5  # 90 platform seconds, no real waiting


def test_time_scale_makes_a_90_second_deploy_last_under_a_second():
    with start_simulator(EXAMPLE_TENANT, time_scale=0.01) as sim:
        assert isinstance(sim.clock, ScaledClock)
        settings = Settings(portal_url=sim.url, client_id=sim.client_id, client_secret=sim.client_secret)
        client = OdcClient(settings, clock=sim.clock, secrets=SecretRegistry())
        client.http.session.hooks["response"].append(check_against_spec)
        try:
            operation = _redeploy_api(client, sim)
            real_start = time.monotonic()
            statuses = []
            while (status := client.deployments.get(operation.key).status) == "Running":
                statuses.append(status)
                sim.clock.sleep(2)  # two platform seconds = 20 ms of real time
            real_elapsed = time.monotonic() - real_start
            done = client.deployments.get(operation.key)
        finally:
            client.close()
    assert status == "Finished"
    assert len(statuses) > 10  # it really was Running for a while
    assert real_elapsed < 1.0
    assert (done.finished_date_time - done.started_date_time).total_seconds() == 90
