"""ODC's batched resolve reads: each answer is handed out once, then the platform is asked again.

A kept answer that outlived its moment would let a later question (a second run step, a
rollback) act on what the tenant looked like minutes ago, so "once" is the assertion.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace as NS
from typing import Any

from odc_pipeline.api.errors import PermissionDeniedError
from odc_pipeline.platforms.base import AssetRef, ResolvedRevision
from odc_pipeline.platforms.odc.platform import OdcPlatform


class Client:
    """Just the reads the batched resolve uses, counting each call."""

    def __init__(self, *, refuse_builds: bool = False) -> None:
        self.calls: list[str] = []
        self.refuse_builds = refuse_builds
        self.assets = self
        self.builds = self
        self.known = {
            "k1": NS(asset_key="k1", name="Orders", asset_type="WebApplication", revision=7),
            "k2": NS(asset_key="k2", name="Billing", asset_type="WebApplication", revision=3),
        }

    def find_by_names(self, names: list[str]) -> dict[str, list[Any]]:
        self.calls.append("find_by_names")
        return {n: [a for a in self.known.values() if a.name.casefold() == n.casefold()] for n in names}

    def find_by_name(self, name: str) -> list[Any]:
        self.calls.append(f"find_by_name {name}")
        return [a for a in self.known.values() if a.name == name]

    def get_many(self, keys: list[str]) -> dict[str, Any]:
        self.calls.append("get_many")
        return {k: self.known[k] for k in keys if k in self.known}

    def get(self, key: str) -> Any:
        self.calls.append(f"get {key}")
        return self.known[key]

    def latest_revision(self, key: str) -> Any:
        self.calls.append(f"latest {key}")
        return self.known[key]

    def list(self, key: str, *, revision: int, build_type: str) -> list[Any]:
        self.calls.append(f"builds {key} r{revision}")
        if self.refuse_builds:
            raise PermissionDeniedError("no Open permission", status=403)
        return []


def test_names_come_from_one_batch_once_and_answer_latest_without_a_call() -> None:
    client = Client()
    platform = OdcPlatform(client)
    platform.prefetch_assets(names=["Orders", "Billing"], keys=[])
    orders = platform.resolve_asset(name="Orders")
    assert platform.resolve_revision(orders, "latest", label="Orders").number == 7
    assert client.calls == ["find_by_names"]
    platform.resolve_asset(name="Orders")  # asked again: read again, and that read answers latest
    platform.resolve_revision(orders, "latest", label="Orders")
    assert client.calls[1:] == ["find_by_name Orders"]
    platform.resolve_revision(orders, "latest", label="Orders")  # nothing kept any more
    assert client.calls[2:] == ["latest k1"]


def test_keys_missing_from_the_batch_are_read_on_their_own() -> None:
    client = Client()
    client.known["k3"] = NS(asset_key="k3", name="Hidden", asset_type="WebApplication", revision=1)
    platform = OdcPlatform(client)
    real_get_many = client.get_many
    client.get_many = lambda keys: {k: v for k, v in real_get_many(keys).items() if k != "k3"}  # type: ignore[method-assign]
    platform.prefetch_assets(names=[], keys=["k1", "k3"])
    assert platform.resolve_asset(key="k1").name == "Orders"
    assert platform.resolve_asset(key="k3").name == "Hidden"
    assert client.calls == ["get_many", "get k3"]


def test_release_builds_read_ahead_serve_one_search_and_a_refusal_stops_the_read_ahead() -> None:
    client = Client()
    platform = OdcPlatform(client)
    items = [
        (AssetRef("k1", "Orders"), ResolvedRevision(7)),
        (AssetRef("k2", "Billing"), ResolvedRevision(3)),
    ]
    platform.prefetch_units(items, stop=threading.Event())
    platform.find_unit(*items[0])
    platform.find_unit(*items[0])
    assert client.calls == ["builds k1 r7", "builds k2 r3", "builds k1 r7"]  # kept once, then read

    refused = Client(refuse_builds=True)
    OdcPlatform(refused).prefetch_units(items, stop=threading.Event())
    assert refused.calls == ["builds k1 r7"]  # no second refused read; the build stage reports it

    stopped = Client()
    stop = threading.Event()
    stop.set()
    OdcPlatform(stopped).prefetch_units(items, stop=stop)
    assert stopped.calls == []
