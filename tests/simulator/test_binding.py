"""The simulator binds queries as ASP.NET Core does: never kinder than an independent tenant."""

from __future__ import annotations

import pytest

from .conftest import keys

PO = "/api/portfolios/v2"
DE = "/api/deployments/v1"
AR = "/api/asset-repository/v1"


def deployed_names(response) -> list[str]:
    assert response.status_code == 200, response.text
    return sorted(item["deployments"][0]["name"] for item in response.json()["results"])


def test_a_scalar_sent_as_repeated_keys_binds_its_first_value_only(sim, api):
    k = keys(sim)
    portal, backoffice, dev = k["Orders Portal"], k["Orders Backoffice"], k["Development"]
    both = f"{portal},{backoffice}"
    joined = {"key": both, "environmentKey": dev}
    assert deployed_names(api("GET", f"{PO}/deployed-assets", params=joined)) == [
        "Orders Backoffice",
        "Orders Portal",
    ]
    repeated = [("key", portal), ("key", backoffice), ("environmentKey", dev)]
    assert deployed_names(api("GET", f"{PO}/deployed-assets", params=repeated)) == ["Orders Portal"]
    reversed_keys = [("key", backoffice), ("key", portal), ("environmentKey", dev)]
    assert deployed_names(api("GET", f"{PO}/deployed-assets", params=reversed_keys)) == ["Orders Backoffice"]


def test_an_array_takes_one_item_per_key(sim, api):
    answer = api("GET", f"{PO}/deployed-assets", params=[("type", "WebApplication"), ("type", "Workflow")])
    assert answer.status_code == 200
    types = {item["type"] for item in answer.json()["results"]}
    assert types
    assert types <= {"WebApplication", "Workflow"}
    comma = api("GET", f"{PO}/deployed-assets", params={"type": "WebApplication,Workflow"})
    assert comma.status_code == 400  # one item "WebApplication,Workflow", not a valid type


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        (f"{DE}/deployment-operations", {"limit": "2147483648"}, "limit"),  # int32 overflow
        (f"{DE}/deployment-operations", {"revision": "four"}, "revision"),
        (f"{DE}/deployment-operations", {"createdDateSince": "2026-13-45T99:00:00Z"}, "createdDateSince"),
        (f"{DE}/deployment-operations", {"environmentKey": "qa"}, "environmentKey"),  # not a uuid
        (f"{DE}/deployment-operations", {"status": "Done"}, "status"),  # not in the enum
        (f"{PO}/deployed-assets", {"offset": "99999999999"}, "offset"),
    ],
)
def test_values_that_cannot_bind_to_their_declared_type_answer_400_problem_details(api, path, query, name):
    answer = api("GET", path, params=query)
    assert answer.status_code == 400
    body = answer.json()
    assert body["status"] == 400
    assert "traceId" in body
    assert name in body["detail"]
    assert repr(next(iter(query.values())))[1:-1] in body["detail"]


def test_a_boolean_query_refuses_anything_but_true_and_false(sim, api):
    asset = keys(sim)["Orders Portal"]
    assert api("GET", f"{AR}/assets/{asset}/revisions", params={"isTagged": "True"}).status_code == 200
    refused = api("GET", f"{AR}/assets/{asset}/revisions", params={"isTagged": "yes"})
    assert refused.status_code == 400
    assert "isTagged" in refused.json()["detail"]


def test_a_path_parameter_that_cannot_bind_answers_400(sim, api):
    asset = keys(sim)["Orders Portal"]
    answer = api("GET", f"{AR}/assets/{asset}/revisions/99999999999")
    assert answer.status_code == 400
    assert "revisionNumber" in answer.json()["detail"]


@pytest.mark.parametrize("method", ["HEAD", "OPTIONS", "TRACE"])
def test_methods_no_spec_declares_answer_405(sim, api, method):
    answer = api(method, f"{PO}/environments")
    assert answer.status_code == 405
    assert answer.headers["Allow"] == "GET, PATCH"  # what the Portfolio v2 spec declares there
    if method != "HEAD":
        assert answer.json()["status"] == 405
    assert sim.request_log.find(method=method)[0].status == 405
