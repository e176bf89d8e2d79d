"""Untrusted text must never become a command in any of the three CIs."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from odc_pipeline.reporting.escaping import (
    azure_value,
    github_data,
    github_property,
    gitlab_section_name,
    inert,
    inert_lines,
    markdown_cell,
)

from .ci_rules import azure_parse_line, github_parse_line, gitlab_sections
from .conftest import HOSTILE


def test_inert_is_one_line_without_any_ci_command() -> None:
    text = inert(HOSTILE)
    assert "\n" not in text
    assert "\r" not in text
    assert "\x1b" not in text
    assert github_parse_line(text) is None
    assert azure_parse_line(text) is None
    assert "##[" not in text
    assert gitlab_sections(text) == []
    assert "pwned" in text
    assert "100% done" in text


def test_inert_breaks_github_prefix_even_after_leading_whitespace() -> None:
    assert github_parse_line(inert("   ::add-mask::x")) is None
    assert github_parse_line("   ::add-mask::x") is not None  # the rule the test relies on


def test_inert_lines_keeps_lines_but_each_is_inert() -> None:
    lines = inert_lines("ok\n::error::a\r\n##vso[task.complete]b")
    assert len(lines) == 3
    assert all(github_parse_line(x) is None and azure_parse_line(x) is None for x in lines)


@given(st.text())
def test_inert_never_yields_commands(text: str) -> None:
    for line in [inert(text), *inert_lines(text)]:
        assert github_parse_line(line) is None
        assert azure_parse_line(line) is None
        assert "\n" not in line
        assert "\r" not in line


@given(st.text())
def test_github_data_round_trips_and_stays_on_one_line(text: str) -> None:
    encoded = github_data(text)
    assert "\n" not in encoded
    assert "\r" not in encoded
    command = github_parse_line(f"::warning::{encoded}")
    assert command is not None
    assert command.data == text


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_github_property_round_trips(text: str) -> None:
    text = text.strip()  # the runner trims the property list; the reporter strips titles too
    command = github_parse_line(f"::error title={github_property(text)}::m")
    if text:
        assert command is not None
        assert command.properties["title"] == text


@given(st.text())
def test_azure_value_round_trips_as_message_and_property(text: str) -> None:
    encoded = azure_value(text)
    assert "]" not in encoded
    assert ";" not in encoded
    assert "\n" not in encoded
    command = azure_parse_line(f"##vso[task.logissue type=error;code={encoded}]{encoded}")
    assert command is not None
    assert command.data == text
    if text:
        assert command.properties["code"] == text


def test_markdown_cell_cannot_break_a_table_or_inject_html() -> None:
    cell = markdown_cell("a | b <script>x</script> [link](http://evil) `code`\nnext")
    assert "|" not in cell.replace("\\|", "")
    assert "<script>" not in cell
    assert "](http" not in cell.replace("\\]", "")
    assert "\n" not in cell


def test_gitlab_section_name_charset() -> None:
    assert gitlab_section_name("odc_1_impact analysis/x") == "odc_1_impact_analysis_x"
