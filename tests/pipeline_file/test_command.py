"""The ``validate`` and ``schema`` subcommands as wired into ``odc-pipeline``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from odc_pipeline.cli import main
from odc_pipeline.pipeline_file.reference import reference_markdown

from .helpers import MINIMAL


def test_validate_defaults_to_odc_pipeline_yml(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "odc-pipeline.yml").write_text(MINIMAL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate"]) == 0
    assert capsys.readouterr().out == "odc-pipeline.yml: valid; 1 asset, target QA, stages: deploy\n"


def test_validate_masks_secrets_in_problems(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "odc-pipeline.yml"
    path.write_text(MINIMAL.replace("deploy: {}", "deploy: {max-parallel: '${PAR}'}"), encoding="utf-8")
    monkeypatch.setenv("PAR", "very-secret-value")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert "max-parallel: must be a whole number" in err
    assert "very-secret-value" not in err


def test_schema_markdown_prints_the_reference(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--markdown"]) == 0
    assert capsys.readouterr().out == reference_markdown()


def test_registering_the_commands_does_not_import_pydantic() -> None:
    code = (
        "import argparse, sys\n"
        "from odc_pipeline.pipeline_file import command\n"
        "command.register(argparse.ArgumentParser().add_subparsers())\n"
        "print('pydantic' in sys.modules, 'yaml' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False False"
