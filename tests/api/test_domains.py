"""Each domain method calls the documented method, path, query and body, and parses the answer."""

from __future__ import annotations

import pytest

from odc_pipeline.api.models import (
    AssetConfigPatch,
    ConfigGroupPatch,
    ConfigValuePatch,
    EnvironmentConfigPatch,
)

from .stub import Reply

AR = "/api/asset-repository/v1"


def asset(name: str, key: str = "a1", **extra) -> dict:
    return {"assetKey": key, "name": name, "revision": 4, **extra}


def test_find_by_name_is_exact(client, stub):
    body = {
        "results": [asset("Orders"), asset("Orders Admin", "a2"), asset("orders", "a3")],
        "page": {"nextPageOffset": None},
    }
    stub.on("GET", f"{AR}/assets", Reply(200, body))
    found = client.assets.find_by_name("Orders")
    assert [a.asset_key for a in found] == ["a1", "a3"]  # case-insensitive, but exact
    assert ("nameContains", "Orders") in stub.calls("GET", f"{AR}/assets")[0].query


def test_asset_getters_and_highest_tag_404(client, stub):
    stub.on(
        "GET",
        f"{AR}/assets/a1",
        Reply(200, asset("Orders", _embedded={"icon": {"iconUrl": "u"}}, newField=1)),
    )
    stub.on("GET", f"{AR}/assets/a1/latest-revision", Reply(200, asset("Orders")))
    stub.on("GET", f"{AR}/assets/a1/revisions/4", Reply(200, asset("Orders", tag="1.0.0")))
    stub.on("GET", f"{AR}/assets/a1/highest-tag-revision", Reply(404, {"title": "Not Found"}))
    got = client.assets.get("a1")
    assert got.embedded == {"icon": {"iconUrl": "u"}}
    assert got.model_extra == {"newField": 1}  # unknown fields are kept, not fatal
    assert client.assets.latest_revision("a1").revision == 4
    assert client.assets.get_revision("a1", 4).tag == "1.0.0"
    assert client.assets.highest_tag_revision("a1") is None


def test_set_tag_sends_only_given_fields(client, stub):
    stub.on("PATCH", f"{AR}/assets/a1/revisions/4", Reply(204))
    client.assets.set_tag("a1", 4, tag="1.2.0", release_notes="notes")
    assert stub.calls("PATCH", f"{AR}/assets/a1/revisions/4")[0].json == {
        "tag": "1.2.0",
        "releaseNotes": "notes",
    }


def test_builds(client, stub):
    base = "/api/builds/v1/build-operations"
    stub.on("POST", base, Reply(201, {"buildKey": "b1", "isSuccessful": True}))
    stub.on(
        "GET", f"{base}/b1/log-messages", Reply(200, {"results": [{"message": "ok", "severity": "Info"}]})
    )
    stub.on("POST", f"{base}/b1/generated-code", Reply(201, {"isSuccessful": True}))
    stub.on("GET", f"{base}/b1/generated-code", Reply(200, {"status": "Finished", "uri": "https://x/y.zip"}))
    assert client.builds.start("a1", 4).build_key == "b1"
    assert stub.calls("POST", base)[0].json == {"assetKey": "a1", "assetRevision": 4, "buildType": "Release"}
    assert client.builds.log_messages("b1")[0].message == "ok"
    assert client.builds.start_generated_code("b1").is_successful
    assert client.builds.get_generated_code("b1").uri == "https://x/y.zip"


def test_dependencies(client, stub):
    base = "/api/dependency-management/v1"
    stub.on("POST", f"{base}/deployment-analyses", Reply(200, {"analysisKey": "an1"}))
    report = {
        "status": "ErrorsFound",
        "impactedAssets": [
            {
                "assetKey": "c1",
                "referenceType": "Consumer",
                "elementLevelIssues": [{"conflictType": "MissingElement", "conflictSeverity": "Error"}],
            }
        ],
    }
    stub.on(
        "GET",
        f"{base}/deployment-analyses/an1",
        Reply(200, {"analysisKey": "an1", "processStatus": "Finished", "report": report, "error": None}),
    )
    stub.on(
        "GET",
        f"{base}/assets/a1/revisions/4/producers",
        Reply(200, {"results": [{"key": "p1", "isDirectProducer": True}]}),
    )
    stub.on(
        "GET",
        f"{base}/assets/a1/revisions/4/consumers",
        Reply(200, {"results": [{"key": "c1", "revision": 2}]}),
    )
    assert client.dependencies.start_deployment_analysis("a1", 4, "e1") == "an1"
    assert stub.calls("POST", f"{base}/deployment-analyses")[0].json == {
        "revision": 4,
        "environmentKey": "e1",
        "assetKey": "a1",
    }
    analysis = client.dependencies.get_deployment_analysis("an1")
    assert analysis.report.impacted_assets[0].element_level_issues[0].conflict_severity == "Error"
    assert client.dependencies.producers("a1", 4, max_depth=1)[0].is_direct_producer
    assert ("maxDepth", "1") in stub.calls("GET", f"{base}/assets/a1/revisions/4/producers")[0].query
    assert client.dependencies.consumers("a1", revision=4, environment_key="e1")[0].key == "c1"


