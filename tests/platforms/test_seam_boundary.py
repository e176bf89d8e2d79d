"""The stages speak to the platform seam only: no API client call, no client import.

A stage that reaches for ``ctx.client.<domain>`` works on one platform and silently breaks
the other, so this is checked on the source, not left to review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import odc_pipeline.engine

ENGINE = Path(odc_pipeline.engine.__file__).parent
STAGE_MODULES = [
    "approved",
    "build",
    "configure",
    "deploy",
    "impact",
    "operations",
    "publish",
    "release",
    "resolve",
    "rollback",
    "runner",
    "verify",
]
SHARED_API_MODULES = {"odc_pipeline.api.errors"}  # the error classes both clients raise


def _tree(name: str) -> ast.Module:
    return ast.parse((ENGINE / f"{name}.py").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", STAGE_MODULES)
def test_no_stage_reads_the_api_client(name: str) -> None:
    uses = [
        node.lineno
        for node in ast.walk(_tree(name))
        if isinstance(node, ast.Attribute) and node.attr == "client" and isinstance(node.value, ast.Name)
    ]
    assert uses == [], f"engine/{name}.py reads <name>.client at lines {uses}; call ctx.platform instead"


@pytest.mark.parametrize("name", STAGE_MODULES)
def test_no_stage_imports_a_platform_client(name: str) -> None:
    imported = set()
    for node in ast.walk(_tree(name)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    clients = {
        m
        for m in imported
        if m.startswith(("odc_pipeline.api", "odc_pipeline.lifetime")) and m not in SHARED_API_MODULES
    }
    assert clients == set(), f"engine/{name}.py imports {sorted(clients)}"


def test_the_check_sees_a_client_call() -> None:
    """The walker above does find ``ctx.client`` (so a passing run means something)."""
    tree = ast.parse("def f(ctx):\n    return ctx.client.builds.list('a')\n")
    assert any(isinstance(n, ast.Attribute) and n.attr == "client" for n in ast.walk(tree))
