"""Deployment plans: create, validate, start, 2-stage, continue, abort, the per-target queue, outcomes.

The simulator shares a ManualClock with the test: nothing sleeps, time moves when the test says so.
"""

from __future__ import annotations

import pytest

from odc_pipeline.swagger import UNSET_DATE

from .conftest import Api, edited

PREPARE, DEPLOY, ABORT = 20.0, 40.0, 5.0  # the example tenant's durations


def state_of(api: Api, key: str) -> tuple[str, str]:
    status = api.status(key)
    return status["DeploymentStatus"], status["Info"]


def test_a_new_plan_is_saved_with_unset_dates(api):
    key = api.plan("Development", "Test", "Customer Portal")
    body = api("GET", f"/deployments/{key}").json()
    plan = body["Deployment"]
    assert plan["Key"] == key
    assert plan["StartedOn"] == plan["AbortedOn"] == UNSET_DATE
    assert plan["ApplicationOperations"][0]["DeploymentOperation"] == "Deploy 1.2.0"
    assert body["ApplicationConflicts"] == []
    assert api.status(key) == {"DeploymentStatus": "saved", "Info": "", "DeploymentLog": []}


def test_start_runs_at_once_and_the_target_runs_the_versions_afterwards(sim, api, clock):
    key = api.plan("Development", "Test", "Customer Portal", "Orders Mobile")
    assert api("POST", f"/deployments/{key}/start/").status_code == 202
    assert state_of(api, key) == ("running", "")
    clock.advance(PREPARE + DEPLOY - 1)
    assert state_of(api, key) == ("running", "")
    assert sim.state.running_version("Test", "Customer Portal") == "1.1.0"
    clock.advance(1)
    assert state_of(api, key) == ("finished_successful", "")
    assert sim.state.running_version("Test", "Customer Portal") == "1.2.0"
    assert sim.state.running_version("Test", "Orders Mobile") == "1.0.0"
    log = api.status(key)["DeploymentLog"]
    assert [m["Type"] for m in log] == ["Info"] * len(log)
    assert log[-1]["Message"] == "Deployment finished successfully."
    started = api("GET", f"/deployments/{key}").json()["Deployment"]["StartedOn"]
    assert started != UNSET_DATE


def test_two_stage_stops_prepared_until_continued(sim, api, clock):
    key = api.plan("Test", "Production", "Customer Portal")
    assert api("POST", f"/deployments/{key}/continue").status_code == 400  # not started yet
    api("POST", f"/deployments/{key}/start")
    clock.advance(PREPARE)
    assert state_of(api, key) == ("needs_user_intervention", "deployment_prepared")
    clock.advance(3600)
    assert state_of(api, key) == ("needs_user_intervention", "deployment_prepared")
    assert sim.state.running_version("Production", "Customer Portal") == "1.0.0"
    assert api("POST", f"/deployments/{key}/continue").status_code == 202
    assert state_of(api, key) == ("running", "")
    assert api("POST", f"/deployments/{key}/continue").status_code == 400
    clock.advance(DEPLOY)
    assert state_of(api, key) == ("finished_successful", "")
    assert sim.state.running_version("Production", "Customer Portal") == "1.1.0"


def test_abort_goes_through_aborting_and_changes_nothing(sim, api, clock):
    key = api.plan("Development", "Test", "Customer Portal")
    assert api("POST", f"/deployments/{key}/abort").status_code == 400  # saved plans are deleted, not aborted
    api("POST", f"/deployments/{key}/start")
    clock.advance(PREPARE / 2)
    assert api("POST", f"/deployments/{key}/abort").status_code == 202
    assert state_of(api, key) == ("aborting", "")
    clock.advance(ABORT)
    assert state_of(api, key) == ("aborted", "")
    clock.advance(DEPLOY * 2)
    assert state_of(api, key) == ("aborted", "")
    assert sim.state.running_version("Test", "Customer Portal") == "1.1.0"
    assert api("GET", f"/deployments/{key}").json()["Deployment"]["AbortedOn"] != UNSET_DATE


def test_abort_is_refused_once_stage_two_deploys(api, clock):
    key = api.plan("Development", "Test", "Customer Portal")
    api("POST", f"/deployments/{key}/start")
    clock.advance(PREPARE + 1)
    refused = api("POST", f"/deployments/{key}/abort")
    assert refused.status_code == 400
    assert refused.json() == {
        "Errors": [f"Command abort can't be executed for deployment {key}."],
        "StatusCode": 400,
    }


def test_a_prepared_two_stage_plan_can_be_aborted(api, clock):
    key = api.plan("Test", "Production", "Customer Portal")
    api("POST", f"/deployments/{key}/start")
    clock.advance(PREPARE)
    assert api("POST", f"/deployments/{key}/abort").status_code == 202
    clock.advance(ABORT)
    assert state_of(api, key) == ("aborted", "")


