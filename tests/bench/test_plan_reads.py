"""The plan-reads benchmark runs, and its bound is the domain budget's arithmetic."""

from __future__ import annotations

from bench import plan_reads
from bench.plan_reads import BATCHED, PER_ASSET, budget_seconds, by_domain, minimum_calls


def test_the_budget_bound_is_the_slowest_domains_extra_minutes() -> None:
    assert budget_seconds({"builds": 100, "dependency-management": 40}) == 0.0
    assert budget_seconds({"builds": 200, "dependency-management": 101}) == 60.0
    assert budget_seconds({"builds": 201}) == 120.0
    assert minimum_calls(200, tenant_assets=1500, graphs=70)["dependency-management"] == 70
    assert minimum_calls(200, tenant_assets=1500) == {
        "asset-repository": 2,
        "builds": 1,
        "dependency-management": 200,
        "portfolios": 6,
        "deployments": 1,
    }


def test_calls_are_counted_per_api_domain_without_identity() -> None:
    from collections import Counter

    counted = by_domain(
        Counter(
            {
                "GET /api/builds/v1/build-operations": 3,
                "GET /api/builds/v1/build-operations/{operationKey}": 2,
                "POST /identity/token": 1,
            }
        )
    )
    assert counted == {"builds": 5}


def test_quick_run_shows_batched_reads_at_the_minimum_beside_the_per_asset_ones() -> None:
    (table,) = plan_reads.run(quick=True)
    rows = {row[1]: row for row in table.rows}
    assert set(rows) == {PER_ASSET.name, BATCHED.name}
    batched, before = rows[BATCHED.name], rows[PER_ASSET.name]
    headers = list(table.headers)
    column = {name: headers.index(name) for name in headers}
    # 3 apps: three build look-ups where one tenant-wide listing could do (a listing as big as
    # the tenant's builds pays from SIGHTING_FROM look-ups on); nothing else above the floor
    assert int(batched[column["API calls"]]) == int(batched[column["minimum"]]) + 2
    # 3 names + 3 latest revisions → one listing; the build probe's answer serves the first app;
    # the top app's producers graph answers the other two
    assert int(before[column["API calls"]]) == int(batched[column["API calls"]]) + 8
    assert batched[column["Dependency mgmt (actual / min)"]] == "1 / 1"
    assert before[column["Dependency mgmt (actual / min)"]] == "3 / 1"
    assert before[column["Build operations (actual / min)"]] == "4 / 1"
    assert batched[column["Build operations (actual / min)"]] == "3 / 1"
    assert batched[column["Asset repository (actual / min)"]] == "1 / 1"
    assert before[column["Asset repository (actual / min)"]] == "6 / 1"
    assert batched[column["429s"]] == before[column["429s"]] == "0"
    assert "Budget bound" in table.notes[1]
