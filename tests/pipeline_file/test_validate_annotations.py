"""`validate` in a pull-request job: problems shown at file:line by each CI (issue #11)."""

from __future__ import annotations

import json

import pytest

from odc_pipeline.cli import main

BROKEN = (
    "version: 1\ntarget: QA\nassets:\n  - {name: Orders, revision: 'tag:one.two'}\nstages:\n  deploy: {}\n"
)


@pytest.fixture
def broken(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    (tmp_path / "p.yml").write_text(BROKEN)
    return "p.yml"


def test_github_gets_an_error_annotation_at_file_line_and_column(broken, capsys, monkeypatch):
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    assert main(["validate", broken]) == 2
    out = capsys.readouterr().out.splitlines()
    (line,) = [o for o in out if o.startswith("::error ")]
    assert line.startswith("::error file=p.yml,line=4,col=")
    assert "title=odc-pipeline validate::assets[0].revision: " in line
    assert "Major.Minor.Patch" in line


def test_azure_gets_a_logissue_at_sourcepath_and_linenumber(broken, capsys, monkeypatch):
    monkeypatch.setenv("TF_BUILD", "True")
    assert main(["validate", broken]) == 2
    out = capsys.readouterr().out
    assert "##vso[task.logissue type=error;sourcepath=p.yml;linenumber=4;columnnumber=" in out


def test_gitlab_gets_a_code_quality_report(broken, tmp_path, capsys):
    assert main(["validate", broken, "--codequality", "gl-code-quality.json"]) == 2
    (issue,) = json.loads((tmp_path / "gl-code-quality.json").read_text())
    assert issue["location"] == {"path": "p.yml", "lines": {"begin": 4}}
    assert issue["severity"] == "major"
    assert "Major.Minor.Patch" in issue["description"]
    assert "::error" not in capsys.readouterr().out  # no workflow commands outside GitHub


def test_a_valid_file_writes_an_empty_code_quality_report(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yml").write_text(BROKEN.replace("tag:one.two", "tag:1.2.0"))
    assert main(["validate", "p.yml", "--codequality", "cq.json"]) == 0
    assert json.loads((tmp_path / "cq.json").read_text()) == []
