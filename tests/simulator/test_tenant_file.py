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
    core_settings = {s.name: s.data_type for s in assets["Orders Core"].configurations.settings}
    assert core_settings == {"DefaultCurrency": "Text", "MaxOrderLines": "Integer"}
    assert example_tenant.deployment_queue.per_stage is None
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

    # The packaged copy is what --simulate and the simulator subcommand fall back to; the
    # repository example must say exactly the same (test_packaged_tenant keeps the bytes equal).
    assert DEFAULT_TENANT.read_bytes() == EXAMPLE_TENANT.read_bytes()
    assert load_tenant(DEFAULT_TENANT).organization.name == "Acme Orders"


def test_configuration_values_for_unknown_stages_are_refused():
    text = MINIMAL + "    configurations:\n      settings:\n        - {name: Timeout, values: {Prod: '3'}}\n"
    assert _problems(text) == [
        "t.yaml:11: assets[0].configurations.settings[0].values.Prod: unknown stage 'Prod'"
    ]


LIBRARY = "  - name: Lib\n    type: LowCodeLibrary\n    revisions: [{revision: 1}]\n"  # lines 9-11

BROKEN = [
    # (description, tenant text, expected "file:line: field" prefix, words the message must hold)
    (
        "missing section",
        MINIMAL.replace("api_clients:\n  - {client_id: ci, client_secret: s3cret}\n", ""),
        "t.yaml:1: api_clients",
        "required",
    ),
    (
        "revision zero",
        MINIMAL.replace("{revision: 2}", "{revision: 0}"),
        "t.yaml:8: assets[0].revisions[0].revision",
        "greater than or equal to 1",
    ),
    (
        "wrong value type",
        MINIMAL.replace("{name: Dev}", "{name: Dev, order: first}"),
        "t.yaml:4: stages[0].order",
        "integer",
    ),
    (
        "negative duration",
        MINIMAL + "durations: {deployment: -5}\n",
        "t.yaml:9: durations.deployment",
        "greater than or equal to 0",
    ),
    (
        "queue without slots",
        MINIMAL + "deployment_queue: {per_stage: 0}\n",
        "t.yaml:9: deployment_queue.per_stage",
        "greater than or equal to 1",
    ),
    (
        "duplicate stage",
        MINIMAL.replace("  - {name: Dev}\n", "  - {name: Dev}\n  - {name: Dev}\n"),
        "t.yaml:5: stages[1].name",
        "duplicate stage name 'Dev'",
    ),
    (
        "unknown producer",
        MINIMAL.replace("    type: WebApplication\n", "    type: WebApplication\n    producers: [Ghost]\n"),
        "t.yaml:8: assets[0].producers[0]",
        "unknown asset 'Ghost'",
    ),
    (
        "self dependency",
        MINIMAL.replace("    type: WebApplication\n", "    type: WebApplication\n    producers: [App]\n"),
        "t.yaml:8: assets[0].producers[0]",
        "cannot depend on itself",
    ),
    (
        "build of a missing revision",
        MINIMAL + "    builds: [{revision: 9}]\n",
        "t.yaml:9: assets[0].builds[0].revision",
        "no such revision",
    ),
    (
        "duplicate tag",
        MINIMAL.replace("[{revision: 2}]", "[{revision: 1, tag: 1.0.0}, {revision: 2, tag: 1.0.0}]"),
        "t.yaml:8: assets[0].revisions",
        "one revision only",
    ),
    (
        "deployed library",
        MINIMAL + LIBRARY + "deployments: {Dev: {Lib: 1}}\n",
        "t.yaml:12: deployments.Dev.Lib",
        "LowCodeLibrary assets are not deployed",
    ),
    (
        "deployed revision out of range",
        MINIMAL + "deployments: {Dev: {App: 7}}\n",
        "t.yaml:9: deployments.Dev.App",
        "asset has no revision 7",
    ),
    (
        "library timers",
        MINIMAL + LIBRARY + "    configurations: {timers: [{name: Nightly}]}\n",
        "t.yaml:12: assets[1].configurations.timers",
        "settings, integrations and system configurations only",
    ),
    (
        "unknown outcome operation",
        MINIMAL + "outcomes: [{operation: publish}]\n",
        "t.yaml:9: outcomes[0].operation",
        "'build'",
    ),
    (
        "outcome for an unknown stage",
        MINIMAL + "outcomes: [{operation: build, stage: Prod}]\n",
        "t.yaml:9: outcomes[0].stage",
        "unknown stage 'Prod'",
    ),
    (
        "permission in an unknown stage",
        MINIMAL.replace("client_secret: s3cret}", "client_secret: s3cret, permissions: {Prod: [all]}}"),
        "t.yaml:2: api_clients[0].permissions.Prod",
        "unknown stage 'Prod'",
    ),
    (
        "fault option",
        MINIMAL + "faults: [{name: server-error, options: {status: 418}}]\n",
        "t.yaml:9: faults[0]",
        "status must be one of",
    ),
    ("not a mapping", "- just\n- a list\n", "t.yaml:1: (document)", "must be a mapping"),
    ("tab indentation", MINIMAL.replace("    type:", "\ttype:"), "t.yaml:7: (syntax)", "tab"),
]


@pytest.mark.parametrize(("text", "where", "words"), [pytest.param(*row[1:], id=row[0]) for row in BROKEN])
def test_broken_tenant_files_name_file_line_and_field(text, where, words):
    problems = _problems(text)
    matching = [p for p in problems if p.startswith(where + ": ")]
    assert matching, problems
    assert words in matching[0]


@pytest.mark.parametrize("row", [BROKEN[1], BROKEN[10], BROKEN[-1]], ids=lambda row: row[0])
def test_the_cli_exits_2_on_broken_tenant_files_without_a_traceback(tmp_path: Path, row):
    _, text, where, words = row
    bad = tmp_path / "t.yaml"
    bad.write_text(text)
    done = subprocess.run(
        [sys.executable, "-m", "odc_pipeline", "simulator", "--tenant", str(bad)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert done.stdout == ""  # no URL: nothing was served
    assert where.replace("t.yaml", str(bad)) in done.stderr
    assert words in done.stderr
    assert "Traceback" not in done.stderr
