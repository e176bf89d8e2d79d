import threading
import time

import pytest

from odc_pipeline.engine.scheduler import DependencyCycleError, run_in_order, topological_levels


def test_levels_put_producers_before_consumers_and_ignore_outsiders():
    deps = {"portal": ["api", "core"], "backoffice": ["api"], "api": ["core", "outside"]}
    assert topological_levels(["portal", "backoffice", "api", "core"], deps) == [
        ["core"],
        ["api"],
        ["portal", "backoffice"],
    ]


def test_cycle_is_reported_with_its_members():
    with pytest.raises(DependencyCycleError) as info:
        topological_levels(["a", "b", "c"], {"a": ["b"], "b": ["c"], "c": ["a"]})
    assert set(info.value.cycle) == {"a", "b", "c"}
    assert info.value.exit_code == 2
    assert "->" in str(info.value)


def test_run_in_order_respects_dependencies_and_parallel_limit():
    lock = threading.Lock()
    running, peak, finished = [0], [0], []

    def work(node: str) -> str:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.02)
        with lock:
            running[0] -= 1
            finished.append(node)
        return node.upper()

    nodes = ["core", "a", "b", "c", "d"]
    deps = {n: ["core"] for n in "abcd"}
    outcome = run_in_order(nodes, deps, work, max_parallel=2)
    assert finished[0] == "core"
    assert peak[0] == 2
    assert outcome.results == {n: n.upper() for n in nodes}
    assert not outcome.not_started


def test_failure_stops_new_work_and_dependents_never_start():
    def work(node: str) -> str:
        if node == "api":
            raise RuntimeError("deploy failed")
        return node

    outcome = run_in_order(["api", "portal"], {"portal": ["api"]}, work, max_parallel=4)
    assert isinstance(outcome.first_error, RuntimeError)
    assert outcome.not_started == ["portal"]


def test_cancel_stops_starting_new_nodes():
    cancel = threading.Event()

    def work(node: str) -> str:
        cancel.set()
        return node

    outcome = run_in_order(["a", "b", "c"], {"b": ["a"], "c": ["b"]}, work, max_parallel=1, cancel=cancel)
    assert outcome.order_started == ["a"]
    assert outcome.not_started == ["b", "c"]
