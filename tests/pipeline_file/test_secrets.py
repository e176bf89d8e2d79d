"""Values from the environment are registered as secrets at load time (and only those)."""

from __future__ import annotations

import pytest

from odc_pipeline.pipeline_file import PipelineFileError, parse_pipeline
from odc_pipeline.redaction import SECRETS, redact

TEXT = """\
version: 1
target: ${TARGET_STAGE}
assets:
  - name: ${ASSET_NAME}
stages:
  configure:
    ${ASSET_NAME}:
      settings: {ApiToken: "${ORDERS_API_TOKEN}", Fixed: "${UNSET:-demo-default-value}"}
  deploy: {}
"""
ENV = {"TARGET_STAGE": "Production", "ASSET_NAME": "Orders Portal", "ORDERS_API_TOKEN": "tok-0123456789"}


def test_configuration_values_from_env_are_registered() -> None:
    text = TEXT.replace("    ${ASSET_NAME}:", "    Orders Portal:")
    parse_pipeline(text, env=ENV)
    assert "tok-0123456789" in SECRETS
    assert "demo-default-value" in SECRETS  # written with ${...}: treated as secret too
    assert redact("token is tok-0123456789") == "token is ***"


def test_identifiers_from_env_are_not_masked() -> None:
    text = TEXT.replace("    ${ASSET_NAME}:", "    Orders Portal:")
    pipeline = parse_pipeline(text, env=ENV)
    assert pipeline.target == "Production"
    assert pipeline.assets[0].name == "Orders Portal"
    assert "Production" not in SECRETS
    assert "Orders Portal" not in SECRETS


def test_secrets_are_registered_even_when_the_file_is_invalid() -> None:
    text = TEXT.replace("    ${ASSET_NAME}:", "    Orders Portal:").replace(
        "deploy: {}", "deploy: {max-parallel: x}"
    )
    with pytest.raises(PipelineFileError):
        parse_pipeline(text, env=ENV)
    assert "tok-0123456789" in SECRETS


def test_keys_are_not_interpolated() -> None:
    with pytest.raises(PipelineFileError) as caught:
        parse_pipeline(TEXT, env=ENV)
    (problem,) = caught.value.problems
    assert (problem.line, problem.column) == (7, 5)
    assert "'${ASSET_NAME}' is not listed in assets" in problem.message
