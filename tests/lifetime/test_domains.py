"""What each domain module makes of LifeTime's answers."""

from __future__ import annotations

import pytest

from odc_pipeline.lifetime import PropertyNotAppliedError
from odc_pipeline.lifetime.models import PlanStatus, PlanStatusReport

from .stub import BASE, PROPS, Reply

APP = {"Key": "app-1", "Name": "Orders", "Kind": "WebResponsive"}


def test_environments_come_in_pipeline_order(lt, stub):
    stub.on(
        "GET",
        f"{BASE}/environments/",
        Reply(
            200,
            [
                {"Key": "prd", "Name": "Production", "Order": 3, "OSVersion": "11.27.0.1", "UseHTTPS": True},
                {"Key": "dev", "Name": "Development", "Order": 1, "HostName": "dev.acme.com"},
                {"Key": "tst", "Name": "Test", "Order": 2, "NewField": "kept"},
            ],
        ),
    )
    envs = lt.environments.list()
    assert [e.key for e in envs] == ["dev", "tst", "prd"]
    assert envs[2].os_version == "11.27.0.1"
    assert envs[2].use_https is True
    assert envs[1].model_extra == {"NewField": "kept"}
    assert lt.environments.find_by_name("production").key == "prd"
    assert lt.environments.find_by_name("Staging") is None


def test_deployment_zones(lt, stub):
    stub.on(
        "GET",
        f"{BASE}/environments/prd/deploymentzones/",
        Reply(
            200,
            [
                {
                    "Key": "z1",
                    "Name": "Global",
                    "IsDefault": True,
                    "DeploymentTechnology": {"Key": "k", "Name": "IIS"},
                }
            ],
        ),
    )
    (zone,) = lt.environments.deployment_zones("prd")
    assert zone.is_default is True
    assert zone.deployment_technology.name == "IIS"


def test_asking_for_modules_asks_for_the_status_too(lt, stub):
    stub.on("GET", f"{BASE}/applications/", Reply(200, [APP]))
    lt.applications.list(include_modules=True)
    assert dict(stub.seen[-1].query) == {"IncludeModules": "true", "IncludeEnvStatus": "true"}


def test_status_in_an_environment(lt, stub):
    stub.on(
        "GET",
        f"{BASE}/environments/prd/applications/app-1/",
        Reply(
            200,
            {
                **APP,
                "AppStatusInEnvs": [
                    {
                        "EnvironmentKey": "prd",
                        "BaseApplicationVersionKey": "v1",
                        "BaseApplicationVersionLabel": "1.0.0",
                        "IsModified": True,
                        "MobileAppsStatus": None,
                    }
                ],
            },
        ),
    )
    status = lt.applications.status_in("prd", "app-1")
    assert status.base_application_version_key == "v1"
    assert status.is_modified is True
    assert status.mobile_apps_status == []


@pytest.mark.parametrize(
    "answer",
    [
        Reply(404, {"Errors": ["Failed to retrieve the environment or the application"], "StatusCode": 404}),
        Reply(
            200, {**APP, "AppStatusInEnvs": [{"EnvironmentKey": "dev", "BaseApplicationVersionKey": "v1"}]}
        ),
        Reply(200, {**APP, "AppStatusInEnvs": []}),
    ],
    ids=["404", "200-other-env-only", "200-no-status"],
)
def test_an_app_not_deployed_in_the_environment_has_no_status(lt, stub, answer):
    """Both answers LifeTime may give (notes §5.10) mean "does not run there"."""
    stub.on("GET", f"{BASE}/environments/prd/applications/app-1/", answer)
    assert lt.applications.status_in("prd", "app-1") is None


def test_versions_list_and_find(lt, stub):
    stub.on(
        "GET",
        f"{BASE}/applications/app-1/versions/",
        Reply(
            200,
            [
                {"Key": "v2", "Version": "1.1.0", "CreatedOn": "2026-01-02T10:00:00"},
                {"Key": "v1", "Version": "1.0.0"},
            ],
        ),
    )
    assert lt.versions.find("app-1", "1.0.0").key == "v1"
    assert lt.versions.find("app-1", "9.9.9") is None
    assert dict(stub.seen[-1].query) == {"MaximumVersionsToReturn": "20"}
    with pytest.raises(ValueError, match="negative"):
        lt.versions.list("app-1", max_versions=-1)


def test_a_tag_sends_an_empty_mobile_list_and_no_deprecated_module_keys(lt, stub):
    path = f"{BASE}/environments/dev/applications/app-1/versions/"
    stub.on("POST", path, Reply(201, {"ApplicationVersionKey": "v3"}))
    lt.versions.tag("dev", "app-1", version="1.2.0", change_log="Go live")
    assert stub.seen[-1].json == {"ChangeLog": "Go live", "Version": "1.2.0", "MobileVersions": []}


def test_plan_details_with_conflicts(lt, stub):
    stub.on(
        "GET",
        f"{BASE}/deployments/p1/",
        Reply(
            200,
            {
                "Deployment": {
                    "Key": "p1",
                    "Notes": "n",
                    "ApplicationOperations": [{"ApplicationVersionKey": "v1"}],
                },
                "ApplicationsToRedeploy": ["app-2"],
                "ApplicationConflicts": [
                    {
                        "Message": "Orders Core is outdated",
                        "ConsumerApplicationOperation": {
                            "ApplicationKey": "app-2",
                            "DeploymentOperation": "Do Nothing",
                        },
                        "ModuleConflict": {
                            "ConflictType": "Consumer Module Outdated",
                            "TotalRequiredElements": 2,
                        },
                    }
                ],
            },
        ),
    )
    details = lt.deployments.get("p1")
    assert details.deployment.version_keys == {"v1"}
    assert details.applications_to_redeploy == ["app-2"]
    (conflict,) = details.application_conflicts
    assert conflict.module_conflict.conflict_type == "Consumer Module Outdated"
    assert conflict.consumer_application_operation.application_key == "app-2"


