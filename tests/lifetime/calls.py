"""Every call the LifeTime client can make, with every optional argument populated.

``test_contract`` records them on the stub and checks each request against the swagger (and
the Properties API's UNDOC document). A new client method belongs here;
``test_every_public_method_is_exercised`` fails when one is missing.
"""

from __future__ import annotations

import random
from datetime import date
from typing import Any

from odc_pipeline import openapi, swagger
from odc_pipeline.lifetime import LifetimeClient
from odc_pipeline.lifetime.models import ConfigurationItemType, MobileVersionRequest, PlanOperation

from .stub import Reply, Seen, StubLifetime, Text

ENV = "5b0f0a2c-0000-4000-8000-0000000000e1"
ENV2 = "5b0f0a2c-0000-4000-8000-0000000000e2"
APP = "5b0f0a2c-0000-4000-8000-0000000000a1"
VER = "5b0f0a2c-0000-4000-8000-0000000000b1"
PLAN = "5b0f0a2c-0000-4000-8000-0000000000d1"
MOD = "5b0f0a2c-0000-4000-8000-0000000000c1"
ZONE = "5b0f0a2c-0000-4000-8000-0000000000f1"

EXERCISED: set[tuple[str, str]] = set()


def _mark(*pairs: str) -> None:
    for pair in pairs:
        domain, method = pair.split(".")
        EXERCISED.add((domain, method))


def call_everything(lt: LifetimeClient) -> None:
    """Call every client method, bare and with every option."""
    envs = lt.environments
    envs.list()
    envs.get(ENV)
    envs.find_by_name("Production")
    envs.deployment_zones(ENV)

    apps = lt.applications
    apps.list()
    apps.list(include_env_status=True)
    apps.list(include_env_status=True, include_modules=True)
    apps.list(include_modules=True)
    apps.get(APP)
    apps.get(APP, include_env_status=False)
    apps.get(APP, include_modules=True)
    apps.find_by_name("Orders")
    apps.running_in(ENV)
    apps.running_in(ENV, include_env_status=True, include_modules=True)
    apps.get_in_environment(ENV, APP)
    apps.get_in_environment(ENV, APP, include_modules=True)
    apps.status_in(ENV, APP)

    versions = lt.versions
    versions.list(APP)
    versions.list(APP, change_log_filter="release", max_versions=10)
    versions.list(APP, max_versions=0)
    versions.get(APP, VER)
    versions.get(APP, VER, include_modules=True)
    versions.find(APP, "1.2.0")
    versions.find(APP, "1.2.0", max_versions=3)
    versions.delete(APP, VER)
    versions.tag(ENV, APP, version="1.3.0")
    versions.tag(
        ENV,
        APP,
        version="1.3.1",
        change_log="Go live",
        mobile_versions=[
            MobileVersionRequest(native_platform="Android", version_number="1.3.1", version_description="d"),
            MobileVersionRequest(native_platform="iOS", version_number="1.3.1"),
        ],
    )
    versions.tag_finder(ENV, APP, version="1.3.0")()

    plans = lt.deployments
    plans.create(source_environment_key=ENV, target_environment_key=ENV2, operations=[VER], notes="n")
    plans.create(
        source_environment_key=ENV,
        target_environment_key=ENV2,
        operations=[PlanOperation(application_version_key=VER, deployment_zone_key=ZONE), VER],
        notes="Automated deploy via odc-pipeline run 42",
    )
    plans.update(PLAN, source_environment_key=ENV, target_environment_key=ENV2, operations=[VER], notes="n2")
    plans.get(PLAN)
    plans.list()
    plans.list(min_date=date(2026, 1, 1), max_date=date(2026, 1, 31), target_environment_key=ENV2)
    plans.start(PLAN)
    plans.start(PLAN, redeploy_outdated=True, include_error_details=True)
    plans.continue_(PLAN)
    plans.continue_(PLAN, redeploy_outdated=False, include_error_details=True)
    plans.abort(PLAN)
    plans.abort(PLAN, include_error_details=False)
    plans.command(PLAN, "start", redeploy_outdated=False)
    plans.command_finder(PLAN, "abort")()
    plans.status(PLAN)
    plans.in_progress(ENV2)
    plans.in_progress(ENV2, since=date(2026, 1, 1), include_saved=True)
    plans.delete(PLAN)
    from odc_pipeline.lifetime.models import PlanRequest

    plans.plan_finder(
        PlanRequest(
            notes="n",
            source_environment_key=ENV,
            target_environment_key=ENV2,
            application_operations=[PlanOperation(application_version_key=VER)],
        ),
        sent_at=lt.clock.now(),
    )()

    props = lt.properties
    props.set_site_property(MOD, ENV, "sp1", "42")
    props.set_rest_endpoint(MOD, ENV, "rest1", "https://api.example.com/v1")
    props.set_soap_endpoint(MOD, ENV, "soap1", "https://soap.example.com/svc.asmx")
    props.set_timer_schedule(MOD, ENV, "timer1", "When Published")
    for kind in ConfigurationItemType:
        props.set_value(kind, module_key=MOD, environment_key=ENV, key="k", value="v w")
    _mark(
        "environments.list",
        "environments.get",
        "environments.find_by_name",
        "environments.deployment_zones",
        "applications.list",
        "applications.get",
        "applications.find_by_name",
        "applications.running_in",
        "applications.get_in_environment",
        "applications.status_in",
        "versions.list",
        "versions.get",
        "versions.find",
        "versions.delete",
        "versions.tag",
        "versions.tag_finder",
        "deployments.create",
        "deployments.plan_finder",
        "deployments.update",
        "deployments.get",
        "deployments.list",
        "deployments.start",
        "deployments.continue_",
        "deployments.abort",
        "deployments.command",
        "deployments.command_finder",
        "deployments.status",
        "deployments.in_progress",
        "deployments.delete",
        "properties.set_value",
        "properties.set_site_property",
        "properties.set_rest_endpoint",
        "properties.set_soap_endpoint",
        "properties.set_timer_schedule",
    )


def success_status(operation: swagger.Operation) -> int:
    """The 2xx the operation declares (201 first: OP's servers answer it where the swagger says 200)."""
    declared = operation.responses()
    for status in (201, 200, 202, 204):
        if str(status) in declared:
            return status
    raise AssertionError(f"{operation.endpoint} declares no success status")


def answer_with_samples(stub: StubLifetime, seed: str = "lifetime") -> None:
    """Answer every call with a swagger-valid sample of its success response."""
    rng = random.Random(seed)

    def answer(seen: Seen) -> Reply:
        operation = swagger.find_operation(seen.method, seen.path)
        if operation is None:
            return Reply(404, swagger.exception_body(404, "no such operation"))
        status = success_status(operation)
        schema = operation.response_schema(status)
        if schema is None:
            return Reply(status)
        body: Any = openapi.sample(schema, rng, optional_rate=1.0)
        if "text/plain" in operation.produces:
            return Text(status, PLAN)
        if isinstance(body, dict) and "Success" in body:
            body["Success"] = True  # the Properties API: a refusal has its own test
        return Reply(status, body)

    stub.fallback = answer
