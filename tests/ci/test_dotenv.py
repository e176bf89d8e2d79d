from __future__ import annotations

from dataclasses import replace

import pytest

from odc_pipeline.reporting.dotenv import dotenv_key, render_dotenv
from odc_pipeline.reporting.outputs import derive_outputs

from .ci_rules import gitlab_parse_dotenv
from .conftest import make_report


def test_dotenv_is_accepted_by_gitlab_rules(secrets) -> None:
    out = derive_outputs(make_report(), secrets=secrets)
    parsed = gitlab_parse_dotenv(render_dotenv(out).encode())
    assert parsed["ODC_STATUS"] == "succeeded"
    assert parsed["ODC_EXIT_CODE"] == "0"
    assert parsed["ODC_BUILD_KEYS"] == out.build_keys
    assert set(parsed) == {dotenv_key(n) for n, _ in out.items()}


def test_oversized_values_are_dropped_with_a_marker_not_the_whole_file(secrets) -> None:
    out = replace(derive_outputs(make_report(), secrets=secrets), deployments="[" + "1," * 4000 + "1]")
    text = render_dotenv(out)
    parsed = gitlab_parse_dotenv(text.encode())
    assert "ODC_DEPLOYMENTS" not in parsed
    assert parsed["ODC_TRUNCATED"] == "deployments"
    assert parsed["ODC_STATUS"] == "succeeded"


def test_newlines_never_reach_the_file(secrets) -> None:
    out = replace(derive_outputs(make_report(), secrets=secrets), summary="a\nb\rc")
    assert gitlab_parse_dotenv(render_dotenv(out).encode())["ODC_SUMMARY"] == "a b c"


def test_an_impossible_fit_is_an_error_not_a_broken_file(secrets) -> None:
    out = replace(derive_outputs(make_report(), secrets=secrets), status="x" * 6000)
    with pytest.raises(ValueError, match="size limit"):
        render_dotenv(out)
