"""The LifeTime tenant file: the packaged example, stable keys, and mistakes named by file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from odc_pipeline.lifetime_simulator import (
    DEFAULT_LIFETIME_TENANT,
    load_lifetime_tenant,
    parse_lifetime_tenant,
)
from odc_pipeline.simulator import TenantFileError

from .conftest import EXAMPLE


def test_packaged_tenant_is_identical_to_the_repository_example():
    assert DEFAULT_LIFETIME_TENANT.read_bytes() == EXAMPLE.read_bytes()
    assert "odc_pipeline" in DEFAULT_LIFETIME_TENANT.parts


def test_the_example_has_what_the_issue_asks_for():
    tenant = load_lifetime_tenant(DEFAULT_LIFETIME_TENANT)
    assert len(tenant.environments) >= 3
    tagged = [a for a in tenant.applications if len(a.versions) >= 2]
    assert len(tagged) >= 3
    modified = [a.name for a in tenant.applications for e in a.running if a.running_in(e).modified]
    assert modified == ["Customer Portal"]
    assert any(e.two_step_deployment for e in tenant.environments)
    assert any(e.deployment_zones for e in tenant.environments)


def test_keys_are_derived_from_names_and_stay_the_same(sim):
    again = load_lifetime_tenant(EXAMPLE)
    from odc_pipeline.lifetime_simulator.tenant import environment_key

    assert [environment_key(e) for e in again.environments] == list(sim.state.environments)


def problems(text: str) -> list[str]:
    with pytest.raises(TenantFileError) as caught:
        parse_lifetime_tenant(text, file="lt.yaml")
    return [str(p) for p in caught.value.problems]


BASE = """\
platform: lifetime
service_accounts:
  - name: pipeline
environments:
  - name: Dev
    host_name: dev
  - name: Prd
    host_name: prd
"""


def test_unknown_names_are_reported_with_their_lines():
    found = problems(
        BASE
        + """\
applications:
  - name: App
    depends_on: [Nope]
    versions:
      - {version: 1.0.0}
    running:
      Dev: 2.0.0
      Qa: 1.0.0
outcomes:
  - {environment: Prd, application: Ghost, result: finished_with_errors}
"""
    )
    assert found == [
        "lt.yaml:11: applications[0].depends_on: unknown producer application 'Nope'",
        "lt.yaml:15: applications[0].running.Dev: version '2.0.0' is not among the versions",
        "lt.yaml:16: applications[0].running.Qa: unknown environment 'Qa'",
        "lt.yaml:18: outcomes[0].application: unknown application 'Ghost'",
    ]


def test_shape_errors_name_the_field_and_line():
    found = problems(BASE + "durations:\n  prepare: -1\nundoc:\n  deployment_created_status: 202\n")
    assert found[0].startswith("lt.yaml:10: durations.prepare: Input should be greater than or equal to 0")
    assert found[1].startswith("lt.yaml:12: undoc.deployment_created_status: Input should be 201 or 200")


def test_syntax_errors_and_missing_files():
    assert problems("platform: [lifetime\n")[0].startswith("lt.yaml:2: (syntax)")
    with pytest.raises(TenantFileError, match=r"nope\.yaml"):
        load_lifetime_tenant(Path("nope.yaml"))


def test_duplicate_tags_and_bad_faults():
    found = problems(
        BASE + "applications:\n  - name: A\n    versions: [{version: 1.0.0}, {version: 1.0.0}]\n"
        "faults:\n  - {name: analysis-unavailable}\n"
    )
    assert found[0] == "lt.yaml:11: applications[0].versions[1].version: version '1.0.0' is tagged twice"
    assert found[1].startswith("lt.yaml:13: faults[0]: unknown fault 'analysis-unavailable'")


def test_the_readme_documents_every_tenant_section_and_fault():
    from odc_pipeline.lifetime_simulator import LIFETIME_FAULT_NAMES, LifeTimeTenant

    readme = (EXAMPLE.parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("<!-- section:lifetime -->") : readme.index("<!-- /section:lifetime -->")]
    assert [n for n in LifeTimeTenant.model_fields if f"| `{n}` |" not in section] == []
    assert [n for n in LIFETIME_FAULT_NAMES if f"| `{n}` |" not in section] == []
    for field in ("deployment_created_status", "deployment_key_format", "unauthorized_body",
                  "app_not_in_environment", "unprocessed_version"):  # fmt: skip
        assert f"`{field}: " in section


def test_an_outcome_that_leaves_an_unknown_application_deployed_is_reported():
    found = problems(
        BASE
        + """\
applications:
  - name: App
    versions:
      - {version: 1.0.0}
outcomes:
  - environment: Prd
    result: finished_with_errors
    deployed: [App, Ghost]
"""
    )
    assert found == ["lt.yaml:16: outcomes[0].deployed[1]: unknown application 'Ghost'"]
