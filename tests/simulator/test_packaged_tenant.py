"""The example tenant travels inside the package so ``--simulate`` works in the container."""

from __future__ import annotations

from pathlib import Path

from odc_pipeline.simulator import DEFAULT_TENANT, load_tenant

REPO_EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "tenant.yaml"


def test_packaged_tenant_is_identical_to_the_repository_example():
    assert DEFAULT_TENANT.read_bytes() == REPO_EXAMPLE.read_bytes()


def test_packaged_tenant_lives_inside_the_package_and_loads():
    assert "odc_pipeline" in DEFAULT_TENANT.parts
    tenant = load_tenant(DEFAULT_TENANT)
    assert {stage.name for stage in tenant.stages} >= {"Development", "QA", "Production"}
