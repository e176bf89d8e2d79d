"""Every call the client can make, with every optional argument populated, for contract tests.

Two lists, because they are checked differently: :func:`send_everything` covers the calls that
send a JSON body (validated against the request schemas), :func:`read_everything` the reads
(query parameters checked against the spec, responses parsed). A new client method belongs in
one of them; ``test_queries`` fails when a method of a domain is called by neither.
"""

from __future__ import annotations

import random
from typing import Any

from odc_pipeline import openapi
from odc_pipeline.api import OdcClient
from odc_pipeline.api import models as m
from odc_pipeline.api.models import AssetConfigPatch, ConfigGroupPatch, ConfigValuePatch, LibraryConfigPatch

from .stub import Reply, Seen, StubOdc

UUID1 = "0f4c2a5e-0000-4000-8000-000000000001"
UUID2 = "0f4c2a5e-0000-4000-8000-000000000002"
UUID3 = "0f4c2a5e-0000-4000-8000-000000000003"

FULL_PATCH = AssetConfigPatch(
    key=UUID2,
    revision_baseline=3,
    settings=[
        ConfigValuePatch(key="s", value="v"),
        ConfigValuePatch(key="bin", value="QUJD", filename="a.bin"),
    ],
    timers=[ConfigGroupPatch(key="t", configs=[ConfigValuePatch(key="IsActive", value="False")])],
    integrations=[ConfigGroupPatch(key="i", configs=[ConfigValuePatch(key="URL", value="https://x")])],
    libraries=[
        LibraryConfigPatch(
            key="l",
            revision=2,
            settings=[ConfigValuePatch(key="ls", value="1")],
            system_configurations=[ConfigValuePatch(key="sc", value="2")],
            integrations=[ConfigGroupPatch(key="li", configs=[ConfigValuePatch(key="k", value="v")])],
        )
    ],
    system_configurations=[ConfigValuePatch(key="Email", value="a@b.c")],
)
AGENT_PATCH = FULL_PATCH.model_copy(update={"system_configurations": None})

# (domain attribute, method) pairs exercised below; test_queries compares them with the API.
EXERCISED: set[tuple[str, str]] = set()


def _mark(*pairs: str) -> None:
    for pair in pairs:
        domain, method = pair.split(".")
        EXERCISED.add((domain, method))


def send_everything(client: OdcClient) -> None:
    """Call every client method that sends a body, with every optional field populated."""
    client.builds.start(UUID2, 3)
    client.builds.start(UUID2, 3, build_type="Debug")
    client.builds.start_generated_code(UUID1)  # no body, but a POST: the query check covers it
    client.assets.set_tag(UUID2, 3, tag="1.2.3", release_notes="<p>n</p>", commit_message="c")
    client.assets.set_tag(UUID2, 3, tag="1.2.4")
    client.assets.set_tag(UUID2, 3, tag="1.2.5", commit_message="only a message")
    client.assets.set_commit_message(UUID2, 3, "odc-pipeline package sha256:ab")
    client.dependencies.start_deployment_analysis(UUID2, 3, UUID3)
    client.configurations.patch(UUID3, UUID2, FULL_PATCH)
    client.configurations.patch(UUID3, UUID2, AGENT_PATCH, agent=True)
    client.configurations.patch(UUID3, UUID2, AssetConfigPatch(settings=[ConfigValuePatch(key="only")]))
    client.configurations.patch(
        UUID3,
        UUID2,
        AssetConfigPatch(
            timers=[ConfigGroupPatch(key="t")],
            integrations=[ConfigGroupPatch(key="i", configs=[])],
            libraries=[LibraryConfigPatch(key="l")],
        ),
        agent=True,
    )
    client.configurations.patch_default_system(
        UUID3, m.EnvironmentConfigPatch(system_configurations=[ConfigValuePatch(key="k", value="v")])
    )
    client.configurations.patch_default_system(UUID3, m.EnvironmentConfigPatch())
    for operation, extra in (
        ("Deploy", {"revision": 3, "build_key": UUID1}),
        ("ApplyConfigs", {"revision": 3}),
        ("Undeploy", {}),
        ("Undeploy", {"revision": 3}),
    ):
        client.deployments.start(operation=operation, asset_key=UUID2, environment_key=UUID3, **extra)
    client.code_quality.start_analysis(UUID2, 3)
    client.external_libraries.start_generation(file_name="lib.zip", binary_uri="https://b/lib.zip")
    _mark(
        "builds.start",
        "builds.start_generated_code",
        "assets.set_tag",
        "assets.set_commit_message",
        "dependencies.start_deployment_analysis",
        "configurations.patch",
        "configurations.patch_default_system",
        "deployments.start",
        "code_quality.start_analysis",
        "external_libraries.start_generation",
    )


SENT_WITH_BODY = 19  # calls of send_everything that carry a JSON body


