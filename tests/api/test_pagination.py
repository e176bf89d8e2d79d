"""Every page shape: offset/limit + nextPageOffset, the string cursor, and unpaged lists."""

from __future__ import annotations

from odc_pipeline.api.pagination import iter_cursor_pages, iter_offset_pages, results_of

from .stub import Reply

REVISIONS = "/api/asset-repository/v1/assets/a1/revisions"
DEPLOYS = "/api/deployments/v1/deployment-operations"
MESSAGES = "/api/deployments/v1/deployment-operations/d1/messages"


def rev(n: int) -> dict:
    return {"assetKey": "a1", "name": "App", "revision": n}


def offset_page(offset: int, items: list, total: int, limit: int = 100) -> Reply:
    nxt = offset + limit if offset + limit < total else None
    page = {
        "count": len(items),
        "limit": limit,
        "offset": offset,
        "nextPageOffset": nxt,
        "totalResults": total,
    }
    return Reply(200, {"results": items, "page": page})


def test_offset_pages_follow_next_page_offset(client, stub):
    stub.on(
        "GET",
        REVISIONS,
        offset_page(0, [rev(n) for n in range(250, 150, -1)], 250),
        offset_page(100, [rev(n) for n in range(150, 50, -1)], 250),
        offset_page(200, [rev(n) for n in range(50, 0, -1)], 250),
    )
    revisions = [r.revision for r in client.assets.list_revisions("a1", is_tagged=True)]
    assert revisions == list(range(250, 0, -1))
    calls = stub.calls("GET", REVISIONS)
    assert [dict(c.query)["offset"] for c in calls] == ["0", "100", "200"]
    assert all(dict(c.query)["limit"] == "100" for c in calls)
    assert dict(calls[0].query)["sort"] == "-revision"
    assert dict(calls[0].query)["isTagged"] == "true"


def test_offset_pages_without_totals_stop_on_null_next_offset(client, stub):
    def page(offset, keys, nxt):
        body = {"results": [{"key": k, "status": "Finished"} for k in keys]}
        body["page"] = {"count": len(keys), "limit": 2, "offset": offset, "nextPageOffset": nxt}
        return Reply(200, body)

    stub.on("GET", DEPLOYS, page(None, ["d1", "d2"], 2), page(2, ["d3", "d4"], 4), page(4, ["d5"], None))
    assert [op.key for op in client.deployments.list(asset_key="a1")] == ["d1", "d2", "d3", "d4", "d5"]
    assert len(stub.calls("GET", DEPLOYS)) == 3


def test_list_limit_caps_the_total_and_the_page_size(client, stub):
    body = {
        "results": [{"key": f"d{i}"} for i in range(3)],
        "page": {"count": 3, "limit": 3, "nextPageOffset": 3},
    }
    stub.on("GET", DEPLOYS, Reply(200, body))
    assert [op.key for op in client.deployments.list(limit=3)] == ["d0", "d1", "d2"]
    assert len(stub.calls("GET", DEPLOYS)) == 1
    assert dict(stub.calls("GET", DEPLOYS)[0].query)["limit"] == "3"


def test_string_cursor_pages(client, stub):
    def page(items, nxt):
        return Reply(
            200,
            {
                "results": [{"message": m, "severity": "Info"} for m in items],
                "page": {"count": len(items), "limit": 100, "offset": None, "nextPageOffset": nxt},
            },
        )

    stub.on("GET", MESSAGES, page(["a", "b"], "c2|xyz"), page(["c"], "c3|abc"), page(["d"], None))
    assert [m.message for m in client.deployments.messages("d1")] == ["a", "b", "c", "d"]
    offsets = [dict(c.query).get("offset") for c in stub.calls("GET", MESSAGES)]
    assert offsets == [None, "c2|xyz", "c3|abc"]  # no offset on the first page


def test_unpaged_lists_treat_null_as_empty(client, stub):
    stub.on("GET", "/api/builds/v1/build-operations", Reply(200, {"builds": None}))
    stub.on("GET", "/api/dependency-management/v1/assets/a1/consumers", Reply(200, {"results": None}))
    assert client.builds.list("a1") == []
    assert client.dependencies.consumers("a1") == []
    assert results_of(None) == []


def test_offset_iteration_stops_when_the_server_does_not_advance():
    calls = []

    def fetch(offset, limit):
        calls.append(offset)
        return {"results": [1], "page": {"nextPageOffset": 0}}

    assert list(iter_offset_pages(fetch)) == [1]
    assert calls == [0]


def test_offset_iteration_stops_at_total_results_and_empty_pages():
    pages = {0: {"results": [1, 2], "page": {"nextPageOffset": 2, "totalResults": 2}}}
    assert list(iter_offset_pages(lambda o, n: pages[o])) == [1, 2]
    assert list(iter_offset_pages(lambda o, n: {"results": [], "page": {"nextPageOffset": 5}})) == []


def test_cursor_iteration_stops_on_a_repeated_cursor():
    calls = []

    def fetch(cursor, limit):
        calls.append(cursor)
        return {"results": [cursor], "page": {"nextPageOffset": "same"}}

    assert list(iter_cursor_pages(fetch)) == [None, "same"]
    assert calls == [None, "same"]
