"""Batched asset reads: one listing answers many names, the assetKeys filter many keys.

What a release of hundreds of apps costs in the Asset Repository's 100 requests/min depends
on these, so the number and the shape of the calls are the assertions.
"""

from __future__ import annotations

from tests.api.stub import Reply, Seen, StubOdc

AR = "/api/asset-repository/v1"


def asset(name: str, key: str, revision: int = 4) -> dict:
    return {"assetKey": key, "name": name, "revision": revision}


def page(items: list[dict], *, offset: int, total: int, limit: int = 1000) -> dict:
    following = offset + limit if offset + limit < total else None
    return {"results": items, "page": {"offset": offset, "nextPageOffset": following, "totalResults": total}}


def test_several_names_cost_one_listing_without_a_name_filter(client, stub: StubOdc) -> None:
    listed = [asset("Orders", "a1"), asset("orders", "a2"), asset("Orders Admin", "a3")]
    listed.append(asset("Billing", "a4"))
    stub.on("GET", f"{AR}/assets", Reply(200, page(listed, offset=0, total=4)))
    found = client.assets.find_by_names(["Orders", "Billing", "Missing"])
    assert {name: [a.asset_key for a in hits] for name, hits in found.items()} == {
        "Orders": ["a1", "a2"],  # equal ignoring case, as the per-name read returns them
        "Billing": ["a4"],
        "Missing": [],
    }
    (call,) = stub.calls("GET", f"{AR}/assets")
    assert dict(call.query) == {"limit": "1000", "offset": "0"}


def test_a_listing_of_several_pages_is_followed_to_its_end(client, stub: StubOdc) -> None:
    def answer(seen: Seen) -> Reply:
        offset = int(dict(seen.query)["offset"])
        items = [asset("Orders", "a1")] if offset == 0 else [asset("Billing", "b2")]
        return Reply(200, page(items, offset=offset, total=1500))

    stub.on("GET", f"{AR}/assets", answer)
    found = client.assets.find_by_names(["Orders", "Billing"])
    assert [a.asset_key for a in found["Billing"]] == ["b2"]
    assert [dict(c.query)["offset"] for c in stub.calls("GET", f"{AR}/assets")] == ["0", "1000"]


def test_a_tenant_with_more_pages_than_names_is_asked_name_by_name(client, stub: StubOdc) -> None:
    def answer(seen: Seen) -> Reply:
        query = dict(seen.query)
        if "nameContains" in query:
            name = query["nameContains"]
            return Reply(200, page([asset(name, "k-" + name)], offset=0, total=1))
        return Reply(200, page([asset("Other", "x")], offset=0, total=5000))

    stub.on("GET", f"{AR}/assets", answer)
    found = client.assets.find_by_names(["Orders", "Billing"])
    assert [a.asset_key for a in found["Orders"]] == ["k-Orders"]
    named = [dict(c.query).get("nameContains") for c in stub.calls("GET", f"{AR}/assets")]
    assert named == [None, "Orders", "Billing"]  # 5 pages > 2 names: the first page, then per name


def test_one_name_is_one_filtered_call(client, stub: StubOdc) -> None:
    stub.on("GET", f"{AR}/assets", Reply(200, page([asset("Orders", "a1")], offset=0, total=1)))
    assert [a.asset_key for a in client.assets.find_by_names(["Orders"])["Orders"]] == ["a1"]
    assert ("nameContains", "Orders") in stub.calls("GET", f"{AR}/assets")[0].query


def test_many_keys_go_as_repeated_asset_keys_in_chunks(client, stub: StubOdc) -> None:
    keys = [f"0f4c2a5e-0000-4000-8000-{i:012d}" for i in range(45)]

    def answer(seen: Seen) -> Reply:
        asked = [v for k, v in seen.query if k == "assetKeys"]
        known = [asset(f"App {k[-2:]}", k) for k in asked if k != keys[3]]
        return Reply(200, page(known, offset=0, total=len(known), limit=40))

    stub.on("GET", f"{AR}/assets", answer)
    found = client.assets.get_many(keys)
    calls = stub.calls("GET", f"{AR}/assets")
    assert [sum(1 for k, _ in c.query if k == "assetKeys") for c in calls] == [40, 5]
    assert set(found) == set(keys) - {keys[3]}  # a key the answer lacks is left to get()


def test_deployed_assets_of_many_apps_go_40_comma_joined_keys_a_call(client, stub: StubOdc) -> None:
    keys = [f"0f4c2a5e-0000-4000-8000-{i:012d}" for i in range(90)]

    def answer(seen: Seen) -> Reply:
        asked = dict(seen.query)["key"].split(",")
        items = [{"key": k, "name": k, "type": "WebApplication", "deployments": []} for k in asked]
        return Reply(200, {"results": items, "page": {"offset": 0, "nextPageOffset": None}})

    stub.on("GET", "/api/portfolios/v2/deployed-assets", answer)
    found = [d.key for d in client.portfolio.deployed_assets(asset_keys=keys, environment_keys=["e1"])]
    calls = stub.calls("GET", "/api/portfolios/v2/deployed-assets")
    assert [len(dict(c.query)["key"].split(",")) for c in calls] == [40, 40, 10]
    assert all(sum(1 for name, _ in c.query if name == "key") == 1 for c in calls)  # one scalar value
    assert found == keys
