from __future__ import annotations

from odc_pipeline.pipeline_file.yamlpos import Mark, format_path, parse_yaml

TEXT = """\
version: 1
assets:
  - name: Orders Core
    revision: 7
stages:
  deploy: {max-parallel: 3}
"""


def test_records_value_and_key_positions() -> None:
    document, problems = parse_yaml(TEXT, "f.yml")
    assert problems == []
    assert document is not None
    assert document.data == {
        "version": 1,
        "assets": [{"name": "Orders Core", "revision": 7}],
        "stages": {"deploy": {"max-parallel": 3}},
    }
    assert document.values[("assets", 0, "revision")] == Mark(4, 15)
    assert document.keys[("assets", 0, "revision")] == Mark(4, 5)
    assert document.values[("stages", "deploy", "max-parallel")] == Mark(6, 26)
    assert document.keys[("stages", "deploy", "max-parallel")] == Mark(6, 12)


def test_unknown_paths_fall_back_to_the_nearest_ancestor() -> None:
    document, _ = parse_yaml(TEXT, "f.yml")
    assert document is not None
    assert document.value_mark(("stages", "deploy", "force")) == Mark(6, 11)
    assert document.value_mark(()) == Mark(1, 1)


def test_duplicate_keys_are_problems_at_the_second_key() -> None:
    document, problems = parse_yaml("a: 1\nb: 2\na: 3\n", "f.yml")
    assert [(p.line, p.column, p.field) for p in problems] == [(3, 1, "a")]
    assert "first written at line 1" in problems[0].message
    assert document is not None
    assert document.data == {"a": 1, "b": 2}


def test_keys_keep_their_text_and_timestamps_stay_text() -> None:
    document, problems = parse_yaml("on: 2024-01-01\nyes: no\n", "f.yml")
    assert problems == []
    assert document is not None
    assert document.data == {"on": "2024-01-01", "yes": False}
    assert document.texts[("yes",)] == "no"


def test_alias_bomb_is_a_problem() -> None:
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, 7)]
    _, problems = parse_yaml("\n".join(lines) + "\n", "f.yml")
    assert any("more than" in p.message for p in problems)


def test_custom_tags_and_merge_keys_are_problems() -> None:
    _, problems = parse_yaml("a: !Ref x\nb: &b {c: 1}\nd:\n  <<: *b\n", "f.yml")
    messages = [(p.line, p.message) for p in problems]
    assert (1, "unsupported YAML tag !Ref") in messages
    assert any(line == 4 and "merge keys" in message for line, message in messages)


def test_syntax_errors_are_positioned() -> None:
    document, problems = parse_yaml("a: [1, 2\nb: 3\n", "f.yml")
    assert document is None
    assert len(problems) == 1
    assert problems[0].line == 2
    assert problems[0].message.startswith("invalid YAML")


def test_deep_nesting_is_a_problem_not_a_crash() -> None:
    _, problems = parse_yaml("[" * 5000 + "]" * 5000, "f.yml")
    assert problems
    assert problems[0].line == 1


def test_format_path() -> None:
    assert format_path(("stages", "deploy", "max-parallel")) == "stages.deploy.max-parallel"
    assert format_path(("assets", 1, "revision")) == "assets[1].revision"
    assert format_path(("stages", "configure", "Orders Portal")) == "stages.configure.Orders Portal"
    assert format_path(("settings", "a.b")) == 'settings."a.b"'
