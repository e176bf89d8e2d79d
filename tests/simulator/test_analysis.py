"""Impact analyses: reports derived from what each stage runs, failures and unavailability."""

from __future__ import annotations

import pytest

from odc_pipeline.api import BadRequestError, NotFoundError

from .conftest import edited_tenant, keys, wait_for


def _finished(client, clock, key):
    return wait_for(
        clock,
        lambda: (a := client.dependencies.get_deployment_analysis(key)).process_status != "InProgress" and a,
        step=1,
    )


def _remove_cancel_order(data):
    """Orders API r13 drops CancelOrder, which the Backoffice QA runs (r5) still uses."""
    api = next(a for a in data["assets"] if a["name"] == "Orders API")
    api["revisions"].append(
        {
            "revision": 13,
            "elements": ["GetOrders", "SubmitOrder", "ExportOrders"],
            "uses": {"Orders Core": ["Order"]},
        }
    )


def test_a_consumer_broken_by_a_removed_element_is_an_error(make_sim, make_client, clock):
    sim = make_sim(edited_tenant(_remove_cancel_order))
    client = make_client(sim)
    k = keys(sim)
    analysis = _finished(
        client, clock, client.dependencies.start_deployment_analysis(k["Orders API"], 13, k["QA"])
    )
    assert analysis.process_status == "Finished"
    assert analysis.report.status == "ErrorsFound"
    broken = {
        (a.asset_key, issue.name, issue.conflict_type, issue.conflict_severity)
        for a in analysis.report.impacted_assets
        if a.reference_type == "Consumer"
        for issue in a.element_level_issues
    }
    backoffice = k["Orders Backoffice"]
    assert broken == {(backoffice, "CancelOrder", "MissingElement", "Error")}


