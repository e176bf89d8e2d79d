"""The tenant file: the example loads, and every mistake names file, line and field."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from odc_pipeline.simulator import TenantFileError, load_tenant, parse_tenant

from .conftest import EXAMPLE_TENANT

MINIMAL = """\
api_clients:
  - {client_id: ci, client_secret: s3cret}
stages:
  - {name: Dev}
assets:
  - name: App
    type: WebApplication
    revisions: [{revision: 2}]
"""


def test_the_example_tenant_holds_the_documented_portfolio(example_tenant):
    assets = {a.name: a for a in example_tenant.assets}
    assert {a.name: a.type for a in example_tenant.assets} == {
        "Orders Core": "LowCodeLibrary",
        "Orders API": "WebApplication",
        "Orders Portal": "WebApplication",
        "Orders Backoffice": "WebApplication",
        "Orders Assistant": "Agent",
    }
    assert [(s.name, s.purpose) for s in example_tenant.stages] == [
        ("Development", "Development"),
        ("QA", "NonProduction"),
        ("Production", "Production"),
    ]
    core_tags = {r.revision: r.tag for r in assets["Orders Core"].revisions}
    assert (core_tags[7], core_tags[8]) == ("1.3.0", None)
    assert assets["Orders Portal"].producers == ["Orders API", "Orders Core"]
    portal_settings = {
        s.name: (s.data_type, s.secret) for s in assets["Orders Portal"].configurations.settings
    }
    assert portal_settings == {
        "ApiBaseUrl": ("Text", False),
        "ApiToken": ("Text", True),
        "MaxItemsPerPage": ("Integer", False),
        "EnableBetaFeatures": ("Boolean", False),
    }
    running = example_tenant.deployments
    for name in ("Orders API", "Orders Portal", "Orders Backoffice"):
        assert running["Production"][name] < running["QA"][name] < running["Development"][name]


def test_a_minimal_tenant_fills_in_keys_and_earlier_revisions():
    tenant = parse_tenant(MINIMAL)
    again = parse_tenant(MINIMAL)
    assert tenant == again
    assert tenant.default_client().client_id == "ci"


def _problems(text: str) -> list[str]:
    with pytest.raises(TenantFileError) as error:
        parse_tenant(text, file="t.yaml")
    return [str(p) for p in error.value.problems]


def test_shape_errors_name_the_line_and_field():
    text = MINIMAL.replace("type: WebApplication", "type: Website")
    (problem,) = _problems(text)
    assert problem.startswith("t.yaml:7: assets[0].type: ")


def test_unknown_fields_are_refused_with_their_line():
    (problem,) = _problems(MINIMAL + "colour: blue\n")
    assert problem.startswith("t.yaml:9: colour: ")


def test_reference_errors_name_the_line():
    text = MINIMAL + "deployments:\n  Prod: {App: 1}\n  Dev: {Ghost: 1}\n"
    assert _problems(text) == [
        "t.yaml:10: deployments.Prod: unknown stage 'Prod'",
        "t.yaml:11: deployments.Dev.Ghost: unknown asset 'Ghost'",
    ]


def test_a_malformed_tag_is_refused():
    (problem,) = _problems(MINIMAL.replace("{revision: 2}", "{revision: 2, tag: v2}"))
    assert problem.startswith("t.yaml:8: assets[0].revisions[0].tag: ")
    assert "Major.Minor.Patch" in problem


def test_every_bad_permission_and_fault_is_reported_at_once():
    text = (
        MINIMAL.replace(
            "client_secret: s3cret}", "client_secret: s3cret, permissions: {'*': [Deploy everything]}}"
        )
        + "faults: [{name: meteor}]\n"
    )
    assert _problems(text) == [
        "t.yaml:2: api_clients[0].permissions.*[0]: unknown permission 'Deploy everything'; "
        "use 'all' or a spec name such as 'Release management > Deploy assets'",
        "t.yaml:9: faults[0]: unknown fault 'meteor'; known: rate-limit-storm, server-error, "
        "drop-connection, slow-response, token-expiry, analysis-unavailable",
    ]


def test_yaml_syntax_errors_name_the_line():
    (problem,) = _problems("stages: [\n  {name: Dev\n")
    assert problem.startswith("t.yaml:")
    assert "(syntax)" in problem


def test_a_missing_file_is_a_usage_error(tmp_path: Path):
    with pytest.raises(TenantFileError, match="No such file"):
        load_tenant(tmp_path / "absent.yaml")


def test_the_cli_reports_a_bad_tenant_file_without_a_traceback(tmp_path: Path):
    bad = tmp_path / "tenant.yaml"
    bad.write_text(MINIMAL.replace("revisions: [{revision: 2}]", "revisions: []"))
    done = subprocess.run(
        [sys.executable, "-m", "odc_pipeline", "simulator", "--tenant", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert f"{bad}:8: assets[0].revisions:" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_example_file_is_the_bundled_default():
    from odc_pipeline.simulator import DEFAULT_TENANT

    assert DEFAULT_TENANT == EXAMPLE_TENANT
    assert load_tenant(DEFAULT_TENANT).organization.name == "Acme Orders"


def test_configuration_values_for_unknown_stages_are_refused():
    text = MINIMAL + "    configurations:\n      settings:\n        - {name: Timeout, values: {Prod: '3'}}\n"
    assert _problems(text) == [
        "t.yaml:11: assets[0].configurations.settings[0].values.Prod: unknown stage 'Prod'"
    ]