def test_configurations(client, stub):
    base = "/api/asset-configurations/v1/environments/e1"
    cfg = {
        "key": "a1",
        "settings": [{"key": "s1", "value": "v", "deployedValue": "old", "isSecret": False}],
        "timers": None,
    }
    stub.on("GET", f"{base}/applications/a1/revisions/deployed/configurations", Reply(200, cfg))
    stub.on("GET", f"{base}/agents/g1/revisions/7/configurations", Reply(200, {"key": "g1"}))
    stub.on("PATCH", f"{base}/applications/a1/configurations", Reply(204))
    stub.on("GET", f"{base}/default-system-configurations", Reply(200, {"systemConfigurations": None}))
    stub.on("PATCH", f"{base}/default-system-configurations", Reply(204))
    deployed = client.configurations.get_deployed("e1", "a1")
    assert deployed.settings[0].deployed_value == "old"
    assert deployed.timers == []
    assert client.configurations.get_for_revision("e1", "g1", 7, agent=True).key == "g1"
    patch = AssetConfigPatch(
        revision_baseline=4,
        settings=[ConfigValuePatch(key="s1", value="new")],
        timers=[ConfigGroupPatch(key="t1", configs=[ConfigValuePatch(key="IsActive", value="False")])],
    )
    client.configurations.patch("e1", "a1", patch)
    assert stub.calls("PATCH", f"{base}/applications/a1/configurations")[0].json == {
        "revisionBaseline": 4,
        "settings": [{"key": "s1", "value": "new"}],
        "timers": [{"key": "t1", "configs": [{"key": "IsActive", "value": "False"}]}],
    }
    assert client.configurations.get_default_system("e1").system_configurations == []
    client.configurations.patch_default_system(
        "e1", EnvironmentConfigPatch(system_configurations=[ConfigValuePatch(key="k")])
    )
    with pytest.raises(ValueError, match="agent"):
        client.configurations.patch("e1", "g1", AssetConfigPatch(system_configurations=[]), agent=True)
    assert (
        "PATCH /api/asset-configurations/v1/environments/{environmentKey}"
        "/applications/{applicationKey}/configurations" in client.http.call_counts
    )


def test_request_models_forbid_unknown_fields():
    with pytest.raises(ValueError, match="labels"):
        AssetConfigPatch(labels=["x"])


def test_deployments(client, stub):
    base = "/api/deployments/v1/deployment-operations"
    running = {"key": "d1", "status": "Running", "finishedDateTime": "0001-01-01T00:00:00", "revisions": [4]}
    stub.on("POST", base, Reply(201, running))
    stub.on(
        "GET",
        f"{base}/d1",
        Reply(200, {**running, "status": "Finished", "finishedDateTime": "2026-01-01T10:00:00Z"}),
    )
    op = client.deployments.start(operation="ApplyConfigs", asset_key="a1", environment_key="e1", revision=4)
    assert op.finished_date_time is None  # the .NET MinValue sentinel means "not finished"
    assert stub.calls("POST", base)[0].json == {
        "operation": "ApplyConfigs",
        "assetKey": "a1",
        "environmentKey": "e1",
        "revision": 4,
    }
    assert client.deployments.get("d1").finished_date_time.year == 2026


def test_portfolio_sends_comma_separated_keys_once_because_the_spec_types_them_as_strings(client, stub):
    stub.on(
        "GET",
        "/api/portfolios/v2/environments",
        Reply(200, {"results": [{"key": "p", "order": 1000}, {"key": "d", "order": 0}]}),
    )
    stub.on(
        "GET",
        "/api/portfolios/v2/deployed-assets",
        Reply(
            200,
            {
                "results": [
                    {
                        "type": "WebApplication",
                        "key": "a1",
                        "deployments": [{"environmentKey": "e1", "revision": 4}],
                    }
                ],
                "page": {"nextPageOffset": None},
            },
        ),
    )
    assert [e.key for e in client.portfolio.environments()] == ["d", "p"]
    assets = list(client.portfolio.deployed_assets(asset_keys=["a1", "a2"], environment_keys=["e1"]))
    assert assets[0].deployments[0].revision == 4
    query = stub.calls("GET", "/api/portfolios/v2/deployed-assets")[0].query
    assert [v for k, v in query if k == "key"] == ["a1,a2"]
    assert [v for k, v in query if k == "environmentKey"] == ["e1"]


