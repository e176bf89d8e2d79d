"""The stages speak to the platform seam only: no API client call, no client import, and no
platform method outside the :class:`~odc_pipeline.platforms.base.Platform` interface.

A stage that reaches for ``ctx.client.<domain>`` works on one platform and silently breaks
the other; so does a stage calling a method only one platform has (silenced with
``# type: ignore[attr-defined]`` or reached through ``getattr``). Both are checked on the
source, not left to review.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import odc_pipeline.engine
from odc_pipeline.platforms.base import Platform

ENGINE = Path(odc_pipeline.engine.__file__).parent
STAGE_MODULES = [
    "approved",
    "build",
    "configure",
    "deploy",
    "impact",
    "operations",
    "plan_stages",
    "publish",
    "release",
    "resolve",
    "rollback",
    "runner",
    "verify",
]
ENGINE_MODULES = sorted(p.stem for p in ENGINE.glob("*.py") if p.stem != "__init__")
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


def _names_the_platform(node: ast.expr) -> bool:
    """``ctx.platform``, ``self.platform``, or a local ``platform`` (``platform = ctx.platform``)."""
    return (isinstance(node, ast.Attribute) and node.attr == "platform") or (
        isinstance(node, ast.Name) and node.id == "platform"
    )


def platform_members_outside_the_interface(source: str) -> list[tuple[int, str]]:
    """(line, member) for every ``<...>.platform.<member>`` and ``getattr(<...>.platform, "member")``
    whose member the Platform interface does not declare."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and _names_the_platform(node.value):
            member = node.attr
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "hasattr"}
            and len(node.args) >= 2
            and _names_the_platform(node.args[0])
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            member = node.args[1].value
        else:
            continue
        if not hasattr(Platform, member):
            found.append((node.lineno, member))
    return sorted(found)


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_the_engine_calls_only_the_platform_interface(name: str) -> None:
    source = (ENGINE / f"{name}.py").read_text(encoding="utf-8")
    outside = platform_members_outside_the_interface(source)
    assert outside == [], (
        f"engine/{name}.py uses platform members the Platform interface does not declare: {outside}; "
        "add them to platforms/base.py (with a capability and a default that refuses) instead"
    )


@pytest.mark.parametrize("name", ENGINE_MODULES)
def test_no_engine_module_silences_a_missing_platform_attribute(name: str) -> None:
    lines = (ENGINE / f"{name}.py").read_text(encoding="utf-8").splitlines()
    silenced = [i for i, line in enumerate(lines, 1) if "platform" in line and "ignore[attr-defined]" in line]
    assert silenced == [], f"engine/{name}.py silences a platform attribute at lines {silenced}"


def test_the_interface_check_sees_a_platform_only_method() -> None:
    """The checks above do fire on the shapes the seam leak had (so a passing run means something)."""
    leak = (
        "def f(ctx, platform):\n"
        "    ctx.platform.apply_site_properties(ctx.target, 1, {})  # type: ignore[attr-defined]\n"
        "    discard = getattr(ctx.platform, 'discard_plan_now', None)\n"
        "    platform.kept_plan_key\n"
        "    return ctx.platform.configure_after_deploy(ctx.target, 1, {})\n"
    )
    assert platform_members_outside_the_interface(leak) == [
        (2, "apply_site_properties"),
        (3, "discard_plan_now"),
        (4, "kept_plan_key"),
    ]
