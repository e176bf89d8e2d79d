"""Issue #14: the LifeTime platform behind the seam, against the LifeTime simulator.

Each test drives ``LifetimePlatform`` through a real ``RunContext`` (the shared poller, the
stage timeouts, the in-flight register) on the simulator's default infrastructure
(``examples/lifetime-tenant.yaml``: Development → Test → Production, Production two-step,
Legacy Reports blocked in Production, Customer Portal modified in Development). Client and
simulator share one ScaledClock, so a 40 s deployment lasts 0.4 s and no test sleeps.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from odc_pipeline.api import AuthenticationError
from odc_pipeline.clock import ScaledClock
from odc_pipeline.engine.context import RunContext
from odc_pipeline.engine.options import EngineSpec, RunOptions
from odc_pipeline.errors import ExitCode, UsageError
from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
from odc_pipeline.lifetime_simulator import (
    DEFAULT_LIFETIME_TENANT,
    load_lifetime_tenant,
    start_lifetime_simulator,
)
from odc_pipeline.lifetime_simulator.tenant import OutcomeSpec
from odc_pipeline.platforms import platform_for
from odc_pipeline.platforms.base import DeployRequest, ImpactRequest, UnitRequest
from odc_pipeline.platforms.lifetime import LifetimeOptions, LifetimePlatform, SitePropertyValue
from odc_pipeline.redaction import SecretRegistry
from tests.engine.fakes import RecordingReporter
from tests.lifetime.test_simulator import wire_problems

TIME_SCALE = 0.01
NOTES = "odc-pipeline run 42"


@dataclass
class World:
    sim: Any
    client: LifetimeClient
    secrets: SecretRegistry

    def platform(self, **options: Any) -> LifetimePlatform:
        options.setdefault("source", "Development")
        options.setdefault("notes", NOTES)
        return LifetimePlatform(self.client, LifetimeOptions(**options), secrets=self.secrets)

    def run(self, *, plan: bool = False, timeouts: dict[str, float] | None = None) -> RunContext:
        spec = EngineSpec(target="Test", assets=(), timeouts=timeouts or {"deploy": 1800.0, "build": 600.0})
        return RunContext(
            client=self.client,
            clock=self.sim.clock,
            reporter=RecordingReporter(),
            spec=spec,
            options=RunOptions(plan=plan),
            secrets=self.secrets,
            platform=self.platform(),
        )

    def posts(self, fragment: str = "") -> list[str]:
        return [
            e.path
            for e in self.sim.request_log.entries()
            if e.method in ("POST", "DELETE", "PUT") and fragment in e.path
        ]


def _world(tenant: Any = None) -> Iterator[World]:
    with start_lifetime_simulator(tenant or DEFAULT_LIFETIME_TENANT, clock=ScaledClock(TIME_SCALE)) as sim:
        secrets = SecretRegistry()
        settings = LifetimeSettings.from_env({"LIFETIME_URL": sim.url, "LIFETIME_TOKEN": sim.token})
        with LifetimeClient(settings, clock=sim.clock, secrets=secrets) as client:
            yield World(sim, client, secrets)
            assert wire_problems(sim) == []  # every request as the swagger declares it


@pytest.fixture
def world() -> Iterator[World]:
    yield from _world()


def with_outcome(**outcome: Any) -> Any:
    tenant = load_lifetime_tenant(DEFAULT_LIFETIME_TENANT)
    return tenant.model_copy(update={"outcomes": [OutcomeSpec(**outcome)]})


def promote(
    world: World, platform: LifetimePlatform, target_name: str, apps: dict[str, str]
) -> dict[str, Any]:
    """Resolve → impact (one plan) → deploy, as the stages do; returns the deploy outcomes."""
    run = world.run()
    envs = platform.environments()
    target = platform.find_environment(envs, target_name, role="target")
    requests = []
    for name, selector in apps.items():
        asset = platform.resolve_asset(name=name)
        revision = platform.resolve_revision(asset, selector, label=name)
        requests.append((asset, revision))
    impact = platform.analyse_all(
        run,
        [
            ImpactRequest(asset=a, target=target, revision=r, unit_key=r.unit_key, label=a.name)
            for a, r in requests
        ],
        stage="impact-analysis",
    )
    assert all(result.verdict == "NoIssuesFound" for result in impact.values()), impact
    running = platform.running_all(target, [a for a, _ in requests])
    deploys = [
        DeployRequest(asset=a, target=target, unit_key=r.unit_key, version=r.version)
        for a, r in requests
        if running.get(a.key) is None or running[a.key].unit_key != r.unit_key
    ]
    return platform.deploy_all(run, deploys, stage="deploy")


def test_the_registry_knows_lifetime(world: World) -> None:
    platform = platform_for("lifetime", world.client)
    assert isinstance(platform, LifetimePlatform)
    assert platform.capabilities.deploys_as_plan
    assert platform.capabilities.two_stage
    assert not platform.capabilities.configuration_before_deploy


def test_promote_development_to_test_to_production_by_tag(world: World) -> None:
    platform = world.platform()
    outcomes = promote(
        world, platform, "Test", {"Customer Portal": "latest-tag", "Core Services": "latest-tag"}
    )
    assert set(outcomes) == {
        platform.resolve_asset(name="Customer Portal").key
    }  # Core Services already ran 2.1.0
    (outcome,) = outcomes.values()
    assert outcome.succeeded
    assert outcome.status == "finished_successful"
    assert world.sim.state.running_version("Test", "Customer Portal") == "1.2.0"
    assert len(world.posts("/deployments/")) == 2  # one plan created, one start: no second plan

    production = world.platform(source="Test")
    portal = production.resolve_asset(name="Customer Portal")
    test = production.find_environment(production.environments(), "Test", role="source")
    from_test = production.running_all(test, [portal])[portal.key]
    outcomes = promote(world, production, "Production", {"Customer Portal": "tag:" + str(from_test.version)})
    assert all(o.succeeded for o in outcomes.values())
    # Production is two-step; without two-stage: true the plan's second step runs too
    assert world.sim.state.running_version("Production", "Customer Portal") == "1.2.0"
    assert world.posts("/continue")


def test_tag_modified_then_deploy(world: World) -> None:
    platform = world.platform(bump="minor", change_log="Sprint 12")
    run = world.run()
    asset = platform.resolve_asset(name="Customer Portal")
    revision = platform.resolve_revision(asset, "modified", label="Customer Portal")
    assert revision.needs_unit
    assert revision.source is not None
    assert revision.source.name == "Development"
    search = platform.find_unit(asset, revision)
    assert search.unit is None
    assert search.known_keys
    outcome = platform.produce_unit(run, UnitRequest(asset=asset, revision=revision), stage="build")
    assert outcome.succeeded
    assert "1.3.0" in outcome.messages[0].text
    tagged = world.client.versions.get(asset.key, outcome.key)
    assert (tagged.version, tagged.change_log) == ("1.3.0", "Sprint 12")
    # what runs in Development is that tag now: a second resolve reuses it (no second tag)
    again = platform.resolve_revision(asset, "modified", label="Customer Portal")
    assert (again.needs_unit, again.unit_key) == (False, outcome.key)
    outcomes = promote(world, platform, "Test", {"Customer Portal": "modified"})
    assert all(o.succeeded for o in outcomes.values())
    assert world.sim.state.running_version("Test", "Customer Portal") == "1.3.0"
    assert len(world.posts("/versions/")) == 1


def test_a_given_version_must_be_new_and_higher(world: World) -> None:
    platform = world.platform(version="1.1.5")
    asset = platform.resolve_asset(name="Customer Portal")
    revision = platform.resolve_revision(asset, "modified", label="Customer Portal")
    with pytest.raises(UsageError, match=r"not higher than its highest version 1\.2\.0"):
        platform.start_unit(world.run(), UnitRequest(asset=asset, revision=revision))
    assert world.posts() == []


def test_two_stage_stops_after_preparation_and_continues_by_key(world: World) -> None:
    platform = world.platform(source="Test", two_stage=True)
    outcomes = promote(world, platform, "Production", {"Core Services": "tag:2.1.0"})
    (outcome,) = outcomes.values()
    assert outcome.prepared
    assert not outcome.succeeded
    assert outcome.status == "prepared"
    assert f"continue --plan-key {outcome.operation_key}" in " ".join(m.text for m in outcome.messages)
    assert world.sim.state.running_version("Production", "Core Services") == "2.0.0"
    assert world.posts("/continue") == []
    finished = world.platform(source="Test").continue_deploy(
        world.run(), outcome.operation_key, stage="deploy"
    )
    assert finished.succeeded
    assert finished.status == "finished_successful"
    assert world.sim.state.running_version("Production", "Core Services") == "2.1.0"
    assert world.posts("/continue") == [f"/lifetimeapi/rest/v2/deployments/{outcome.operation_key}/continue/"]


def test_continue_refuses_a_plan_that_is_not_prepared(world: World) -> None:
    platform = world.platform()
    outcomes = promote(world, platform, "Test", {"Customer Portal": "latest-tag"})
    (done,) = outcomes.values()
    again = platform.continue_deploy(world.run(), done.operation_key, stage="deploy")
    assert not again.succeeded
    assert "not prepared" in again.reason
    assert world.posts("/continue") == []


def test_conflicts_block_and_leave_no_plan_behind(world: World) -> None:
    platform = world.platform(source="Test", fail_on="errors")
    run = world.run()
    target = platform.find_environment(platform.environments(), "Production", role="target")
    asset = platform.resolve_asset(name="Legacy Reports")
    revision = platform.resolve_revision(asset, "latest-tag", label="Legacy Reports")
    results = platform.analyse_all(
        run,
        [ImpactRequest(asset=asset, target=target, revision=revision, unit_key=revision.unit_key)],
        stage="impact-analysis",
    )
    result = results[asset.key]
    assert result.verdict == "ErrorsFound"
    assert any(f.severity == "Error" for f in result.findings)
    assert platform.kept_plan_key is None
    assert world.client.deployments.list(target_environment_key=target.key) == []  # deleted, not left saved
    assert world.posts("/deployments/")[-1].startswith("/lifetimeapi/rest/v2/deployments/")


def test_a_failed_deployment_carries_its_log() -> None:
    for world in _world(
        with_outcome(environment="Test", application="Customer Portal", result="finished_with_errors")
    ):
        outcomes = promote(world, world.platform(), "Test", {"Customer Portal": "latest-tag"})
        (outcome,) = outcomes.values()
        assert not outcome.succeeded
        assert outcome.status == "finished_with_errors"
        assert "ended finished_with_errors" in outcome.reason
        assert any(m.source == "deployment-log" and m.severity == "error" for m in outcome.messages)
        assert world.sim.state.running_version("Test", "Customer Portal") == "1.1.0"


def test_warnings_fail_unless_allowed() -> None:
    tenant = with_outcome(environment="Test", result="finished_with_warnings")
    for world in _world(tenant):
        (strict,) = promote(world, world.platform(), "Test", {"Customer Portal": "latest-tag"}).values()
        assert not strict.succeeded
        assert "allow-warnings" in strict.reason
    for world in _world(tenant):
        (lenient,) = promote(
            world, world.platform(allow_warnings=True), "Test", {"Customer Portal": "latest-tag"}
        ).values()
        assert lenient.succeeded


def test_an_intervention_that_is_not_prepared_fails_and_is_never_continued() -> None:
    for world in _world(with_outcome(environment="Test", result="deployment_suspended")):
        outcomes = promote(world, world.platform(), "Test", {"Customer Portal": "latest-tag"})
        (outcome,) = outcomes.values()
        assert not outcome.succeeded
        assert outcome.status == "needs_user_intervention"
        assert "deployment" in outcome.reason
        assert "never continues it on its own" in outcome.reason
        assert world.posts("/continue") == []


def test_a_busy_target_is_waited_for_and_reported(world: World) -> None:
    other = world.client
    test = other.environments.find_by_name("Test")
    dev = other.environments.find_by_name("Development")
    assert test is not None
    assert dev is not None
    mobile = other.applications.find_by_name("Orders Mobile")[0]
    version = other.versions.find(mobile.key or "", "1.0.0")
    assert version is not None
    busy = other.deployments.create(
        source_environment_key=dev.key or "",
        target_environment_key=test.key or "",
        operations=[version.key or ""],
        notes="someone else",
    )
    other.deployments.get(busy)
    other.deployments.start(busy)
    outcomes = promote(world, world.platform(), "Test", {"Customer Portal": "latest-tag"})
    (outcome,) = outcomes.values()
    assert outcome.succeeded
    waited = [m.text for m in outcome.messages if "waited" in m.text]
    assert waited
    assert busy in waited[0]
    assert world.sim.state.running_version("Test", "Orders Mobile") == "1.0.0"


def test_a_rerun_changes_nothing(world: World) -> None:
    promote(world, world.platform(), "Test", {"Customer Portal": "latest-tag"})
    before = len(world.posts())
    outcomes = promote(world, world.platform(), "Test", {"Customer Portal": "latest-tag"})
    assert outcomes == {}
    assert len(world.posts()) == before


def test_plan_mode_creates_no_plan(world: World) -> None:
    platform = world.platform()
    target = platform.find_environment(platform.environments(), "Test", role="target")
    asset = platform.resolve_asset(name="Customer Portal")
    revision = platform.resolve_revision(asset, "latest-tag", label="Customer Portal")
    results = platform.analyse_all(
        world.run(plan=True),
        [ImpactRequest(asset=asset, target=target, revision=revision, unit_key=revision.unit_key)],
        stage="impact-analysis",
    )
    assert "creates no deployment plan" in results[asset.key].unavailable
    assert world.posts() == []


def test_cancel_mid_deploy_aborts_the_plan(world: World) -> None:
    platform = world.platform()
    run = world.run()
    target = platform.find_environment(platform.environments(), "Test", role="target")
    asset = platform.resolve_asset(name="Customer Portal")
    revision = platform.resolve_revision(asset, "latest-tag", label="Customer Portal")
    operation = platform.start_deploy(
        run, DeployRequest(asset=asset, target=target, unit_key=revision.unit_key)
    )
    world.client.deployments.start(operation.key)
    assert platform.abort_deploy(operation.key) is True
    status = world.client.deployments.status(operation.key)
    assert status.deployment_status in ("aborting", "aborted")
    assert world.posts("/abort")


def test_site_properties_are_set_by_key_and_secrets_masked(world: World) -> None:
    platform = world.platform()
    target = platform.find_environment(platform.environments(), "Test", role="target")
    asset = platform.resolve_asset(name="Customer Portal")
    secret = "https://api.secret-host.example.com/k=abc123"
    body = {
        "CustomerPortal": (
            SitePropertyValue("ApiBaseUrl", "fc7d3115-4dc4-535b-a338-c3fe666bceb8", secret, secret=True),
            SitePropertyValue("PageSize", "726a3081-3356-59a7-a85f-0f5d0ad16f9f", "25"),
        )
    }
    messages = platform.configure_after_deploy(target, asset, body)
    assert world.sim.state.config_value("CustomerPortal", "Test", "ApiBaseUrl") == secret
    assert world.sim.state.config_value("CustomerPortal", "Test", "PageSize") == "25"
    assert all(secret not in m.text for m in messages)
    assert any("ApiBaseUrl = ***" in m.text for m in messages)
    assert secret in world.secrets


def test_a_wrong_site_property_key_fails_the_step(world: World) -> None:
    platform = world.platform()
    target = platform.find_environment(platform.environments(), "Test", role="target")
    asset = platform.resolve_asset(name="Customer Portal")
    body = {"CustomerPortal": (SitePropertyValue("Nope", "00000000-0000-0000-0000-000000000000", "1"),)}
    with pytest.raises(UsageError, match="Nope was not applied"):
        platform.configure_after_deploy(target, asset, body)


def test_a_bad_token_is_exit_3(world: World) -> None:
    settings = LifetimeSettings.from_env(
        {"LIFETIME_URL": world.sim.url, "LIFETIME_TOKEN": "not-the-token-0000"}
    )
    with (
        LifetimeClient(settings, clock=world.sim.clock, secrets=SecretRegistry()) as client,
        pytest.raises(AuthenticationError) as caught,
    ):
        LifetimePlatform(client).environments()
    assert caught.value.exit_code == ExitCode.AUTH
    assert "not-the-token-0000" not in str(caught.value)
    assert "LIFETIME_TOKEN" in str(caught.value)


def test_unknown_names_list_what_exists(world: World) -> None:
    platform = world.platform()
    with pytest.raises(UsageError, match="did you mean 'Customer Portal'"):
        platform.resolve_asset(name="customer portal")
    with pytest.raises(UsageError, match="visible to this API client: Development, Test, Production"):
        platform.find_environment(platform.environments(), "QA", role="target")
    asset = platform.resolve_asset(name="Core Services")
    with pytest.raises(UsageError, match=r"no version 9\.9 \(the newest: 2\.1\.0, 2\.0\.0\)"):
        platform.resolve_revision(asset, "tag:9.9", label="Core Services")
