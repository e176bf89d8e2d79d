"""The work context: what the engine states once and the rate limiter reads deep in the client."""

from __future__ import annotations

import math
import threading

import pytest

from odc_pipeline import dispatch


def test_outside_any_block_work_is_ordinary():
    assert dispatch.current() == dispatch.WorkContext(priority=0.0, owner=None)
    assert dispatch.current() is dispatch.DEFAULT


def test_a_block_sets_priority_and_owner_and_restores_them_nested():
    with dispatch.working(420.0, "orders-api") as outer:
        assert dispatch.current() == outer == dispatch.WorkContext(420.0, "orders-api")
        with dispatch.working(90, None):
            assert dispatch.current() == dispatch.WorkContext(90.0, None)
            assert isinstance(dispatch.current().priority, float)
        assert dispatch.current() == outer
    assert dispatch.current() == dispatch.DEFAULT


def test_an_exception_inside_the_block_still_restores_the_previous_work():
    with pytest.raises(RuntimeError), dispatch.working(5.0, "a"):
        raise RuntimeError("boom")
    assert dispatch.current() == dispatch.DEFAULT


def test_work_context_is_frozen():
    with pytest.raises(AttributeError):
        dispatch.current().priority = 3.0  # type: ignore[misc]


def test_each_thread_has_its_own_work():
    """A worker thread starts from the default, and its block does not leak into others."""
    seen: dict[str, dispatch.WorkContext] = {}
    inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        seen["start"] = dispatch.current()
        with dispatch.working(7.0, "worker"):
            inside.set()
            release.wait(timeout=10)
            seen["inside"] = dispatch.current()

    with dispatch.working(100.0, "main"):
        thread = threading.Thread(target=worker)
        thread.start()
        assert inside.wait(timeout=10)
        assert dispatch.current() == dispatch.WorkContext(100.0, "main")  # the worker's block is its own
        release.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    assert seen == {"start": dispatch.DEFAULT, "inside": dispatch.WorkContext(7.0, "worker")}


def test_a_nan_priority_is_refused():
    with pytest.raises(ValueError, match="NaN"), dispatch.working(math.nan, "a"):
        pass
    assert dispatch.current() == dispatch.DEFAULT
