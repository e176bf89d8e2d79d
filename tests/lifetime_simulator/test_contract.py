"""The contract hook sees every answer, and it is not a check that cannot fail."""

from __future__ import annotations

from odc_pipeline import swagger
from odc_pipeline.clock import ManualClock
from odc_pipeline.lifetime_simulator import start_lifetime_simulator

from .conftest import EXAMPLE, Api


def test_every_answer_to_a_swagger_operation_reaches_the_hook():
    seen: list[tuple[str, int]] = []
    with start_lifetime_simulator(
        EXAMPLE,
        clock=ManualClock(),
        on_response=lambda op, status, ct, body: seen.append((op.endpoint, status)),
    ) as sim:
        api = Api(sim)
        key = api.plan("Development", "Test", "Customer Portal")
        api("POST", f"/deployments/{key}/start")
        api("GET", "/nothing")  # no operation: not checked
        sim.faults.add("server-error", times=1)
        api("GET", "/environments")  # forced by a fault: not checked
        logged = [(e.endpoint, e.status) for e in sim.request_log if e.template and e.status not in (0, 503)]
    assert seen == logged
    assert ("POST /lifetimeapi/rest/v2/deployments/", 201) in seen


def test_the_check_catches_an_answer_the_swagger_does_not_describe():
    status = swagger.find_operation("GET", "/lifetimeapi/rest/v2/deployments/k/status")
    assert status is not None
    problems = status.check_response(200, "application/json", b'{"DeploymentStatus": "running"}')
    assert problems == ["$.Info: is required", "$.DeploymentLog: is required"]
    body = b'{"DeploymentStatus": 3, "Info": "", "DeploymentLog": [], "Extra": null}'
    problems = status.check_response(200, "application/json", body)
    assert problems == [
        "$.DeploymentStatus: expected string, got integer",
        "$.Extra: unknown field (the spec allows no additional properties)",
    ]
