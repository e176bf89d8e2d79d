"""Constants and small helpers shared by the pipeline file tests."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yml"))

MINIMAL = """\
version: 1
target: QA
assets:
  - Orders Portal
stages:
  deploy: {}
"""