def test_a_revision_that_keeps_every_used_element_has_no_issues(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    analysis = _finished(
        client, clock, client.dependencies.start_deployment_analysis(k["Orders API"], 11, k["Production"])
    )
    assert analysis.report.status == "NoIssuesFound"
    consumers = {a.asset_key for a in analysis.report.impacted_assets if a.reference_type == "Consumer"}
    assert consumers == {k["Orders Portal"], k["Orders Backoffice"], k["Orders Assistant"]}


def test_a_changed_signature_is_a_warning_for_its_consumers(sim, make_client, clock):
    client = make_client(sim)
    k = keys(sim)
    analysis = _finished(
        client, clock, client.dependencies.start_deployment_analysis(k["Orders API"], 12, k["QA"])
    )
    assert analysis.report.status == "WarningsFound"
    warned = {
        a.asset_key
        for a in analysis.report.impacted_assets
        for issue in a.element_level_issues
        if issue.conflict_severity == "Warning"
    }
    assert warned == {k["Orders Portal"], k["Orders Backoffice"], k["Orders Assistant"]}


def test_a_producer_missing_from_the_stage_is_an_error(make_sim, make_client, clock):
    def api_not_in_production(data):
        del data["deployments"]["Production"]["Orders API"]

    sim = make_sim(edited_tenant(api_not_in_production))
    client = make_client(sim)
    k = keys(sim)
    analysis = _finished(
        client, clock, client.dependencies.start_deployment_analysis(k["Orders Portal"], 19, k["Production"])
    )
    assert analysis.report.status == "ErrorsFound"
    producers = {a.asset_key: a for a in analysis.report.impacted_assets if a.reference_type == "Producer"}
    # The library it bundles is reported too (at its released revision), without issues.
    assert set(producers) == {k["Orders API"], k["Orders Core"]}
    producer = producers[k["Orders API"]]
    assert [i.conflict_type for i in producer.application_level_issues] == ["MissingApplication"]
    library = producers[k["Orders Core"]]
    assert (library.revision, library.element_level_issues, library.application_level_issues) == (7, [], [])


def test_the_analysis_reports_a_library_at_its_released_revision_and_what_it_lacks(
    make_sim, make_client, clock
):
    sim = make_sim()
    client = make_client(sim)
    k = keys(sim)
    core = sim.state.assets[k["Orders Core"]]
    core.revisions[8].elements = frozenset({"Order"})  # r8 drops elements Orders API r12 uses
    sim.state.set_tag(k["Orders Core"], 8, {"tag": "2.0.0"}, sim.client_id)
    analysis = _finished(
        client, clock, client.dependencies.start_deployment_analysis(k["Orders API"], 12, k["QA"])
    )
    library = next(a for a in analysis.report.impacted_assets if a.asset_key == k["Orders Core"])
    assert library.revision == 8
    missing = sorted(i.name for i in library.element_level_issues)
    assert missing == ["CancelOrder", "CreateOrder", "GetOrder", "ListOrders"]
    assert analysis.report.status == "ErrorsFound"


def test_report_is_absent_until_the_analysis_finishes(sim, api, clock):
    k = keys(sim)
    body = {"assetKey": k["Orders Portal"], "revision": 20, "environmentKey": k["QA"]}
    key = api("POST", "/api/dependency-management/v1/deployment-analyses", json=body).json()["analysisKey"]
    running = api("GET", f"/api/dependency-management/v1/deployment-analyses/{key}").json()
    assert (running["processStatus"], running["report"]) == ("InProgress", None)
    clock.advance(3)
    assert api("GET", f"/api/dependency-management/v1/deployment-analyses/{key}").json()["report"]["status"]


def test_an_analysis_the_tenant_makes_fail_reports_failed_with_an_error(make_sim, make_client, clock):
    def fail(data):
        data["outcomes"] = [
            {"operation": "analysis", "stage": "Production", "result": "failure", "message": "Graph timeout"}
        ]

    sim = make_sim(edited_tenant(fail))
    client = make_client(sim)
    k = keys(sim)
    analysis = _finished(
        client, clock, client.dependencies.start_deployment_analysis(k["Orders Portal"], 19, k["Production"])
    )
    assert analysis.process_status == "Failed"
    assert analysis.report is None
    assert analysis.error.detail == "Graph timeout"


def test_an_unavailable_analysis_answers_404(make_sim, make_client):
    def unavailable(data):
        data["outcomes"] = [{"operation": "analysis", "result": "unavailable"}]

    sim = make_sim(edited_tenant(unavailable))
    client = make_client(sim)
    k = keys(sim)
    with pytest.raises(NotFoundError):
        client.dependencies.start_deployment_analysis(k["Orders Portal"], 19, k["Production"])


def test_libraries_are_not_analysed_for_deployment(sim, make_client):
    client = make_client(sim)
    k = keys(sim)
    with pytest.raises(BadRequestError):
        client.dependencies.start_deployment_analysis(k["Orders Core"], 8, k["QA"])


def test_producers_and_consumers_follow_the_stage(sim, make_client):
    client = make_client(sim)
    k = keys(sim)
    producers = client.dependencies.producers(k["Orders Portal"], 19, environment_key=k["QA"])
    assert {(p.key, p.revision, p.is_direct_producer) for p in producers} == {
        (k["Orders API"], 11, True),
        (k["Orders Core"], 8, True),
    }
    consumers = client.dependencies.consumers(k["Orders API"], environment_key=k["Production"])
    assert {(c.key, c.revision) for c in consumers} == {
        (k["Orders Portal"], 17),
        (k["Orders Backoffice"], 4),
        (k["Orders Assistant"], 1),
    }


def test_a_revision_needing_an_element_its_running_producer_lacks_is_an_error(make_sim, make_client, clock):
    def production_api_without_cancel(data):
        api = next(a for a in data["assets"] if a["name"] == "Orders API")
        r9 = next(r for r in api["revisions"] if r["revision"] == 9)
        r9["elements"] = ["GetOrders", "SubmitOrder", "ExportOrders"]

    sim = make_sim(edited_tenant(production_api_without_cancel))
    client = make_client(sim)
    k = keys(sim)
    analysis = _finished(
        client, clock, client.dependencies.start_deployment_analysis(k["Orders Portal"], 20, k["Production"])
    )
    assert analysis.report.status == "ErrorsFound"
    issues = {
        (a.asset_key, a.revision, i.name, i.conflict_type, i.conflict_severity)
        for a in analysis.report.impacted_assets
        if a.reference_type == "Producer"
        for i in a.element_level_issues
    }
    assert issues == {(k["Orders API"], 9, "CancelOrder", "MissingElement", "Error")}
