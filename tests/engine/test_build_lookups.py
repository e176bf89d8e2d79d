"""The build stage's look-ups go out several at a time before it decides anything.

Each is a round trip; one after another, 50 apps keep the release waiting 50 of them before
the first analysis can start. The readers hand their answers to the platform's cache
(``Platform.prefetch_units``), which the decisions then read without a call.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace as NS

from odc_pipeline.engine.build import LOOKUP_READERS, read_ahead


def _asset(i: int, **overrides: object) -> NS:
    fields = {
        "ref": NS(key=f"app-{i}"),
        "revision_ref": NS(number=2),
        "is_library": False,
        "revision": 2,
        "source_build_key": None,
    }
    fields.update(overrides)
    return NS(**fields)


def test_look_ups_are_read_by_several_readers_at_once_each_app_once() -> None:
    together = threading.Barrier(LOOKUP_READERS, timeout=10)  # passes only with all in flight
    read: list[str] = []
    stops: set[int] = set()
    lock = threading.Lock()

    def prefetch_units(items, *, stop):
        together.wait()
        with lock:
            read.extend(asset.key for asset, _ in items)
            stops.add(id(stop))

    assets = [_asset(i) for i in range(3 * LOOKUP_READERS + 1)]
    skipped = [
        _asset(100, is_library=True),
        _asset(101, source_build_key="pinned"),
        _asset(102, revision=None),
    ]
    ctx = NS(assets=assets + skipped, platform=NS(prefetch_units=prefetch_units), cancel=threading.Event())
    read_ahead(ctx)  # type: ignore[arg-type]
    assert sorted(read) == sorted(a.ref.key for a in assets)  # libraries, pinned builds: not read
    assert stops == {id(ctx.cancel)}  # a cancel stops every reader


def test_one_app_is_looked_up_where_it_is_decided() -> None:
    called: list[object] = []

    def prefetch_units(items: object, *, stop: object) -> None:
        called.append(items)

    ctx = NS(assets=[_asset(0)], platform=NS(prefetch_units=prefetch_units))
    read_ahead(ctx)  # type: ignore[arg-type]
    assert called == []