def test_one_plan_runs_per_target_the_next_waits(sim, api, clock):
    first = api.plan("Development", "Test", "Customer Portal")
    second = api.plan("Development", "Test", "Orders Mobile")
    other_target = api.plan("Test", "Production", "Core Services")
    api("POST", f"/deployments/{first}/start")
    clock.advance(10)
    api("POST", f"/deployments/{second}/start")
    api("POST", f"/deployments/{other_target}/start")
    assert state_of(api, second) == ("running", "")
    assert "Waiting for deployment plan" in api.status(second)["DeploymentLog"][-1]["Message"]
    clock.advance(PREPARE + DEPLOY - 10)  # the first ends; the second begins now
    assert state_of(api, first) == ("finished_successful", "")
    assert state_of(api, second) == ("running", "")
    assert sim.state.running_version("Test", "Orders Mobile") == "0.9.0"
    assert state_of(api, other_target) == ("needs_user_intervention", "deployment_prepared")  # not queued
    clock.advance(PREPARE + DEPLOY)
    assert state_of(api, second) == ("finished_successful", "")
    assert sim.state.running_version("Test", "Orders Mobile") == "1.0.0"


def test_a_plan_waiting_behind_a_prepared_two_stage_plan_waits_until_it_ends(api, clock):
    first = api.plan("Test", "Production", "Customer Portal")
    second = api.plan("Test", "Production", "Core Services")
    api("POST", f"/deployments/{first}/start")
    api("POST", f"/deployments/{second}/start")
    clock.advance(PREPARE + 600)
    assert state_of(api, second) == ("running", "")
    api("POST", f"/deployments/{first}/continue")
    clock.advance(DEPLOY + PREPARE)
    assert state_of(api, second) == ("needs_user_intervention", "deployment_prepared")


@pytest.mark.parametrize(
    ("result", "final", "applied"),
    [
        ("finished_with_warnings", "finished_with_warnings", True),
        ("finished_with_errors", "finished_with_errors", False),
        ("aborted", "aborted", False),
    ],
)
def test_tenant_outcomes(make_sim, clock, result, final, applied):
    tenant = edited(lambda d: d["outcomes"].append({"environment": "Test", "result": result}))
    sim = make_sim(tenant)
    api = Api(sim)
    key = api.plan("Development", "Test", "Customer Portal")
    api("POST", f"/deployments/{key}/start")
    clock.advance(PREPARE + DEPLOY)
    assert state_of(api, key) == (final, "")
    expected = "1.2.0" if applied else "1.1.0"
    assert sim.state.running_version("Test", "Customer Portal") == expected
    kinds = {m["Type"] for m in api.status(key)["DeploymentLog"]}
    assert kinds == {"Info"} | ({"Warning"} if result == "finished_with_warnings" else {"Error"})


def test_outcomes_match_application_version_and_retire_after_times(make_sim, clock):
    spec = {
        "environment": "Test",
        "application": "Orders Mobile",
        "version": "1.0.0",
        "result": "finished_with_errors",
        "times": 1,
    }
    sim = make_sim(edited(lambda d: d["outcomes"].append(spec)))
    api = Api(sim)
    unaffected = api.plan("Development", "Test", "Customer Portal")
    api("POST", f"/deployments/{unaffected}/start")
    clock.advance(PREPARE + DEPLOY)
    assert state_of(api, unaffected)[0] == "finished_successful"
    keys = []
    for _ in range(2):
        key = api.plan("Development", "Test", "Orders Mobile")
        api("POST", f"/deployments/{key}/start")
        clock.advance(PREPARE + DEPLOY)
        keys.append(state_of(api, key)[0])
    assert keys == ["finished_with_errors", "finished_successful"]


def test_a_suspended_deployment_waits_for_continue_or_abort(make_sim, clock):
    sim = make_sim(
        edited(lambda d: d["outcomes"].append({"environment": "Test", "result": "deployment_suspended"}))
    )
    api = Api(sim)
    key = api.plan("Development", "Test", "Customer Portal")
    api("POST", f"/deployments/{key}/start")
    clock.advance(PREPARE + DEPLOY / 2)
    assert state_of(api, key) == ("needs_user_intervention", "deployment_suspended")
    assert api.status(key)["DeploymentLog"][-1]["Type"] == "Error"
    assert api("POST", f"/deployments/{key}/continue").status_code == 202
    clock.advance(DEPLOY / 2)
    assert state_of(api, key) == ("finished_with_warnings", "")
    assert sim.state.running_version("Test", "Customer Portal") == "1.2.0"


