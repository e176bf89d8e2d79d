from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from odc_pipeline.pipeline_file.interpolate import InterpolationError, interpolate

ENV = {"TOKEN": "s3cr3t", "EMPTY": "", "HOST": "api.example.com"}


@pytest.mark.parametrize(
    ("text", "result", "from_env", "env_values"),
    [
        ("plain", "plain", False, ()),
        ("${TOKEN}", "s3cr3t", True, ("s3cr3t",)),
        ("https://${HOST}/v1", "https://api.example.com/v1", True, ("api.example.com",)),
        ("${MISSING:-fallback}", "fallback", True, ()),
        ("${EMPTY:-fallback}", "fallback", True, ()),
        ("${MISSING:-}", "", True, ()),
        ("${TOKEN:-unused}", "s3cr3t", True, ("s3cr3t",)),
        ("$$", "$", False, ()),
        ("$${TOKEN}", "${TOKEN}", False, ()),
        ("price $5", "price $5", False, ()),
        ("trailing $", "trailing $", False, ()),
    ],
)
def test_expands(text: str, result: str, from_env: bool, env_values: tuple[str, ...]) -> None:
    expanded = interpolate(text, ENV)
    assert (expanded.text, expanded.from_env, expanded.env_values) == (result, from_env, env_values)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("${MISSING}", "MISSING is not set"),
        ("${EMPTY}", "EMPTY is empty"),
        ("${}", "invalid"),
        ("${TWO WORDS}", "invalid"),
        ("${UNCLOSED", "invalid"),
        ("${1ST}", "invalid"),
    ],
)
def test_refuses(text: str, message: str) -> None:
    with pytest.raises(InterpolationError, match=message):
        interpolate(text, ENV)


def test_ignore_missing_expands_to_empty() -> None:
    assert interpolate("a${MISSING}b", {}, ignore_missing=True).text == "ab"


@settings(max_examples=80)
@given(st.text(alphabet=st.characters(blacklist_characters="$")))
def test_text_without_dollar_is_unchanged(text: str) -> None:
    assert interpolate(text, ENV).text == text


@settings(max_examples=80)
@given(st.text())
def test_doubled_dollars_escape_everything(text: str) -> None:
    assert interpolate(text.replace("$", "$$"), {}).text == text
