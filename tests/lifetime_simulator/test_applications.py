"""Applications, versions, tags (usable after a processing time) and the conflicts a plan validates into."""

from __future__ import annotations

from .conftest import Api, edited

TAG_PROCESSING = 10.0


def test_applications_with_status_per_environment(api):
    keys = api.keys()
    assert api("GET", "/applications?IncludeModules=True").status_code == 400  # modules need the status
    apps = {
        a["Name"]: a for a in api("GET", "/applications?IncludeModules=True&IncludeEnvStatus=True").json()
    }
    portal = {s["EnvironmentKey"]: s for s in apps["Customer Portal"]["AppStatusInEnvs"]}
    dev = portal[keys["Development"]]
    assert (dev["BaseApplicationVersionLabel"], dev["IsModified"], dev["IsModifiedReason"]) == (
        "1.2.0",
        True,
        "Module_Modified",
    )
    assert portal[keys["Test"]]["IsModified"] is False
    assert len(dev["ModuleStatusInEnvs"]) == 2
    assert keys["Production"] not in {s["EnvironmentKey"] for s in apps["Orders Mobile"]["AppStatusInEnvs"]}
    plain = api("GET", "/applications").json()
    assert all("AppStatusInEnvs" not in a for a in plain)


def test_an_app_not_in_the_environment_is_404_or_rehearsed_as_200_without_status(make_sim):
    for variant, expected in (("not_found", 404), ("without_status", 200)):
        sim = make_sim(
            edited(lambda d, v=variant: d.setdefault("undoc", {}).update(app_not_in_environment=v))
        )
        api = Api(sim)
        keys = api.keys()
        answer = api(
            "GET",
            f"/environments/{keys['Production']}/applications/{keys['Orders Mobile']}?IncludeEnvStatus=True",
        )
        assert answer.status_code == expected
        if expected == 200:
            assert answer.json()["AppStatusInEnvs"] == []


def test_versions_list_newest_first_limited_and_filtered(api):
    app = api.keys()["Customer Portal"]
    versions = api("GET", f"/applications/{app}/versions").json()
    assert [v["Version"] for v in versions] == ["1.2.0", "1.1.0", "1.0.0"]
    assert [
        v["Version"] for v in api("GET", f"/applications/{app}/versions?MaximumVersionsToReturn=1").json()
    ] == ["1.2.0"]
    assert [
        v["Version"] for v in api("GET", f"/applications/{app}/versions?ChangeLogFilter=history").json()
    ] == ["1.1.0"]
    assert api("GET", f"/applications/{app}/versions?MaximumVersionsToReturn=-1").status_code == 400
    key = versions[0]["Key"]
    assert api("GET", f"/applications/{app}/versions/{key}").status_code == 400  # IncludeModules is required
    with_modules = api("GET", f"/applications/{app}/versions/{key}?IncludeModules=True").json()
    assert len(with_modules["ModuleVersions"]) == 2
    assert with_modules["InUse"] is True


def test_delete_version_only_when_unused(api, clock):
    app = api.keys()["Customer Portal"]
    versions = {v["Version"]: v["Key"] for v in api("GET", f"/applications/{app}/versions").json()}
    assert (
        api("DELETE", f"/applications/{app}/versions/{versions['1.2.0']}").status_code == 400
    )  # runs in Dev
    assert (
        api("DELETE", f"/applications/{app}/versions/{versions['1.0.0']}").status_code == 400
    )  # runs in Prod
    tagged = tag(api, "Development", "Customer Portal", "1.3.0")
    clock.advance(TAG_PROCESSING)
    assert api("DELETE", f"/applications/{app}/versions/{versions['1.2.0']}").status_code == 204
    assert api("GET", f"/applications/{app}/versions/{tagged}?IncludeModules=False").status_code == 200


def tag(api: Api, env: str, app: str, version: str, change_log: str = "tagged") -> str:
    keys = api.keys()
    answer = api(
        "POST",
        f"/environments/{keys[env]}/applications/{keys[app]}/versions",
        json={"ChangeLog": change_log, "Version": version, "MobileVersions": []},
    )
    assert answer.status_code == 201, answer.text
    return answer.json()["ApplicationVersionKey"]


def test_tagging_creates_a_version_usable_after_the_processing_time(sim, api, clock):
    key = tag(api, "Development", "Customer Portal", "1.3.0", "Returns v2")
    keys = api.keys()
    status = api(
        "GET",
        f"/environments/{keys['Development']}/applications/{keys['Customer Portal']}?IncludeEnvStatus=True",
    ).json()
    assert status["AppStatusInEnvs"][0]["BaseApplicationVersionKey"] == key
    assert status["AppStatusInEnvs"][0]["IsModified"] is False
    body = {
        "Notes": "",
        "SourceEnvironmentKey": keys["Development"],
        "TargetEnvironmentKey": keys["Test"],
        "ApplicationOperations": [{"ApplicationVersionKey": key, "DeploymentZoneKey": ""}],
    }
    early = api("POST", "/deployments", json=body)
    assert early.status_code == 400
    assert "still being processed" in early.json()["Errors"][0]
    clock.advance(TAG_PROCESSING)
    assert api("POST", "/deployments", json=body).status_code == 201


