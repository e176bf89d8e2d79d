"""Property-based: no input makes the loader crash; problems are always positioned in the file."""

from __future__ import annotations

import copy
import os
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odc_pipeline.pipeline_file import PipelineFile, PipelineFileError, parse_pipeline

from .helpers import EXAMPLES

EXAMPLES_PER_TEST = int(
    os.environ.get("ODC_PIPELINE_HYPOTHESIS_EXAMPLES", "120")
)  # raise locally to fuzz harder
SETTINGS = settings(
    max_examples=EXAMPLES_PER_TEST, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
KEYS = [
    "version", "target", "portal", "revision", "assets", "stages", "timeouts", "name", "key", "type",
    "configure", "build", "impact-analysis", "deploy", "verify", "settings", "timers", "integrations",
    "max-parallel", "rollback-on-failure", "force", "http", "asset", "path", "expect-status",
    "code-quality", "max-critical", "fail-on", "on-unavailable", "Orders Portal", "deployed-revision",
]  # fmt: skip
ENV = {"ORDERS_API_TOKEN": "prop-token"}


def _check(source: str | bytes) -> None:
    """The whole contract: a PipelineFile, or a PipelineFileError whose problems point into the file."""
    try:
        result = parse_pipeline(source, file="p.yml", env=ENV)
    except PipelineFileError as exc:
        _check_problems(exc, source)
    else:
        assert isinstance(result, PipelineFile)


def _check_problems(error: PipelineFileError, source: str | bytes) -> None:
    assert error.problems
    assert error.exit_code == 2
    text = source.decode("utf-8", "replace") if isinstance(source, bytes) else source
    line_count = max(1, len(text.splitlines()) + 1)  # YAML also breaks lines at \x85, \u2028, ...
    for problem in error.problems:
        assert problem.file == "p.yml"
        assert problem.line is not None
        assert problem.column is not None
        assert 1 <= problem.line <= line_count + 1
        assert problem.column >= 1
        assert problem.message


@SETTINGS
@given(st.text(max_size=300))
def test_any_text(text: str) -> None:
    _check(text)


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes(data: bytes) -> None:
    _check(data)


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(
        ["latest", "from:QA", "tag:1.0", "20m", "0s", "${ORDERS_API_TOKEN}", "${MISSING}", "$$", "/"]
    ),
    st.text(max_size=20),
)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=8)), children, max_size=5),
    ),
    max_leaves=25,
)


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), trees, max_size=7))
def test_any_yaml_mapping(data: dict[str, Any]) -> None:
    _check(yaml.safe_dump(data, allow_unicode=True))


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*prefix, index))
    return found


BASE = yaml.safe_load((EXAMPLES / "multi-asset-release.yml").read_text(encoding="utf-8"))
BASE_PATHS = [path for path in _paths(BASE) if path]


@SETTINGS
@given(st.sampled_from(BASE_PATHS), st.one_of(trees, st.just("__delete__")))
def test_mutated_example(path: tuple[Any, ...], replacement: Any) -> None:
    data = copy.deepcopy(BASE)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if replacement == "__delete__":
        del parent[path[-1]]
    else:
        parent[path[-1]] = replacement
    _check(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


EXAMPLE_TEXT = (EXAMPLES / "multi-asset-release.yml").read_text(encoding="utf-8")
EXAMPLE_LINES = EXAMPLE_TEXT.splitlines(keepends=True)


@SETTINGS
@given(st.integers(min_value=0, max_value=len(EXAMPLE_LINES) - 1), st.integers(min_value=0, max_value=3))
def test_dropping_lines_of_an_example(index: int, extra: int) -> None:
    _check("".join(EXAMPLE_LINES[:index] + EXAMPLE_LINES[index + 1 + extra :]))


@SETTINGS
@given(
    st.integers(min_value=0, max_value=len(EXAMPLE_TEXT)),
    st.text(alphabet=st.sampled_from(list(":-{}[]&*!|>'\"#%@`,? \t\n$")), min_size=1, max_size=3),
)
def test_inserting_yaml_punctuation_into_an_example(position: int, insert: str) -> None:
    _check(EXAMPLE_TEXT[:position] + insert + EXAMPLE_TEXT[position:])
