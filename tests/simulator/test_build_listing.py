"""``GET /build-operations`` without ``assetKey``: each rehearsed answer, all within the spec.

What a tenant answers there is UNDOC (``build_listing.without_asset_key``); every answer the
simulator can give still has to be one the spec describes (the suite's response hook checks
each), and one with ``assetKey`` never changes.
"""

from __future__ import annotations

import pytest

from .conftest import Api, edited_tenant, keys

BUILDS = "/api/builds/v1/build-operations"


def _api(make_sim, listing: str, cap: int = 2) -> Api:
    def edit(data):
        data["build_listing"] = {"without_asset_key": listing, "cap": cap}

    return Api(make_sim(edited_tenant(edit)))


def _release_builds(api: Api) -> list[dict]:
    answer = api("GET", BUILDS, params={"byBuildType": "Release"})
    assert answer.status_code == 200
    return answer.json()["builds"]


def test_the_full_answer_lists_every_release_build_of_the_tenant(make_sim) -> None:
    api = _api(make_sim, "all")
    listed = _release_builds(api)
    state = api.sim.state
    assert {b["buildKey"] for b in listed} == {
        b.key for b in state.builds.values() if b.build_type == "Release"
    }
    assert len({b["assetKey"] for b in listed}) > 1


@pytest.mark.parametrize(("listing", "status"), [("rejected", 400), ("not-found", 404)])
def test_a_refusal_is_a_problem_details_answer(make_sim, listing: str, status: int) -> None:
    api = _api(make_sim, listing)
    answer = api("GET", BUILDS, params={"byBuildType": "Release"})
    assert answer.status_code == status
    assert answer.json()["status"] == status


def test_an_empty_or_cut_short_answer(make_sim) -> None:
    assert _release_builds(_api(make_sim, "empty")) == []
    capped = _api(make_sim, "capped", cap=2)
    listed = _release_builds(capped)
    everything = sorted(
        (b for b in capped.sim.state.builds.values() if b.build_type == "Release"), key=lambda b: b.started_at
    )
    assert [b["buildKey"] for b in listed] == [b.key for b in everything[:2]]  # the oldest two


@pytest.mark.parametrize("listing", ["rejected", "not-found", "empty", "capped"])
def test_a_listing_with_asset_key_is_answered_as_always(make_sim, listing: str) -> None:
    api = _api(make_sim, listing, cap=0)
    key = keys(api.sim)["Orders API"]
    answer = api("GET", BUILDS, params={"assetKey": key, "byBuildType": "Release"})
    assert answer.status_code == 200
    builds = answer.json()["builds"]
    assert builds
    assert {b["assetKey"] for b in builds} == {key}