def test_the_plan_body_has_the_swagger_field_order_and_the_default_zone(lt, stub):
    stub.on("POST", f"{BASE}/deployments/", Reply(201, "p1"))
    lt.deployments.create(
        source_environment_key="dev", target_environment_key="prd", operations=["v1"], notes="n"
    )
    assert stub.seen[-1].json == {
        "Notes": "n",
        "SourceEnvironmentKey": "dev",
        "TargetEnvironmentKey": "prd",
        "ApplicationOperations": [{"ApplicationVersionKey": "v1", "DeploymentZoneKey": ""}],
    }


@pytest.mark.parametrize(
    ("status", "info", "finished", "prepared"),
    [
        ("running", "", False, False),
        ("needs_user_intervention", "deployment_prepared", False, True),
        ("needs_user_intervention", "deployment_suspended", False, False),
        ("saved", "", False, False),
        ("aborting", "", False, False),
        ("finished_with_warnings", "", True, False),
        ("force_finished", "", True, False),
        ("aborted", "", True, False),
    ],
)
def test_plan_status_reading(status, info, finished, prepared):
    report = PlanStatusReport.model_validate(
        {
            "DeploymentStatus": status,
            "Info": info,
            "DeploymentLog": [{"Instant": "1900-01-01T00:00:00", "Message": "m"}],
        }
    )
    assert report.finished is finished
    assert report.prepared is prepared
    assert report.deployment_log[0].instant is None
    assert report.deployment_log[0].type is None  # DOCDEPLOY's log entries lack Type


def test_status_values_are_the_swaggers_verbatim():
    from odc_pipeline import swagger

    spec = swagger.load_spec("lifetime-api-v2.json")
    description = spec["definitions"]["DeploymentMessageListTextTextRecord"]["properties"]["DeploymentStatus"]
    text = str(description)
    assert all(value.value in text for value in PlanStatus)


def test_delete_and_list_plans(lt, stub):
    stub.on("DELETE", f"{BASE}/deployments/p1/", Reply(204))
    stub.on("GET", f"{BASE}/deployments/", Reply(200, [{"Key": "p2"}, {"Key": "p1"}]))
    lt.deployments.delete("p1")
    assert [p.key for p in lt.deployments.list(target_environment_key="prd")] == ["p2", "p1"]


def test_a_site_property_is_sent_as_raw_text(lt, stub):
    path = f"{PROPS}/Modules/m1/Environments/prd/SiteProperties/sp1/Value/"
    stub.on("PUT", path, Reply(201, {"Success": True, "Message": ""}))
    assert lt.properties.set_site_property("m1", "prd", "sp1", 'https://x/"y"').success is True
    assert stub.seen[-1].body == b'https://x/"y"'
    assert stub.seen[-1].headers["Content-Type"] == "application/json"


def test_a_value_the_properties_api_did_not_apply_is_an_error_with_secrets_masked(lt, stub, secrets):
    secrets.register("p4ssw0rd-value")
    path = f"{PROPS}/Modules/m1/Environments/prd/Timers/t1/Schedule/"
    stub.on("PUT", path, Reply(201, {"Success": False, "Message": "invalid schedule p4ssw0rd-value"}))
    with pytest.raises(PropertyNotAppliedError) as caught:
        lt.properties.set_timer_schedule("m1", "prd", "t1", "p4ssw0rd-value")
    assert "did not apply TimerSchedule 't1' of module 'm1' in environment 'prd'" in str(caught.value)
    assert "p4ssw0rd-value" not in str(caught.value)


def test_a_properties_put_is_retried_on_a_dropped_connection(lt, stub):
    from .stub import dropped

    path = f"{PROPS}/Modules/m1/Environments/prd/RESTReferences/r1/EffectiveURL/"
    stub.on("PUT", path, dropped(), Reply(201, {"Success": True, "Message": ""}))
    lt.properties.set_rest_endpoint("m1", "prd", "r1", "https://api")
    assert len(stub.calls("PUT", path)) == 2


def test_plans_in_progress_for_a_target(lt, stub):
    stub.on(
        "GET",
        f"{BASE}/deployments/",
        Reply(
            200, [{"Key": k, "TargetEnvironmentKey": "prd"} for k in ("p-run", "p-saved", "p-done", "p-wait")]
        ),
    )
    statuses = {
        "p-run": "running",
        "p-saved": "saved",
        "p-done": "finished_successful",
        "p-wait": "needs_user_intervention",
    }
    for key, status in statuses.items():
        stub.on(
            "GET",
            f"{BASE}/deployments/{key}/status/",
            Reply(200, {"DeploymentStatus": status, "Info": "", "DeploymentLog": []}),
        )
    assert [p.key for p, _ in lt.deployments.in_progress("prd")] == ["p-run", "p-wait"]
    assert [p.key for p, _ in lt.deployments.in_progress("prd", include_saved=True)] == [
        "p-run",
        "p-saved",
        "p-wait",
    ]
    assert dict(stub.calls("GET", f"{BASE}/deployments/")[0].query) == {"TargetEnvironmentKey": "prd"}