def test_delete_and_update_only_while_saved(api, clock):
    key = api.plan("Development", "Test", "Customer Portal")
    keys = api.keys()
    body = {
        "Notes": "changed",
        "SourceEnvironmentKey": keys["Development"],
        "TargetEnvironmentKey": keys["Test"],
        "ApplicationOperations": [
            {
                "ApplicationVersionKey": api.running_key("Development", "Orders Mobile"),
                "DeploymentZoneKey": "",
            }
        ],
    }
    updated = api("PUT", f"/deployments/{key}", json=body)
    assert updated.status_code == 200
    assert updated.json()["Notes"] == "changed"
    assert updated.json()["ApplicationOperations"] == body["ApplicationOperations"]
    listed = api("GET", f"/deployments/{key}").json()["Deployment"]["ApplicationOperations"]
    assert [op["DeploymentOperation"] for op in listed] == ["Deploy 1.0.0"]
    api("POST", f"/deployments/{key}/start")
    assert api("PUT", f"/deployments/{key}", json=body).status_code == 400
    assert api("DELETE", f"/deployments/{key}").status_code == 400
    saved = api.plan("Development", "Test", "Customer Portal")
    assert api("DELETE", f"/deployments/{saved}/").status_code == 204
    assert api("GET", f"/deployments/{saved}").status_code == 404


def test_listing_plans_newest_first_with_filters(api, clock):
    assert api("GET", "/deployments").status_code == 204
    older = api.plan("Development", "Test", "Customer Portal")
    clock.advance(60)
    newer = api.plan("Test", "Production", "Customer Portal")
    listed = api("GET", "/deployments?MinDate=2025-12-31").json()
    assert [p["Key"] for p in listed] == [newer, older]
    production = api.keys()["Production"]
    only = api("GET", f"/deployments?MinDate=2025-12-31&TargetEnvironmentKey={production}").json()
    assert [p["Key"] for p in only] == [newer]
    assert api("GET", "/deployments?MinDate=2026-01-02&MaxDate=2026-01-09").status_code == 204
    assert api("GET", "/deployments?MinDate=2026-01-02&MaxDate=2026-01-01").status_code == 400


def test_unknown_plans_and_commands(api):
    key = api.plan("Development", "Test", "Customer Portal")
    assert api("GET", "/deployments/nope/status").status_code == 404
    assert api("POST", f"/deployments/{key}/rerun").status_code == 404
    assert api("POST", "/deployments/nope/start").status_code == 404


def test_start_is_refused_in_maintenance_mode(api):
    key = api.plan("Development", "Test", "Customer Portal")
    test = api.keys()["Test"]
    assert (
        api(
            "PUT", f"/environments/{test}/maintenancemode", json={"IsMaintenanceModeEnabled": True}
        ).status_code
        == 200
    )
    assert api("POST", f"/deployments/{key}/start").status_code == 400
    api(
        "PUT",
        f"/environments/{test}/maintenancemode/",
        json={"IsMaintenanceModeEnabled": False, "Reason": ""},
    )
    assert api("POST", f"/deployments/{key}/start").status_code == 202


def test_create_checks_environments_versions_and_zones(api):
    keys = api.keys()
    version = api.running_key("Development", "Customer Portal")

    def create(**changes):
        body = {
            "Notes": "",
            "SourceEnvironmentKey": keys["Development"],
            "TargetEnvironmentKey": keys["Test"],
            "ApplicationOperations": [{"ApplicationVersionKey": version, "DeploymentZoneKey": ""}],
        }
        body.update(changes)
        return api("POST", "/deployments", json=body)

    assert create(TargetEnvironmentKey="nope").status_code == 404
    assert (
        create(ApplicationOperations=[{"ApplicationVersionKey": "nope", "DeploymentZoneKey": ""}]).status_code
        == 400
    )
    assert (
        create(
            ApplicationOperations=[{"ApplicationVersionKey": version, "DeploymentZoneKey": "z"}]
        ).status_code
        == 400
    )
    twice = [{"ApplicationVersionKey": version, "DeploymentZoneKey": ""}] * 2
    assert create(ApplicationOperations=twice).status_code == 400
    missing_zone = create(ApplicationOperations=[{"ApplicationVersionKey": version}])
    assert missing_zone.status_code == 400
    assert "DeploymentZoneKey: is required" in missing_zone.json()["Errors"][0]
    zones = api("GET", f"/environments/{keys['Production']}/deploymentzones").json()
    internal = next(z["Key"] for z in zones if z["Name"] == "Internal")
    zoned = create(
        TargetEnvironmentKey=keys["Production"],
        ApplicationOperations=[{"ApplicationVersionKey": version, "DeploymentZoneKey": internal}],
    )
    assert zoned.status_code == 201
