"""The LifeTime client against the LifeTime simulator over loopback (HTTP and HTTPS), faults included.

Client and simulator share one ScaledClock, so a 40 s deployment lasts 0.4 s here and no test
sleeps on its own. Every request the client sent is checked against the swagger at the end of
each test (the wire, not the client's intentions).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qsl

import pytest
import requests

from odc_pipeline import swagger
from odc_pipeline.api import (
    ApiConnectionError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
)
from odc_pipeline.clock import ScaledClock
from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
from odc_pipeline.lifetime.models import PlanStatus
from odc_pipeline.lifetime_simulator import (
    DEFAULT_LIFETIME_TENANT,
    RunningLifeTimeSimulator,
    load_lifetime_tenant,
    start_lifetime_simulator,
)
from odc_pipeline.lifetime_simulator.tenant import OutcomeSpec, Undoc
from odc_pipeline.redaction import SecretRegistry

TIME_SCALE = 0.01
NOTES = "odc-pipeline integration test"


@pytest.fixture
def sim() -> Iterator:
    with start_lifetime_simulator(clock=ScaledClock(TIME_SCALE)) as running:
        yield running


def client_for(sim, *, session: requests.Session | None = None, **env: str) -> LifetimeClient:
    settings = LifetimeSettings.from_env({"LIFETIME_URL": sim.url, "LIFETIME_TOKEN": sim.token, **env})
    client = LifetimeClient(settings, clock=sim.clock, secrets=SecretRegistry(), session=session)
    return client


def wire_problems(sim) -> list[str]:
    """Every request the simulator received, checked against its operation (path and query)."""
    problems = []
    for entry in sim.request_log.entries():
        operation = swagger.find_operation(entry.method, entry.path)
        if operation is None:
            problems.append(f"{entry.method} {entry.path} is in no document")
            continue
        declared = {p["name"] for p in operation.parameters("query")}
        names = [name for name, _ in parse_qsl(entry.query, keep_blank_values=True)]
        problems += [f"{operation.endpoint}: ?{n} not declared" for n in names if n not in declared]
        try:
            operation.bind_query(entry.query)
            operation.bind_path()
        except swagger.QueryError as exc:
            problems += [f"{operation.endpoint}: {p}" for p in exc.problems]
    return problems


@pytest.fixture
def lt(sim) -> Iterator[LifetimeClient]:
    client = client_for(sim)
    yield client
    client.close()
    assert sim.request_log.entries()
    assert wire_problems(sim) == []


def env_keys(lt: LifetimeClient) -> dict[str, str]:
    return {e.name: e.key for e in lt.environments.list()}


def mobile_key(lt: LifetimeClient) -> str:
    return app_key(lt, "Orders Mobile")


def app_key(lt: LifetimeClient, name: str) -> str:
    (app,) = lt.applications.find_by_name(name)
    return app.key


def wait_finished(lt: LifetimeClient, plan: str, *, stop_at_intervention: bool = False):
    for _ in range(500):
        status = lt.deployments.status(plan)
        if status.finished or (
            stop_at_intervention and status.deployment_status == PlanStatus.NEEDS_USER_INTERVENTION
        ):
            return status
        lt.clock.sleep(2)
    raise AssertionError(f"plan {plan} did not finish: {status.deployment_status}")


def deploy_plan(lt: LifetimeClient, source: str, target: str, versions: list[str], notes: str = NOTES) -> str:
    envs = env_keys(lt)
    return lt.deployments.create(
        source_environment_key=envs[source],
        target_environment_key=envs[target],
        operations=versions,
        notes=notes,
    )


def test_reads_environments_applications_and_versions(lt):
    envs = lt.environments.list()
    assert [e.name for e in envs] == ["Development", "Test", "Production"]
    zones = lt.environments.deployment_zones(envs[2].key)
    assert {z.name for z in zones} == {"Global", "Internal"}
    portal = lt.applications.get(app_key(lt, "Customer Portal"))
    dev = portal.status_in(envs[0].key)
    assert dev.is_modified is True
    assert dev.base_application_version_label == "1.2.0"
    versions = lt.versions.list(portal.key, max_versions=10)
    assert {v.version for v in versions} == {"1.0.0", "1.1.0", "1.2.0"}
    assert lt.versions.get(portal.key, versions[0].key).key == versions[0].key
    assert lt.applications.status_in(envs[2].key, app_key(lt, "Orders Mobile")) is None


def test_tag_then_deploy_to_test(lt, sim):
    envs = env_keys(lt)
    portal = app_key(lt, "Customer Portal")
    version_key = lt.versions.tag(envs["Development"], portal, version="1.3.0", change_log="Returns v2")
    assert lt.versions.find(portal, "1.3.0").key == version_key
    lt.clock.sleep(11)  # the tenant's tag processing time
    plan = deploy_plan(lt, "Development", "Test", [version_key])
    details = lt.deployments.get(plan)
    assert details.application_conflicts == []
    assert [p.key for p in lt.deployments.list(target_environment_key=envs["Test"])] == [plan]
    lt.deployments.start(plan, redeploy_outdated=True)
    assert lt.deployments.status(plan).deployment_status == PlanStatus.RUNNING
    final = wait_finished(lt, plan)
    assert final.deployment_status == PlanStatus.FINISHED_SUCCESSFUL
    assert sim.state.running_version("Test", "Customer Portal") == "1.3.0"
    assert final.deployment_log


def test_two_step_deployment_stops_prepared_until_continued(lt, sim):
    core = lt.applications.get(app_key(lt, "Core Services"))
    test_version = core.status_in(env_keys(lt)["Test"]).base_application_version_key
    plan = deploy_plan(lt, "Test", "Production", [test_version])
    lt.deployments.get(plan)
    lt.deployments.start(plan)
    prepared = wait_finished(lt, plan, stop_at_intervention=True)
    assert prepared.prepared
    assert sim.state.running_version("Production", "Core Services") == "2.0.0"
    lt.deployments.continue_(plan)
    assert wait_finished(lt, plan).deployment_status == PlanStatus.FINISHED_SUCCESSFUL
    assert sim.state.running_version("Production", "Core Services") == "2.1.0"


def test_conflicts_are_read_and_a_saved_plan_deleted(lt):
    envs = env_keys(lt)
    legacy = lt.applications.get(app_key(lt, "Legacy Reports")).status_in(envs["Test"])
    plan = deploy_plan(lt, "Test", "Production", [legacy.base_application_version_key])
    details = lt.deployments.get(plan)
    assert details.application_conflicts
    with pytest.raises(BadRequestError):
        lt.deployments.start(plan)
    lt.deployments.delete(plan)
    assert plan not in {p.key for p in lt.deployments.list()}


def test_abort_goes_through_aborting(lt):
    envs = env_keys(lt)
    core = lt.applications.get(app_key(lt, "Core Services")).status_in(envs["Development"])
    plan = deploy_plan(lt, "Development", "Test", [core.base_application_version_key])
    lt.deployments.get(plan)
    lt.deployments.start(plan)
    lt.deployments.abort(plan)
    assert lt.deployments.status(plan).deployment_status in (PlanStatus.ABORTING, PlanStatus.ABORTED)
    assert wait_finished(lt, plan).deployment_status == PlanStatus.ABORTED


def test_site_properties_through_the_properties_api(lt, sim):
    envs = env_keys(lt)
    item = next(i for i in sim.state.config.values() if i.name == "PageSize")
    result = lt.properties.set_site_property(item.module_key, envs["Production"], item.key, "50")
    assert result.success is True
    assert sim.state.config_value("CustomerPortal", "Production", "PageSize") == "50"
    timer = next(i for i in sim.state.config.values() if i.name == "NightlySync")
    lt.properties.set_timer_schedule(timer.module_key, envs["Test"], timer.key, "04:00")
    assert sim.state.config_value("CoreServices_CS", "Test", "NightlySync") == "04:00"


# ---------------------------------------------------------------- faults through the simulator's switches


def plans_to(sim, target_name: str) -> int:
    env = sim.state.env_by_name[target_name].key
    return sum(1 for plan in sim.state.plans.values() if plan.target_key == env)


def test_a_dropped_connection_on_post_deployments_is_looked_up_never_sent_twice(lt, sim):
    """drop-connection: the simulator never saw the plan; the client cannot know that, so it
    looks the plan up for the grace window and then stops with an unknown outcome (issue 10)."""
    envs = env_keys(lt)
    core = lt.applications.get(app_key(lt, "Core Services")).status_in(envs["Development"])
    sim.faults.add("drop-connection", path="/lifetimeapi/rest/v2/deployments", method="POST", times=1)
    with pytest.raises(OutcomeUnknownError, match="not re-sending"):
        deploy_plan(lt, "Development", "Test", [core.base_application_version_key])
    posts = sim.request_log.find(method="POST", path_contains="/deployments")
    assert [e.status for e in posts] == [0]
    assert plans_to(sim, "Test") == 0
    assert sim.request_log.find(method="GET", path_contains="/deployments")  # it looked


def test_a_plan_whose_answer_was_lost_is_found_not_created_twice(lt, sim):
    """drop-response: the simulator creates the plan, then closes the connection without answering."""
    envs = env_keys(lt)
    core = lt.applications.get(app_key(lt, "Core Services")).status_in(envs["Development"])
    sim.faults.add("drop-response", path="/lifetimeapi/rest/v2/deployments", method="POST", times=1)
    plan = deploy_plan(lt, "Development", "Test", [core.base_application_version_key])
    assert [e.status for e in sim.request_log.find(method="POST", path_contains="/deployments")] == [0]
    assert plans_to(sim, "Test") == 1
    assert sim.state.plans[plan].notes == NOTES


def test_a_tag_whose_answer_was_lost_is_found_by_version(lt, sim):
    envs = env_keys(lt)
    portal = app_key(lt, "Customer Portal")
    sim.faults.add("drop-response", path="/versions", method="POST", times=1)
    key = lt.versions.tag(envs["Development"], portal, version="1.4.0")
    assert len(sim.request_log.find(method="POST", path_contains="/versions")) == 1
    assert lt.versions.find(portal, "1.4.0").key == key


def test_a_start_whose_answer_was_lost_is_not_sent_again(lt, sim):
    envs = env_keys(lt)
    core = lt.applications.get(app_key(lt, "Core Services")).status_in(envs["Development"])
    plan = deploy_plan(lt, "Development", "Test", [core.base_application_version_key])
    lt.deployments.get(plan)
    sim.faults.add("drop-response", path="/start", method="POST", times=1)
    lt.deployments.start(plan)
    assert len(sim.request_log.find(method="POST", path_contains="/start")) == 1
    assert lt.deployments.status(plan).deployment_status != PlanStatus.SAVED


def test_a_refused_token_is_an_authentication_error_naming_the_api(lt, sim):
    sim.revoke_tokens()
    with pytest.raises(
        AuthenticationError, match="LifeTime API v2 refused the service account token"
    ) as caught:
        lt.environments.list()
    assert "LIFETIME_TOKEN" in str(caught.value)


def test_token_expiry_fault(lt, sim):
    sim.faults.add("token-expiry")
    with pytest.raises(AuthenticationError, match="LifeTime API v2"):
        lt.environments.list()


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_on_a_status_get_is_retried(lt, sim, status):
    envs = env_keys(lt)
    core = lt.applications.get(app_key(lt, "Core Services")).status_in(envs["Development"])
    plan = deploy_plan(lt, "Development", "Test", [core.base_application_version_key])
    sim.faults.add("server-error", path="/status", method="GET", status=status, times=2)
    assert lt.deployments.status(plan).deployment_status == PlanStatus.SAVED
    statuses = [e.status for e in sim.request_log.find(method="GET", path_contains="/status")]
    assert statuses == [status, status, 200]


def test_permission_denied_names_the_operation(lt, sim):
    sim.faults.add("permission-denied", path="/deployments", method="POST", times=1)
    envs = env_keys(lt)
    with pytest.raises(PermissionDeniedError, match="POST /lifetimeapi/rest/v2/deployments/") as caught:
        lt.deployments.create(
            source_environment_key=envs["Development"],
            target_environment_key=envs["Test"],
            operations=["x"],
            notes="n",
        )
    assert "Invalid user permissions." in str(caught.value)


def test_rate_limit_storm_is_waited_out(lt, sim):
    sim.faults.add("rate-limit-storm", path="/environments", times=2)
    assert len(lt.environments.list()) == 3


# ---------------------------------------------------------------- HTTPS


def test_over_https_with_the_simulators_certificate():
    with start_lifetime_simulator(clock=ScaledClock(TIME_SCALE), https=True) as sim:
        assert sim.url.startswith("https://")
        lt = client_for(sim, LIFETIME_CA_BUNDLE=str(sim.ca_bundle))
        assert len(lt.environments.list()) == 3
        untrusted = client_for(sim)
        with pytest.raises(ApiConnectionError, match="LIFETIME_CA_BUNDLE"):
            untrusted.environments.list()


# ---------------------------------------------------------------- every UNDOC answer the simulator rehearses


def rehearsing(**undoc: object):
    tenant = load_lifetime_tenant(DEFAULT_LIFETIME_TENANT)
    tenant = tenant.model_copy(update={"undoc": Undoc(**undoc)})
    return start_lifetime_simulator(tenant, clock=ScaledClock(TIME_SCALE))


@pytest.mark.parametrize("status", [201, 200])
@pytest.mark.parametrize("key_format", ["text", "json"])
def test_a_new_plans_key_is_read_whatever_the_server_answers(status, key_format):
    with rehearsing(deployment_created_status=status, deployment_key_format=key_format) as sim:
        lt = client_for(sim)
        envs = env_keys(lt)
        core = lt.applications.get(app_key(lt, "Core Services")).status_in(envs["Development"])
        plan = deploy_plan(lt, "Development", "Test", [core.base_application_version_key])
        assert plan in sim.state.plans
        assert [e.status for e in sim.request_log.find(method="POST", path_contains="/deployments")] == [
            status
        ]
        assert wire_problems(sim) == []


@pytest.mark.parametrize("body", ["exception", "empty", "html"])
def test_a_refused_token_is_named_whatever_the_401_body(body):
    with rehearsing(unauthorized_body=body) as sim:
        lt = client_for(sim)
        sim.revoke_tokens()
        with pytest.raises(AuthenticationError, match="LifeTime API v2 refused the service account token"):
            lt.environments.list()


@pytest.mark.parametrize("answer", ["not_found", "without_status"])
def test_an_app_not_in_an_environment_has_no_status_either_way(answer):
    with rehearsing(app_not_in_environment=answer) as sim:
        lt = client_for(sim)
        envs = env_keys(lt)
        mobile = app_key(lt, "Orders Mobile")
        assert lt.applications.status_in(envs["Production"], mobile) is None
        assert lt.applications.status_in(envs["Test"], mobile).base_application_version_label == "0.9.0"


@pytest.mark.parametrize("answer", ["refused_in_plan", "not_found"])
def test_a_version_still_processing_is_a_clear_error_then_deploys(answer):
    with rehearsing(unprocessed_version=answer) as sim:
        lt = client_for(sim)
        envs = env_keys(lt)
        portal = app_key(lt, "Customer Portal")
        version = lt.versions.tag(envs["Development"], portal, version="1.3.0")
        if answer == "not_found":
            with pytest.raises(NotFoundError):
                lt.versions.get(portal, version)
        with pytest.raises(BadRequestError, match="still being processed"):
            deploy_plan(lt, "Development", "Test", [version])
        assert plans_to(sim, "Test") == 0
        lt.clock.sleep(11)  # the tenant's tag processing time
        assert lt.versions.get(portal, version).version == "1.3.0"
        plan = deploy_plan(lt, "Development", "Test", [version])
        assert lt.deployments.get(plan).application_conflicts == []


@contextmanager
def mobile_plan_started(
    outcome: OutcomeSpec,
) -> Iterator[tuple[RunningLifeTimeSimulator, LifetimeClient, str]]:
    """A simulator whose deployments to Test end as ``outcome``, with Orders Mobile's plan started."""
    tenant = load_lifetime_tenant(DEFAULT_LIFETIME_TENANT)
    with start_lifetime_simulator(
        tenant.model_copy(update={"outcomes": [outcome]}), clock=ScaledClock(TIME_SCALE)
    ) as sim:
        lt = client_for(sim)
        mobile = lt.applications.get(app_key(lt, "Orders Mobile")).status_in(env_keys(lt)["Development"])
        plan = deploy_plan(lt, "Development", "Test", [mobile.base_application_version_key])
        lt.deployments.get(plan)
        lt.deployments.start(plan)
        yield sim, lt, plan