def wire_success_answers(stub: StubOdc) -> None:
    stub.on("POST", "/api/builds/v1/build-operations", Reply(201, {"buildKey": UUID1, "isSuccessful": True}))
    stub.on(
        "POST", f"/api/builds/v1/build-operations/{UUID1}/generated-code", Reply(201, {"isSuccessful": True})
    )
    stub.on("PATCH", f"/api/asset-repository/v1/assets/{UUID2}/revisions/3", Reply(204))
    stub.on("POST", "/api/dependency-management/v1/deployment-analyses", Reply(201, {"analysisKey": "k"}))
    for kind in ("applications", "agents"):
        stub.on(
            "PATCH",
            f"/api/asset-configurations/v1/environments/{UUID3}/{kind}/{UUID2}/configurations",
            Reply(204),
        )
    stub.on(
        "PATCH",
        f"/api/asset-configurations/v1/environments/{UUID3}/default-system-configurations",
        Reply(204),
    )
    stub.on(
        "POST", "/api/deployments/v1/deployment-operations", Reply(201, {"key": UUID1, "status": "Running"})
    )
    stub.on("POST", "/api/code-quality/v1/code-analyses", Reply(200, {"analysisKey": UUID1}))
    stub.on("POST", "/api/external-libraries/v1/generation-operations", Reply(201, {"operationKey": UUID1}))


def read_everything(client: OdcClient) -> None:
    """Call every reading client method, once bare and once with every optional filter."""
    assets = client.assets
    assets.find_by_name("Orders Portal")
    assets.find_by_names(["Orders Portal", "Billing"])
    assets.get(UUID2)
    assets.get_many([UUID2, UUID3])
    assets.latest_revision(UUID2)
    assets.highest_tag_revision(UUID2)
    list(assets.list_revisions(UUID2))
    list(assets.list_revisions(UUID2, is_tagged=True, sort="tag"))
    list(assets.list_revisions(UUID2, is_tagged=False, sort="revision"))
    assets.get_revision(UUID2, 3)

    builds = client.builds
    builds.get(UUID1)
    builds.list(UUID2)
    builds.list(UUID2, revision=3, build_type="Release")
    builds.list(UUID2, build_type="Debug")
    builds.list_tenant_wide(build_type="Release")  # no assetKey: the spec types it optional
    builds.log_messages(UUID1)
    builds.get_generated_code(UUID1)
    builds.finder(UUID2, 3)()

    dependencies = client.dependencies
    dependencies.get_deployment_analysis(UUID1)
    dependencies.producers(UUID2, 3)
    dependencies.producers(UUID2, 3, environment_key=UUID3, max_depth=2, producer_type_filter="Deployable")
    dependencies.consumers(UUID2)
    dependencies.consumers(UUID2, revision=3, environment_key=UUID3)

    configurations = client.configurations
    for agent in (False, True):
        configurations.get_deployed(UUID3, UUID2, agent=agent)
        configurations.get_for_revision(UUID3, UUID2, 3, agent=agent)
    configurations.get_default_system(UUID3)

    deployments = client.deployments
    deployments.get(UUID1)
    list(deployments.list())
    list(
        deployments.list(
            environment_key=UUID3,
            asset_key=UUID2,
            status="FinishedWithError",
            operations=["Deploy", "Undeploy", "ApplyConfigs"],
            revision=3,
            sort="FinishedAt",
            limit=5,
        )
    )
    list(deployments.messages(UUID1))
    deployments.finder(operation="Deploy", asset_key=UUID2, environment_key=UUID3)()

    client.portfolio.environments()
    list(client.portfolio.deployed_assets())
    list(client.portfolio.deployed_assets(asset_keys=[UUID1, UUID2], environment_keys=[UUID3]))

    client.code_quality.get_summary(UUID2, 3)
    client.code_quality.get_analysis(UUID1)

    client.external_libraries.get_upload_urls()
    client.external_libraries.get_generation(UUID1)
    client.external_libraries.list_generations()
    client.external_libraries.log_messages(UUID1)
    client.assets.list_external_libraries()
    list(client.assets.list_revisions(UUID2, is_tagged=True, tag="1.2.3", commit_message="sha256:ab"))
    client.external_libraries.finder("lib.zip")()
    _mark(
        "external_libraries.list_generations",
        "external_libraries.log_messages",
        "assets.list_external_libraries",
        "assets.find_by_name",
        "assets.find_by_names",
        "assets.get",
        "assets.get_many",
        "assets.latest_revision",
        "assets.highest_tag_revision",
        "assets.list_revisions",
        "assets.get_revision",
        "builds.get",
        "builds.list",
        "builds.list_tenant_wide",
        "builds.log_messages",
        "builds.get_generated_code",
        "builds.finder",
        "dependencies.get_deployment_analysis",
        "dependencies.producers",
        "dependencies.consumers",
        "configurations.get_deployed",
        "configurations.get_for_revision",
        "configurations.get_default_system",
        "deployments.get",
        "deployments.list",
        "deployments.messages",
        "deployments.finder",
        "portfolio.environments",
        "portfolio.deployed_assets",
        "code_quality.get_summary",
        "code_quality.get_analysis",
        "external_libraries.get_upload_urls",
        "external_libraries.get_generation",
        "external_libraries.finder",
    )


def answer_with_samples(stub: StubOdc, seed: str = "reads") -> None:
    """Answer every unscripted API call with a schema-valid sample of its success response.

    ``page.nextPageOffset`` is cleared so listings end after one page (paging has its own tests).
    """
    rng = random.Random(seed)

    def answer(seen: Seen) -> Reply:
        operation = openapi.find_operation(seen.method, seen.path)
        if operation is None:
            return Reply(404, {"title": "Not Found", "status": 404})
        for status in (200, 201, 204):
            if str(status) in operation.definition.get("responses", {}):
                break
        schema = operation.response_schema(status)
        body: Any = openapi.sample(schema, rng, optional_rate=1.0) if schema else None
        if isinstance(body, dict) and isinstance(body.get("page"), dict):
            body["page"]["nextPageOffset"] = None
        return Reply(status, body)

    stub.fallback = answer
