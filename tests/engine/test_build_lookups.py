"""The build stage's look-ups go out several at a time before it decides anything.

Each is a round trip; one after another, 50 apps keep the release waiting 50 of them before
the first analysis can start. A wide read (``Platform.sight_units``) settles what it can
first; the readers hand their answers to the platform's cache (``Platform.prefetch_units``),
which the decisions then read without a call.
"""

from __future__ import annotations

import threading
from types import SimpleNamespace as NS

from odc_pipeline.engine.build import LOOKUP_READERS, read_ahead


def _asset(i: int, **overrides: object) -> NS:
    fields = {
        "key": f"app-{i}",
        "ref": NS(key=f"app-{i}"),
        "producers": (),
        "library_changed": False,
        "label": f"App {i}",
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
    platform = NS(prefetch_units=prefetch_units, sight_units=list)
    spec = NS(force_rebuild=False)
    ctx = NS(assets=assets + skipped, platform=platform, spec=spec, cancel=threading.Event())
    read_ahead(ctx)  # type: ignore[arg-type]
    assert sorted(read) == sorted(a.ref.key for a in assets)  # libraries, pinned builds: not read
    assert stops == {id(ctx.cancel)}  # a cancel stops every reader


def test_one_app_is_looked_up_where_it_is_decided() -> None:
    called: list[object] = []

    def prefetch_units(items: object, *, stop: object) -> None:
        called.append(items)

    platform = NS(prefetch_units=prefetch_units, sight_units=list)
    ctx = NS(assets=[_asset(0)], platform=platform, spec=NS(force_rebuild=False))
    read_ahead(ctx)  # type: ignore[arg-type]
    assert called == []


def _reads(
    assets: list[NS], *, settles: set[str], force_rebuild: bool = False
) -> tuple[list[str], list[str]]:
    """(what the wide read was asked for, what the readers then read one by one)"""
    asked: list[str] = []
    read: list[str] = []
    lock = threading.Lock()

    def sight_units(items):
        asked.extend(a.key for a, _ in items)
        return [(a, r) for a, r in items if a.key not in settles]

    def prefetch_units(items, *, stop):
        with lock:
            read.extend(a.key for a, _ in items)

    platform = NS(prefetch_units=prefetch_units, sight_units=sight_units)
    ctx = NS(assets=assets, platform=platform, spec=NS(force_rebuild=force_rebuild), cancel=threading.Event())
    read_ahead(ctx)  # type: ignore[arg-type]
    return asked, sorted(read)


def test_what_the_wide_read_settles_is_not_read_again() -> None:
    assets = [_asset(i) for i in range(6)]
    asked, read = _reads(assets, settles={"app-0", "app-2", "app-3"})
    assert asked == [a.key for a in assets]
    assert read == ["app-1", "app-4", "app-5"]


def test_apps_that_build_anyway_skip_the_wide_read_and_are_read_in_full() -> None:
    library = _asset(9, is_library=True, library_changed=True)
    use_it = [_asset(0, producers=("app-9",)), _asset(4, producers=("app-9",))]
    others = [_asset(i) for i in range(1, 4)]
    settles = {"app-0", "app-1", "app-2", "app-3", "app-4"}
    asked, read = _reads([library, *use_it, *others], settles=settles)
    assert asked == ["app-1", "app-2", "app-3"]  # the changed library's consumers need full lists
    assert read == ["app-0", "app-4"]
    asked, read = _reads(others, settles={"app-1", "app-2", "app-3"}, force_rebuild=True)
    assert asked == []
    assert read == ["app-1", "app-2", "app-3"]
