"""The command wiring: fast start-up, help, and errors without tracebacks."""

from __future__ import annotations

import subprocess
import sys

from odc_pipeline import __version__
from odc_pipeline.cli import main


def _python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout


def test_building_the_parser_imports_no_heavy_dependency():
    """--version and argument errors must not pay for pydantic, PyYAML or requests."""
    out = _python(
        "import sys; from odc_pipeline.cli import build_parser; build_parser(); "
        "print(sorted(m for m in ('pydantic', 'yaml', 'requests') if m in sys.modules))"
    )
    assert out.strip() == "[]"


def test_python_dash_m_prints_the_version():
    result = subprocess.run(
        [sys.executable, "-m", "odc_pipeline", "--version"], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0
    assert result.stdout.strip() == f"odc-pipeline {__version__}"


def test_no_command_prints_help_and_exits_2(capsys):
    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().err


def test_every_subsystem_registers_its_command():
    parser_help = subprocess.run(
        [sys.executable, "-m", "odc_pipeline", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("run", "validate", "schema", "simulator"):
        assert command in parser_help


def test_simulator_exports_resolve_lazily():
    out = _python(
        "import sys, odc_pipeline.simulator as s; before = 'odc_pipeline.simulator.app' in sys.modules; "
        "s.start_simulator; print(before, 'odc_pipeline.simulator.app' in sys.modules)"
    )
    assert out.split() == ["False", "True"]
