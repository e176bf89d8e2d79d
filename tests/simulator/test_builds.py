"""Builds: status moves with the clock, Debug is the default, failures come from the tenant."""

from __future__ import annotations

import pytest

from odc_pipeline.api import BadRequestError, NotFoundError

from .conftest import edited_tenant, keys, wait_for


def test_build_moves_pending_running_finished_with_the_clock(sim, api, clock):
    portal = keys(sim)["Orders Portal"]
    build = api(
        "POST",
        "/api/builds/v1/build-operations",
        json={"assetKey": portal, "assetRevision": 20, "buildType": "Release"},
    )
    path = f"/api/builds/v1/build-operations/{build.json()['buildKey']}"
    seen = [api("GET", path).json()["status"]]
    for _ in range(3):
        clock.advance(25)
        seen.append(api("GET", path).json()["status"])
    assert seen == ["Pending", "Running", "Running", "Finished"]
    details = api("GET", path).json()
    assert details["finishedDateTime"] > details["startedDateTime"]


def test_post_without_build_type_makes_a_debug_build_that_cannot_be_deployed(sim, api, clock):
    k = keys(sim)
    started = api(
        "POST", "/api/builds/v1/build-operations", json={"assetKey": k["Orders Portal"], "assetRevision": 20}
    )
    assert started.status_code == 201
    build_key = started.json()["buildKey"]
    clock.advance(120)
    assert api("GET", f"/api/builds/v1/build-operations/{build_key}").json()["buildType"] == "Debug"
    deploy = {
        "operation": "Deploy",
        "assetKey": k["Orders Portal"],
        "environmentKey": k["QA"],
        "revision": 20,
        "buildKey": build_key,
    }
    refused = api("POST", "/api/deployments/v1/deployment-operations", json=deploy)
    assert refused.status_code == 400
    assert "Debug" in refused.json()["detail"]
    assert sim.state.running_revision("QA", "Orders Portal") == 19


def test_backoffice_newest_revision_has_only_a_debug_build(sim, make_client):
    client = make_client(sim)
    (backoffice,) = client.assets.find_by_name("Orders Backoffice")
    assert backoffice.revision == 6
    builds = client.builds.list(backoffice.asset_key, revision=6)
    assert [(b.build_type, b.status) for b in builds] == [("Debug", "Finished")]
    assert client.builds.list(backoffice.asset_key, revision=6, build_type="Release") == []


def test_a_failing_build_from_the_tenant_finishes_with_errors_and_logs_why(make_sim, make_client, clock):
    def fail_backoffice(data):
        data["outcomes"] = [
            {
                "operation": "build",
                "asset": "Orders Backoffice",
                "revision": 6,
                "result": "failure",
                "message": "1 error in BulkCancel",
            }
        ]

    sim = make_sim(edited_tenant(fail_backoffice))
    client = make_client(sim)
    backoffice = keys(sim)["Orders Backoffice"]
    started = client.builds.start(backoffice, 6)
    build = wait_for(
        clock, lambda: (b := client.builds.get(started.build_key)).status not in ("Pending", "Running") and b
    )
    assert build.status == "FinishedWithErrors"
    errors = [m for m in client.builds.log_messages(started.build_key) if m.severity == "Error"]
    assert [m.message for m in errors] == ["1 error in BulkCancel"]
    other = client.builds.start(keys(sim)["Orders Portal"], 20)
    assert (
        wait_for(
            clock,
            lambda: (b := client.builds.get(other.build_key)).status not in ("Pending", "Running") and b,
        ).status
        == "Finished"
    )


def test_a_build_of_an_unknown_revision_is_not_found(sim, make_client):
    client = make_client(sim)
    with pytest.raises(NotFoundError):
        client.builds.start(keys(sim)["Orders Portal"], 99)


def test_an_unfinished_build_cannot_be_deployed(sim, make_client):
    client = make_client(sim)
    k = keys(sim)
    started = client.builds.start(k["Orders Portal"], 20)
    with pytest.raises(BadRequestError):
        client.deployments.start(
            operation="Deploy",
            asset_key=k["Orders Portal"],
            environment_key=k["QA"],
            revision=20,
            build_key=started.build_key,
        )


@pytest.mark.parametrize("status", ["Deleted", "ToBeDeleted", "FinishedWithErrors"])
def test_release_builds_that_did_not_finish_well_cannot_be_deployed(make_sim, make_client, status):
    def add_build(data):
        backoffice = next(a for a in data["assets"] if a["name"] == "Orders Backoffice")
        backoffice["builds"].append({"revision": 6, "type": "Release", "status": status})

    sim = make_sim(edited_tenant(add_build))
    client = make_client(sim)
    k = keys(sim)
    (build,) = client.builds.list(k["Orders Backoffice"], revision=6, build_type="Release")
    assert build.status == status
    with pytest.raises(BadRequestError) as refused:
        client.deployments.start(
            operation="Deploy",
            asset_key=k["Orders Backoffice"],
            environment_key=k["QA"],
            revision=6,
            build_key=build.build_key,
        )
    assert status in refused.value.problem.detail
    assert sim.state.running_revision("QA", "Orders Backoffice") == 5
