"""ODC's tenant-wide build listing: a sighting settles a reuse, never a "there is no other build".

What ``GET /build-operations`` answers without ``assetKey`` is UNDOC. Whatever it answers, the
build stage must decide what the revision's own list would have decided: reuse the build the
target runs, else the newest Finished one, and never start a second build of a revision that
has one in progress.
"""

from __future__ import annotations

from types import SimpleNamespace as NS
from typing import Any

import pytest

from odc_pipeline.api.errors import ApiError
from odc_pipeline.platforms.base import AssetRef, ResolvedRevision, RunningState
from odc_pipeline.platforms.odc.platform import OdcPlatform
from odc_pipeline.platforms.odc.resolve import SIGHTING_FROM

APPS = SIGHTING_FROM + 2  # one settled by the probe leaves enough for the listing


def build(app: int, key: str, *, status: str = "Finished", finished: str = "2026-01-01") -> NS:
    return NS(
        build_key=key,
        asset_key=f"app-{app}",
        asset_revision=2,
        build_type="Release",
        status=status,
        finished_date_time=finished,
    )


class Builds:
    """The Build Operations reads, counted: ``tenant`` is what the tenant-wide listing shows,
    ``own`` each revision's full list (what the per-asset read answers)."""

    def __init__(self, own: dict[int, list[NS]], tenant: list[NS] | Exception | None = None) -> None:
        self.own = own
        self.tenant = [b for builds in own.values() for b in builds] if tenant is None else tenant
        self.calls: list[str] = []
        self.builds = self

    def list_tenant_wide(self, *, build_type: str | None = None) -> list[Any]:
        self.calls.append("tenant-wide")
        assert build_type == "Release"
        if isinstance(self.tenant, Exception):
            raise self.tenant
        return list(self.tenant)

    def list(self, key: str, *, revision: int, build_type: str) -> list[Any]:
        self.calls.append(f"own {key}")
        return list(self.own[int(key.split("-")[1])])


def items(apps: int = APPS) -> list[tuple[AssetRef, ResolvedRevision]]:
    return [(AssetRef(key=f"app-{i}", name=f"App {i}"), ResolvedRevision(number=2)) for i in range(apps)]


def one_each() -> dict[int, list[NS]]:
    return {i: [build(i, f"b{i}")] for i in range(APPS)}


def search(platform: OdcPlatform, app: int, **kwargs: Any) -> Any:
    asset, revision = items()[app]
    return platform.find_unit(asset, revision, **kwargs)


def test_one_listing_settles_every_revision_it_shows_a_finished_build_of() -> None:
    client = Builds(one_each())
    platform = OdcPlatform(client)
    assert platform.sight_units(items()) == []
    assert client.calls == ["tenant-wide"]
    assert [search(platform, i).unit.key for i in range(APPS)] == [f"b{i}" for i in range(APPS)]
    assert client.calls == ["tenant-wide"]  # no per-asset read
    assert search(platform, 0).unit.key == "b0"  # a sighting is handed out once, then read again
    assert client.calls[1:] == ["own app-0"]


def test_few_look_ups_skip_the_listing() -> None:
    client = Builds(one_each())
    platform = OdcPlatform(client)
    few = items(SIGHTING_FROM - 1)
    assert platform.sight_units(few) == few
    assert client.calls == []


@pytest.mark.parametrize(
    "answer",
    [ApiError("The assetKey field is required.", status=400), ApiError("Not found", status=404), []],
    ids=["rejected", "not-found", "empty"],
)
def test_a_refused_or_empty_listing_leaves_every_look_up_to_its_own_read(answer: Any) -> None:
    client = Builds(one_each(), tenant=answer)
    platform = OdcPlatform(client)
    assert platform.sight_units(items()) == items()
    assert search(platform, 3).unit.key == "b3"
    assert client.calls == ["tenant-wide", "own app-3"]


def test_a_listing_that_leaves_out_a_build_the_probe_read_is_not_trusted() -> None:
    own = one_each()
    own[0].append(build(0, "b0-newer", finished="2026-02-01"))
    cut_short = [b for builds in own.values() for b in builds if b.build_key != "b0-newer"]
    client = Builds(own, tenant=cut_short)
    platform = OdcPlatform(client)
    platform._directory.list_release_builds(client, "app-0", 2, keep=True)  # the Open probe's read
    assert platform.sight_units(items()) == items()[1:]  # the probed app is settled by its own list
    assert search(platform, 0).unit.key == "b0-newer"
    assert search(platform, 1).unit.key == "b1"
    assert client.calls == ["own app-0", "tenant-wide", "own app-1"]


def test_a_sighting_picks_the_newest_finished_build_as_the_full_list_would() -> None:
    own = one_each()
    own[2] = [build(2, "old", finished="2026-01-01"), build(2, "new", finished="2026-03-01")]
    client = Builds(own)
    platform = OdcPlatform(client)
    platform.sight_units(items())
    assert search(platform, 2).unit.key == "new"
    assert client.calls == ["tenant-wide"]


def test_the_target_s_own_build_missing_from_the_sighting_is_read_in_full() -> None:
    """The target runs r2 from build ``running``; a sighting of another build of r2 cannot say
    whether ``running`` exists, so the revision's list decides (reuse it: no redeploy)."""
    own = one_each()
    own[4] = [build(4, "b4"), build(4, "running", finished="2025-12-01")]
    client = Builds(own, tenant=[b for builds in own.values() for b in builds if b.build_key != "running"])
    platform = OdcPlatform(client)
    platform.sight_units(items())
    target = RunningState("app-4", "qa", revision=2, unit_key="running")
    assert search(platform, 4, running=target).unit.key == "running"
    assert client.calls == ["tenant-wide", "own app-4"]
    other = RunningState("app-5", "qa", revision=2, unit_key="b5")
    assert search(platform, 5, running=other).unit.key == "b5"  # shown: settled without a read
    assert client.calls[2:] == []


def test_a_revision_shown_only_in_progress_is_read_in_full_and_its_build_waited_for() -> None:
    own = one_each()
    own[6] = [build(6, "half-done", status="Running")]
    client = Builds(own)
    platform = OdcPlatform(client)
    rest = platform.sight_units(items())
    assert [a.key for a, _ in rest] == ["app-6"]  # still to read ahead on its own
    found = search(platform, 6)
    assert found.unit is None
    assert found.running_key == "half-done"  # the build stage attaches to it: no second build
    assert found.known_keys == ("half-done",)
    assert client.calls == ["tenant-wide", "own app-6"]


def test_a_search_that_produces_anyway_ignores_the_sighting() -> None:
    """force-rebuild or a changed library: the known keys must be the revision's full list."""
    own = one_each()
    own[7] = [build(7, "b7"), build(7, "older", finished="2025-01-01")]
    client = Builds(own, tenant=[b for builds in own.values() for b in builds if b.build_key != "older"])
    platform = OdcPlatform(client)
    platform.sight_units(items())
    found = search(platform, 7, to_produce=True)
    assert set(found.known_keys) == {"b7", "older"}
    assert client.calls == ["tenant-wide", "own app-7"]