def test_array_parameters_repeat_the_key_and_scalars_never_do():
    from odc_pipeline import openapi

    portfolio = "portfolio-api-v2.json"
    pairs = openapi.serialize_query(
        portfolio, "GET", "/deployed-assets", {"key": ["a", "b"], "type": ["WebApplication", "Workflow"]}
    )
    assert pairs == [("key", "a,b"), ("type", "WebApplication"), ("type", "Workflow")]
    deployments = "deployments-api-v1.json"
    assert openapi.serialize_query(
        deployments, "GET", "/deployment-operations", {"operations": ["Deploy"], "limit": 5, "status": None}
    ) == [("operations", "Deploy"), ("limit", "5")]
    assets = "asset-repository-api-v1.json"
    assert openapi.serialize_query(assets, "GET", "/assets/{assetKey}/revisions", {"isTagged": True}) == [
        ("isTagged", "true")
    ]
    with pytest.raises(ValueError, match="declares no query parameter 'keys'"):
        openapi.serialize_query(portfolio, "GET", "/deployed-assets", {"keys": ["a"]})


def test_code_quality(client, stub):
    base = "/api/code-quality/v1"
    stub.on(
        "GET", f"{base}/assets/a1/revisions/4/analysis-summary", Reply(404, {"errorCode": "OS-AIMS-40412"})
    )
    stub.on(
        "GET",
        f"{base}/assets/a1/revisions/5/analysis-summary",
        Reply(
            200,
            {
                "assetRevision": 5,
                "analysisDate": "2026-01-02",
                "summary": {"categories": {"security": {"criticalSeverity": 2}}},
            },
        ),
    )
    stub.on("POST", f"{base}/code-analyses", Reply(200, {"analysisKey": "c1", "status": "Queued"}))
    stub.on(
        "GET",
        f"{base}/code-analyses/c1",
        Reply(200, {"analysisKey": "c1", "status": "COMPLETED", "qualityScore": 91.5}),
    )
    assert client.code_quality.get_summary("a1", 4) is None
    assert client.code_quality.get_summary("a1", 5).summary.categories.security.critical_severity == 2
    assert client.code_quality.start_analysis("a1", 4).analysis_key == "c1"
    assert stub.calls("POST", f"{base}/code-analyses")[0].json == {"assetKey": "a1", "assetRevision": 4}
    assert client.code_quality.get_analysis("c1").is_terminal


def test_external_libraries(client, stub, secrets):
    base = "/api/external-libraries/v1"
    upload = "https://bucket.s3.example.com/lib.zip?X-Amz-Signature=abcdef123456"
    stub.on(
        "GET",
        f"{base}/uploads",
        Reply(200, {"uploadUrl": upload, "downloadUrl": "https://bucket/lib.zip?sig=zzzz9"}),
    )
    stub.on("PUT", "/lib.zip", Reply(200))
    stub.on("POST", f"{base}/generation-operations", Reply(201, {"operationKey": "g1"}))
    stub.on(
        "GET",
        f"{base}/generation-operations/g1",
        Reply(200, {"key": "g1", "status": "ReadyForReview", "libraryKey": "l1"}),
    )
    urls = client.external_libraries.get_upload_urls()
    # The whole pre-signed URL grants access (issue #12): masked entirely, and its signature alone.
    assert secrets.redact(f"PUT {upload} failed") == "PUT *** failed"
    assert secrets.redact("X-Amz-Signature=abcdef123456") == "***"
    client.external_libraries.upload(urls.upload_url, b"PK\x03\x04zip")
    put = stub.calls("PUT", "/lib.zip")[0]
    assert put.body == b"PK\x03\x04zip"
    assert "Authorization" not in put.headers  # no ODC token on a third-party URL
    assert (
        client.external_libraries.start_generation(file_name="lib.zip", binary_uri=urls.download_url) == "g1"
    )
    assert stub.calls("POST", f"{base}/generation-operations")[0].json == {
        "fileName": "lib.zip",
        "highCodeBinaryUri": urls.download_url,
    }
    assert client.external_libraries.get_generation("g1").library_key == "l1"
