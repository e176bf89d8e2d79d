"""Code quality summaries and analyses; external library generation ending in a tag."""

from __future__ import annotations

import requests

from .conftest import Api, edited_tenant, keys, wait_for


def test_a_summary_is_missing_until_the_revision_is_analysed(sim, make_client, clock):
    client = make_client(sim)
    portal = keys(sim)["Orders Portal"]
    assert client.code_quality.get_summary(portal, 20) is None
    started = client.code_quality.start_analysis(portal, 20)
    final = wait_for(
        clock,
        lambda: (
            (a := client.code_quality.get_analysis(started.analysis_key)).status
            in ("Completed", "Failed", "Timeout")
            and a
        ),
    )
    assert final.status == "Completed"
    summary = client.code_quality.get_summary(portal, 20)
    assert summary.asset_revision == 20
    assert summary.quality_score == 100.0


def test_summaries_report_the_tenant_findings(sim, make_client):
    client = make_client(sim)
    summary = client.code_quality.get_summary(keys(sim)["Orders Portal"], 19)
    assert summary.quality_score == 82.0
    assert summary.summary.categories.security.high_severity == 1
    assert summary.summary.categories.security.critical_severity == 0


def test_analyses_the_tenant_makes_fail_or_time_out(make_sim, make_client, clock):
    def outcomes(data):
        data["outcomes"] = [
            {"operation": "code_analysis", "revision": 20, "result": "timeout", "duration": 600},
            {"operation": "code_analysis", "result": "failure"},
        ]

    sim = make_sim(edited_tenant(outcomes))
    client = make_client(sim)
    portal = keys(sim)["Orders Portal"]
    terminal = ("Completed", "Failed", "Timeout")
    slow = client.code_quality.start_analysis(portal, 20)
    failing = client.code_quality.start_analysis(portal, 19)
    assert (
        wait_for(
            clock,
            lambda: (a := client.code_quality.get_analysis(failing.analysis_key)).status in terminal and a,
        ).status
        == "Failed"
    )
    assert client.code_quality.get_analysis(slow.analysis_key).status == "Queued"  # not terminal: 20 s of 600
    assert (
        wait_for(
            clock, lambda: (a := client.code_quality.get_analysis(slow.analysis_key)).status in terminal and a
        ).status
        == "Timeout"
    )
    assert client.code_quality.get_summary(portal, 20) is None


def test_an_external_library_is_generated_then_released_by_tagging(sim, clock):
    api = Api(sim)
    upload = api("GET", "/api/external-libraries/v1/uploads").json()
    put = requests.put(
        upload["uploadUrl"], data=b"zip bytes", headers={"Content-Type": "application/zip"}, timeout=10
    )
    assert put.status_code == 200
    stored = next(iter(sim.state.objects.objects.values()))
    assert (stored.content_type, stored.size, stored.read()) == ("application/zip", 9, b"zip bytes")
    body = {"fileName": "PdfTools.zip", "highCodeBinaryUri": upload["downloadUrl"]}
    key = api("POST", "/api/external-libraries/v1/generation-operations", json=body).json()["operationKey"]
    clock.advance(30)
    ready = api("GET", f"/api/external-libraries/v1/generation-operations/{key}").json()
    assert (ready["status"], ready["isNewLibrary"], ready["libraryName"]) == (
        "ReadyForReview",
        True,
        "PdfTools",
    )
    library = ready["libraryKey"]
    assert api("GET", f"/api/asset-repository/v1/assets/{library}").json()["assetType"] == "ExternalLibrary"
    assert (
        api(
            "PATCH", f"/api/asset-repository/v1/assets/{library}/revisions/1", json={"tag": "1.0.0"}
        ).status_code
        == 204
    )
    assert (
        api("GET", f"/api/external-libraries/v1/generation-operations/{key}").json()["status"] == "Completed"
    )


def test_a_generation_from_nothing_uploaded_ends_in_download_error(sim, clock):
    # The platform fetches highCodeBinaryUri after accepting the POST, so the POST cannot know.
    api = Api(sim)
    upload = api("GET", "/api/external-libraries/v1/uploads").json()
    body = {"fileName": "PdfTools.zip", "highCodeBinaryUri": upload["downloadUrl"]}
    started = api("POST", "/api/external-libraries/v1/generation-operations", json=body)
    assert started.status_code == 201
    key = started.json()["operationKey"]
    clock.advance(30)
    base = f"/api/external-libraries/v1/generation-operations/{key}"
    assert api("GET", base).json()["status"] == "DownloadError"
    errors = [
        m for m in api("GET", f"{base}/log-messages").json()["validationMessages"] if m["type"] == "Error"
    ]
    assert errors
    assert "Could not download PdfTools.zip" in errors[0]["message"]
    assert not [a for a in sim.state.assets.values() if a.name == "PdfTools"]


def test_the_object_store_is_signed_expiring_and_refuses_the_odc_token(sim, clock):
    api = Api(sim)
    upload = api("GET", "/api/external-libraries/v1/uploads").json()["uploadUrl"]
    assert "X-Amz-Signature=" in upload
    with_token = requests.put(upload, data=b"x", headers={"Authorization": "Bearer t"}, timeout=10)
    assert with_token.status_code == 400
    assert b"Only one auth mechanism" in with_token.content
    unsigned = requests.put(upload.split("?")[0], data=b"x", timeout=10)
    assert unsigned.status_code == 403
    clock.advance(901)  # the tenant's upload_url_lifetime_seconds is 900 by default
    expired = requests.put(upload, data=b"x", timeout=10)
    assert (expired.status_code, b"Request has expired" in expired.content) == (403, True)
    assert not sim.state.objects.objects
    logged = sim.request_log.find(method="PUT", path_contains="/_simulator/uploads/")
    assert [e.status for e in logged] == [400, 403, 403]
    assert all("Signature=" not in e.query or e.query.endswith("***") for e in logged)


def test_the_request_log_records_what_tests_need_to_prove_order(sim, api, clock):
    k = keys(sim)
    clock.advance(7)
    body = {
        "operation": "ApplyConfigs",
        "assetKey": k["Orders API"],
        "environmentKey": k["QA"],
        "revision": 11,
    }
    api("POST", "/api/deployments/v1/deployment-operations", json=body)
    entry = sim.request_log.find(method="POST", path_contains="/deployment-operations")[-1]
    assert (entry.status, entry.body, entry.time, entry.client_id) == (201, body, 7.0, sim.client_id)
    assert entry.template == "/api/deployments/v1/deployment-operations"
