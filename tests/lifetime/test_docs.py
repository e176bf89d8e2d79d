"""README and the architecture map describe the LifeTime client as it is."""

from __future__ import annotations

import inspect
from pathlib import Path

from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
from odc_pipeline.redaction import SecretRegistry

ROOT = Path(__file__).resolve().parents[2]


def _client_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index("### LifeTime client")
    return text[start : text.index("<!-- /section:lifetime -->", start)]


def test_readme_documents_every_setting():
    section = _client_section()
    for name in LifetimeSettings.model_fields:
        assert f"`LIFETIME_{name.upper()}`" in section, name


def test_architecture_lists_every_domain_method():
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    section = text[text.index("## LifeTime client") : text.index("## Simulator")]
    settings = LifetimeSettings.from_env({"LIFETIME_URL": "lt.example.com", "LIFETIME_TOKEN": "t0ken"})
    client = LifetimeClient(settings, secrets=SecretRegistry())
    for domain in ("environments", "applications", "versions", "deployments", "properties"):
        row = next(line for line in section.splitlines() if line.startswith(f"| {domain} |"))
        for name, _ in inspect.getmembers(type(getattr(client, domain)), inspect.isfunction):
            if not name.startswith("_"):
                assert f"`{name}(" in row, f"{domain}.{name}"
