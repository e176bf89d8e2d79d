"""The README's simulator section names every tenant-file section and fault switch there is."""

from __future__ import annotations

from pathlib import Path

from odc_pipeline.simulator import FAULT_NAMES, Tenant

README = Path(__file__).resolve().parents[2] / "README.md"


def _simulator_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("<!-- section:simulator -->")
    return text[start : text.index("<!-- /section:simulator -->", start)]


def test_every_tenant_file_section_is_documented():
    section = _simulator_section()
    missing = [name for name in Tenant.model_fields if f"| `{name}` |" not in section]
    assert not missing, f"tenant-file sections missing from the README table: {missing}"


def test_every_fault_switch_is_documented():
    section = _simulator_section()
    missing = [name for name in FAULT_NAMES if f"| `{name}` |" not in section]
    assert not missing, f"fault switches missing from the README table: {missing}"