def test_tag_refusals(api):
    keys = api.keys()
    assert api("POST", f"/environments/{keys['Development']}/applications/{keys['Customer Portal']}/versions",
               json={"ChangeLog": "", "Version": "1.2.0"}).status_code == 400  # fmt: skip
    assert api("POST", f"/environments/{keys['Production']}/applications/{keys['Orders Mobile']}/versions",
               json={"ChangeLog": "", "Version": "2.0.0"}).status_code == 404  # fmt: skip
    assert api("POST", f"/environments/{keys['Development']}/applications/{keys['Customer Portal']}/versions",
               json={"ChangeLog": "", "Version": 2}).status_code == 400  # fmt: skip


def test_an_unprocessed_version_can_be_rehearsed_as_not_found(make_sim, clock):
    sim = make_sim(edited(lambda d: d.setdefault("undoc", {}).update(unprocessed_version="not_found")))
    api = Api(sim)
    key = tag(api, "Development", "Customer Portal", "1.3.0")
    app = api.keys()["Customer Portal"]
    assert api("GET", f"/applications/{app}/versions/{key}?IncludeModules=False").status_code == 404
    clock.advance(TAG_PROCESSING)
    assert api("GET", f"/applications/{app}/versions/{key}?IncludeModules=False").status_code == 200


def conflicts(api: Api, key: str) -> list[dict]:
    return api("GET", f"/deployments/{key}").json()["ApplicationConflicts"]


def test_a_blocked_application_is_a_conflict_and_start_is_refused(api):
    key = api.plan("Test", "Production", "Legacy Reports")
    found = conflicts(api, key)
    assert [c["Message"] for c in found] == [
        "Application Legacy Reports is blocked in environment Production: Blocked in the tenant file."
    ]
    assert api("POST", f"/deployments/{key}/start?RedeployOutdated=True").status_code == 400


def test_blocking_through_the_configurations_endpoint(api):
    keys = api.keys()
    app = keys["Orders Mobile"]
    body = {
        "configurations": [
            {"environmentKey": keys["Test"], "isBlocked": True, "isBlockedChangeReason": "freeze"}
        ]
    }
    assert api("PUT", f"/applications/{app}/configurations", json=body).status_code == 204
    listed = api("GET", f"/applications/{app}/configurations").json()["configurations"]
    assert {c["environmentKey"]: c["isBlocked"] for c in listed}[keys["Test"]] is True
    key = api.plan("Development", "Test", "Orders Mobile")
    assert "freeze" in conflicts(api, key)[0]["Message"]


def test_an_older_version_than_the_target_runs_is_a_conflict(api):
    key = api.plan("Production", "Test", "Customer Portal")  # 1.0.0 over 1.1.0
    assert (
        "runs version 1.1.0 of Customer Portal, newer than version 1.0.0" in conflicts(api, key)[0]["Message"]
    )
    assert api("POST", f"/deployments/{key}/start").status_code == 400


def test_a_missing_producer_is_a_conflict(make_sim):
    sim = make_sim(edited(lambda d: d["applications"][0]["running"].pop("Production")))  # no Core Services
    api = Api(sim)
    key = api.plan("Test", "Production", "Customer Portal")
    found = conflicts(api, key)
    assert found[0]["ModuleConflict"]["ConflictType"] == "Producer Module Missing"
    assert found[0]["ProducerApplicationOperation"]["ApplicationKey"] == api.keys()["Core Services"]
    both = api.plan("Test", "Production", "Customer Portal", "Core Services")
    assert conflicts(api, both) == []


def test_a_breaking_producer_leaves_consumers_outdated_unless_redeployed(make_sim, clock):
    def breaking(data):
        data["applications"][0]["versions"][1]["breaking"] = True  # Core Services 2.1.0

    sim = make_sim(edited(breaking))
    api = Api(sim)
    key = api.plan("Test", "Production", "Core Services")
    found = conflicts(api, key)
    assert [c["ModuleConflict"]["ConflictType"] for c in found] == ["Consumer Module Outdated"]
    detail = api("GET", f"/deployments/{key}").json()
    assert detail["ApplicationsToRedeploy"] == [api.keys()["Customer Portal"]]
    assert api("POST", f"/deployments/{key}/start?RedeployOutdated=False").status_code == 400
    assert api("POST", f"/deployments/{key}/start?RedeployOutdated=True").status_code == 202
    clock.advance(20)
    api("POST", f"/deployments/{key}/continue")
    clock.advance(40)
    assert api.status(key)["DeploymentStatus"] == "finished_successful"
    assert sim.state.running_version("Production", "Core Services") == "2.1.0"


def test_modules_and_their_versions(api):
    modules = {m["Name"]: m for m in api("GET", "/modules?IncludeEnvStatus=True").json()}
    portal = modules["CustomerPortal"]
    assert portal["Kind"] == "eSpace"
    assert {s["EnvironmentKey"] for s in portal["ModuleStatusInEnv"]} == {
        api.keys()[e] for e in ("Development", "Test", "Production")
    }
    versions = api("GET", f"/modules/{portal['Key']}/versions?MaximumVersionsToReturn=2").json()
    assert len(versions) == 2
    one = api("GET", f"/modules/{portal['Key']}/versions/{versions[0]['Key']}").json()
    assert one == versions[0]
    assert api("GET", "/modules/nope").status_code == 404
    assert "ModuleStatusInEnv" not in api("GET", f"/modules/{portal['Key']}").json()


def test_operations_the_simulator_does_not_implement_say_so(api):
    answer = api("GET", "/users")
    assert answer.status_code == 501
    assert "does not implement GET /lifetimeapi/rest/v2/users/" in answer.json()["Errors"][0]
