"""External proof: OutSystems' own ``outsystems-pipeline`` 0.11.0 scripts, unmodified, against the simulator.

Each script runs as ``python -m outsystems.pipeline.<script>`` in a subprocess, as CI pipelines run
it. Its 20 s poll sleep is overridden through its own config file (``-cf``, notes §3.0) to 0; the
simulator runs on a ScaledClock (one platform second = 2 ms) so a 60 s deployment lasts ~0.1 s.
The Properties API is hard-coded to https in the package, so every script talks HTTPS here and
trusts the simulator's certificate through ``REQUESTS_CA_BUNDLE`` (requests' own variable);
``fetch_lifetime_data`` also runs over plain HTTP. The contract hook of ``conftest`` checks every
answer the scripts received against the swagger.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from odc_pipeline.clock import ScaledClock
from odc_pipeline.lifetime_simulator import RunningLifeTimeSimulator

from .conftest import Api, edited

pytestmark = pytest.mark.slow
SCALE = 0.002


@pytest.fixture
def lt(make_sim, certificate) -> RunningLifeTimeSimulator:
    return make_sim(clock=ScaledClock(SCALE), certificate=certificate)


@pytest.fixture
def lt_api(lt, certificate) -> Api:
    return Api(lt, verify=str(certificate[0]))


def run_script(
    sim: RunningLifeTimeSimulator, workdir: Path, certificate: tuple[Path, Path], script: str, *args: str
) -> subprocess.CompletedProcess[str]:
    config = workdir / "pipeline.env"
    config.write_text("SLEEP_PERIOD_IN_SECS=0\n", encoding="utf-8")
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("REQUESTS_", "OVERRIDE_CONFIG", "SLEEP_"))
    }
    env["REQUESTS_CA_BUNDLE"] = str(certificate[0])
    command = [sys.executable, "-m", f"outsystems.pipeline.{script}", "-u", sim.url, "-t", sim.token]
    command += [*args, "-cf", str(config)]
    return subprocess.run(
        command, cwd=workdir, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_fetch_lifetime_data_over_http_and_https(make_sim, certificate, tmp_path):
    for sim in (
        make_sim(clock=ScaledClock(SCALE)),
        make_sim(clock=ScaledClock(SCALE), certificate=certificate),
    ):
        artifacts = tmp_path / sim.url.split(":")[0]
        ok(run_script(sim, tmp_path, certificate, "fetch_lifetime_data", "-a", str(artifacts)))
        environments = json.loads((artifacts / "environments.cache").read_text())
        applications = json.loads((artifacts / "applications.cache").read_text())
        assert [e["Name"] for e in environments] == ["Development", "Test", "Production"]
        assert {a["Name"] for a in applications} >= {"Customer Portal", "Core Services", "Orders Mobile"}
        assert [e.endpoint for e in sim.request_log] == [
            "GET /lifetimeapi/rest/v2/environments/",
            "GET /lifetimeapi/rest/v2/applications/",
        ]


def test_deploy_latest_tags_regular_deployment(lt, lt_api, certificate, tmp_path):
    out = ok(
        run_script(
            lt, tmp_path, certificate, "deploy_latest_tags_to_target_env",
            "-a", str(tmp_path / "artifacts"), "-s", "Development", "-d", "Test",
            "-l", "Customer Portal,Orders Mobile",
        )
    )  # fmt: skip
    assert "finished with status finished_successful" in out.lower() or "finished_successful" in out
    # the last tag of each app (Customer Portal is modified since 1.2.0: the tag is what deploys)
    assert lt.state.running_version("Test", "Customer Portal") == "1.2.0"
    assert lt.state.running_version("Test", "Orders Mobile") == "1.0.0"
    assert len(lt.request_log.find("POST", "/deployments", status=201)) == 1
    assert len(lt.request_log.find("POST", "/start", status=202)) == 1
    assert lt.request_log.find("POST", "/continue") == []
    key = json.loads((tmp_path / "artifacts" / "deployment_data" / "Test_deployment_key.cache").read_text())
    assert lt_api.status(key)["DeploymentStatus"] == "finished_successful"


def test_deploy_latest_tags_two_stage_deployment_continues_by_itself(lt, lt_api, certificate, tmp_path):
    ok(
        run_script(
            lt, tmp_path, certificate, "deploy_latest_tags_to_target_env",
            "-a", str(tmp_path / "artifacts"), "-s", "Test", "-d", "Production", "-l", "Customer Portal",
        )
    )  # fmt: skip
    assert lt.state.running_version("Production", "Customer Portal") == "1.1.0"
    continues = lt.request_log.find("POST", "/continue", status=202)
    assert len(continues) == 1  # it stopped at deployment_prepared once and the script continued it
    key = continues[0].path.split("/")[-2]
    messages = [m["Message"] for m in lt_api.status(key)["DeploymentLog"]]
    assert "Deployment prepared; waiting to continue." in messages


def test_continue_deployment_of_a_prepared_two_stage_plan(lt, lt_api, certificate, tmp_path):
    key = lt_api.plan("Test", "Production", "Customer Portal")
    assert lt_api("POST", f"/deployments/{key}/start").status_code == 202
    lt.clock.sleep(lt.tenant.durations.prepare + 1)
    status = lt_api.status(key)
    assert (status["DeploymentStatus"], status["Info"]) == ("needs_user_intervention", "deployment_prepared")
    ok(
        run_script(
            lt, tmp_path, certificate, "continue_deployment_to_target_env", "-d", "Production", "-k", key
        )
    )
    assert lt_api.status(key)["DeploymentStatus"] == "finished_successful"
    assert lt.state.running_version("Production", "Customer Portal") == "1.1.0"


def trigger_manifest(api: Api, **extra: Any) -> dict[str, Any]:
    keys = api.keys()
    return {
        "ApplicationVersions": [],
        "EnvironmentDefinitions": [
            {"EnvironmentKey": keys[name], "EnvironmentName": name, "EnvironmentLabel": label}
            for name, label in (("Development", "DEV"), ("Test", "QA"), ("Production", "PRD"))
        ],
        **extra,
    }


def test_tag_apps_based_on_manifest_data(lt, lt_api, certificate, tmp_path):
    keys = lt_api.keys()

    def app(name: str, version: str, change_log: str) -> dict[str, Any]:
        return {
            "ApplicationKey": keys[name],
            "ApplicationName": name,
            "VersionNumber": version,
            "ChangeLog": change_log,
            "IsTestApplication": False,
        }

    apps = [
        app("Customer Portal", "1.3.0", "Returns, tagged by the pipeline"),
        app("Core Services", "2.0.5", "older than what runs: skipped"),
    ]
    manifest = tmp_path / "trigger.json"
    manifest.write_text(json.dumps(trigger_manifest(lt_api, ApplicationVersions=apps)))
    out = ok(
        run_script(
            lt, tmp_path, certificate, "tag_apps_based_on_manifest_data",
            "-a", str(tmp_path / "artifacts"), "-d", "Development", "-f", str(manifest),
        )
    )  # fmt: skip
    assert "Skipping tag! Application 'Core Services'" in out
    assert lt.state.running_version("Development", "Customer Portal") == "1.3.0"
    assert lt.state.running_version("Development", "Core Services") == "2.1.0"
    tags = lt.request_log.find("POST", "/versions", status=201)
    assert len(tags) == 1
    assert tags[0].body == {
        "ChangeLog": "Returns, tagged by the pipeline",
        "Version": "1.3.0",
        "MobileVersions": None,
    }
    status = lt_api(
        "GET",
        f"/environments/{keys['Development']}/applications/{keys['Customer Portal']}?IncludeEnvStatus=True",
    ).json()["AppStatusInEnvs"][0]
    assert (status["BaseApplicationVersionLabel"], status["IsModified"]) == ("1.3.0", False)


def test_apply_configuration_values_over_https(lt, lt_api, certificate, tmp_path):
    state = lt.state
    items = {item.name: item for item in state.config.values()}
    modules = {m.key: m.name for a in state.applications.values() for m in a.modules}
    production = state.env_by_name["Production"].key
    wanted = {
        "ApiBaseUrl": ("SiteProperty", "https://api-v2.example.com"),
        "PaymentsAPI": ("REST_Endpoint", "https://payments-v2.example.com/api"),
        "NightlySync": ("TimerSchedule", "04:15"),
    }
    config_items = [
        {
            "ModuleKey": items[name].module_key,
            "ModuleName": modules[items[name].module_key],
            "ConfigurationItemKey": items[name].key,
            "ConfigurationItemName": name,
            "ConfigurationItemType": kind,
            "Values": [{"EnvironmentKey": production, "EnvironmentName": "Production", "TargetValue": value}],
        }
        for name, (kind, value) in wanted.items()
    ]
    manifest = tmp_path / "trigger.json"
    manifest.write_text(json.dumps(trigger_manifest(lt_api, ConfigurationItems=config_items)))
    out = ok(
        run_script(
            lt,
            tmp_path,
            certificate,
            "apply_configuration_values_to_target_env",
            "-e",
            "PRD",
            "-f",
            str(manifest),
        )
    )
    assert out.count("New value successfully applied") == 3
    assert state.config_value("CustomerPortal", "Production", "ApiBaseUrl") == "https://api-v2.example.com"
    assert (
        state.config_value("CoreServices_CS", "Production", "PaymentsAPI")
        == "https://payments-v2.example.com/api"
    )
    assert state.config_value("CoreServices_CS", "Production", "NightlySync") == "04:15"
    assert state.config_value("CustomerPortal", "Test", "ApiBaseUrl") == "https://api.test.example.com"
    puts = lt.request_log.find("PUT", "/PropertiesAPI/rest/v1/Modules/", status=201)
    assert [p.body for p in puts] == [
        "https://api-v2.example.com",
        "https://payments-v2.example.com/api",
        "04:15",
    ]


def test_a_conflict_makes_deploy_fail_as_written(lt, lt_api, certificate, tmp_path):
    artifacts = tmp_path / "artifacts"
    result = run_script(
        lt, tmp_path, certificate, "deploy_latest_tags_to_target_env",
        "-a", str(artifacts), "-s", "Test", "-d", "Production", "-l", "Legacy Reports",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    conflicts = json.loads((artifacts / "DeploymentConflicts").read_text())
    assert "Legacy Reports is blocked in environment Production" in json.dumps(conflicts)
    assert len(lt.request_log.find("DELETE", "/deployments/", status=204)) == 1  # the script removed its plan
    assert lt.state.plans == {}
    assert lt.state.running_version("Production", "Legacy Reports") is None


def test_a_failing_deployment_makes_deploy_fail_as_written(make_sim, certificate, tmp_path):
    tenant = edited(
        lambda d: d["outcomes"].append(
            {"environment": "Test", "application": "Orders Mobile", "result": "finished_with_errors",
             "message": "Module OrdersMobile failed to publish."}
        )
    )  # fmt: skip
    sim = make_sim(tenant, clock=ScaledClock(SCALE), certificate=certificate)
    artifacts = tmp_path / "artifacts"
    result = run_script(
        sim, tmp_path, certificate, "deploy_latest_tags_to_target_env",
        "-a", str(artifacts), "-s", "Development", "-d", "Test", "-l", "Orders Mobile",
    )  # fmt: skip
    assert result.returncode == 1, result.stdout + result.stderr
    errors = json.loads((artifacts / "DeploymentErrors").read_text())
    assert errors["DeploymentStatus"] == "finished_with_errors"
    assert "Module OrdersMobile failed to publish." in [m["Message"] for m in errors["DeploymentLog"]]
    assert sim.state.running_version("Test", "Orders Mobile") == "0.9.0"


def test_the_azure_devops_two_stage_flow_prepare_then_continue(lt, lt_api, certificate, tmp_path):
    """deploy_tags_to_target_env_with_manifest stops after stage one; continue (no -k) finishes it."""
    keys = lt_api.keys()
    app = {
        "ApplicationKey": keys["Customer Portal"],
        "ApplicationName": "Customer Portal",
        "VersionKey": lt_api.running_key("Test", "Customer Portal"),
        "VersionNumber": "1.1.0",
        "IsTestApplication": False,
    }
    manifest = tmp_path / "trigger.json"
    manifest.write_text(json.dumps(trigger_manifest(lt_api, ApplicationVersions=[app])))
    artifacts = str(tmp_path / "artifacts")
    prepared = ok(
        run_script(
            lt, tmp_path, certificate, "deploy_tags_to_target_env_with_manifest",
            "-a", artifacts, "-s", "QA", "-d", "PRD", "-f", str(manifest),
        )
    )  # fmt: skip
    assert "first step" in prepared.lower()
    assert lt.state.running_version("Production", "Customer Portal") == "1.0.0"
    assert lt.request_log.find("POST", "/continue") == []
    ok(
        run_script(
            lt,
            tmp_path,
            certificate,
            "continue_deployment_to_target_env",
            "-a",
            artifacts,
            "-d",
            "Production",
        )
    )
    assert lt.state.running_version("Production", "Customer Portal") == "1.1.0"
    assert len(lt.request_log.find("POST", "/continue", status=202)) == 1


def test_continue_refuses_a_plan_that_is_not_prepared_as_written(lt, lt_api, certificate, tmp_path):
    holder = lt_api.plan("Test", "Production", "Customer Portal")
    waiting = lt_api.plan("Test", "Production", "Core Services")
    lt_api("POST", f"/deployments/{holder}/start")
    lt_api("POST", f"/deployments/{waiting}/start")  # running, queued behind the holder: never prepared
    args = ("-d", "Production", "-k", waiting)
    result = run_script(lt, tmp_path, certificate, "continue_deployment_to_target_env", *args)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "is not in 'Prepared' status" in result.stdout
    assert lt.request_log.find("POST", "/continue") == []
    assert lt_api.status(waiting)["DeploymentStatus"] == "running"  # left as it was