@pytest.mark.parametrize("result", ["finished_with_warnings", "finished_with_errors", "aborted"])
def test_how_a_plan_ends_is_read_with_its_log(result):
    outcome = OutcomeSpec(environment="Test", result=result, message=f"the tenant says {result}")
    with mobile_plan_started(outcome) as (sim, lt, plan):
        envs = env_keys(lt)
        final = wait_finished(lt, plan)
        assert final.deployment_status == result
        assert any(result in (entry.message or "") for entry in final.deployment_log)
        expected = (
            "1.0.0" if result == "finished_with_warnings" else "0.9.0"
        )  # the target runs what succeeded
        assert sim.state.running_version("Test", "Orders Mobile") == expected
        assert (
            lt.applications.status_in(envs["Test"], mobile_key(lt)).base_application_version_label == expected
        )


def test_a_suspended_deployment_waits_for_continue():
    with mobile_plan_started(OutcomeSpec(environment="Test", result="deployment_suspended")) as (_, lt, plan):
        envs = env_keys(lt)
        suspended = wait_finished(lt, plan, stop_at_intervention=True)
        assert suspended.info == "deployment_suspended"
        assert not suspended.prepared
        assert [p.key for p, _ in lt.deployments.in_progress(envs["Test"])] == [plan]
        lt.deployments.continue_(plan)
        assert wait_finished(lt, plan).finished
        assert lt.deployments.in_progress(envs["Test"]) == []
