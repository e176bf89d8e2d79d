from __future__ import annotations

import pytest

from odc_pipeline.pipeline_file.revisions import RevisionKind, RevisionSelector, parse_revision


@pytest.mark.parametrize(
    ("text", "kind", "value", "canonical"),
    [
        ("latest", RevisionKind.LATEST, None, "latest"),
        ("highest-tag", RevisionKind.HIGHEST_TAG, None, "highest-tag"),
        (7, RevisionKind.NUMBER, 7, "7"),
        ("12", RevisionKind.NUMBER, 12, "12"),
        ("tag:1.4.0", RevisionKind.TAG, "1.4.0", "tag:1.4.0"),
        ("tag: 1.4.0", RevisionKind.TAG, "1.4.0", "tag:1.4.0"),
        ("from:QA", RevisionKind.FROM_STAGE, "QA", "from:QA"),
        ("from: Development", RevisionKind.FROM_STAGE, "Development", "from:Development"),
        ({"from": "QA"}, RevisionKind.FROM_STAGE, "QA", "from:QA"),
        ({"tag": "1.3.0"}, RevisionKind.TAG, "1.3.0", "tag:1.3.0"),
    ],
)
def test_parses_selectors(text: object, kind: RevisionKind, value: object, canonical: str) -> None:
    selector = parse_revision(text)
    assert (selector.kind, selector.value) == (kind, value)
    assert str(selector) == canonical
    assert parse_revision(str(selector)) == selector


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("newest", "must be latest, highest-tag"),
        ("", "must be latest, highest-tag"),
        (0, "1 or more"),
        ("-3", "1 or more"),
        (True, "must be latest"),
        (1.5, "must be latest"),
        ("tag:", "needs a value"),
        ("from:", "needs a value"),
        ("tag:one.two", "Major.Minor.Patch"),
        ("tag:1.4", "Major.Minor.Patch"),
        ("tag:v1.4.0", "Major.Minor.Patch"),
        ({"tag": 1.4}, "Major.Minor.Patch"),
        ({"from": "QA", "tag": "1"}, "must be latest"),
        ({"branch": "main"}, "must be latest"),
        (None, "must be latest"),
    ],
)
def test_rejects_bad_selectors(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_revision(text)


def test_latest_is_the_default_selector() -> None:
    assert RevisionSelector.latest() == RevisionSelector(kind=RevisionKind.LATEST)


def test_a_bad_tag_is_reported_with_file_and_line_offline(tmp_path) -> None:
    from odc_pipeline.pipeline_file import load_pipeline
    from odc_pipeline.pipeline_file.problems import PipelineFileError

    path = tmp_path / "p.yml"
    path.write_text(
        "version: 1\ntarget: QA\nassets:\n  - name: Orders\n    revision: 'tag:one.two'\n"
        "stages:\n  deploy: {}\n"
    )
    with pytest.raises(PipelineFileError) as caught:
        load_pipeline(path)
    (problem,) = caught.value.problems
    assert problem.line == 5
    assert "Major.Minor.Patch" in problem.message
