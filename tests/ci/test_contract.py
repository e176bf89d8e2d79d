"""action.yml, the entrypoint, the README and the image agree on the public contract."""

from __future__ import annotations

import re

import yaml

from odc_pipeline.reporting.azure import azure_output_name
from odc_pipeline.reporting.dotenv import dotenv_key
from odc_pipeline.reporting.outputs import OUTPUT_NAMES

from .conftest import ROOT, load_entrypoint

ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
README = (ROOT / "README.md").read_text(encoding="utf-8")
CI_BLOCK = README[README.index("<!-- section:ci -->") : README.index("<!-- /section:ci -->")]


def _tables(header: str) -> list[list[list[str]]]:
    """Every README CI table whose header row starts so: rows of cells, each cell's first code span."""
    lines = CI_BLOCK.splitlines()
    tables = []
    for start in (i for i, line in enumerate(lines) if line.startswith(header)):
        rows = []
        for line in lines[start + 2 :]:
            if not line.startswith("|"):
                break
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append([re.sub(r"^`([^`]*)`.*$", r"\1", c) for c in cells])
        tables.append(rows)
    return tables


def _table(header: str) -> list[list[str]]:
    (table,) = _tables(header)
    return table


def test_every_declared_input_reaches_the_run() -> None:
    entrypoint = load_entrypoint()
    env = {"GITHUB_ACTIONS": "true"}
    for name in ACTION["inputs"]:
        value = "true" if ACTION["inputs"][name].get("default") == "false" else f"v-{name}"
        env[f"INPUT_{name.upper()}"] = value  # the runner's rule: upper-cased, hyphens kept
    env["INPUT_COMMAND"] = "run"  # an enumerated input (run | validate), tested below
    invocation = entrypoint.plan([], env)
    seen = " ".join(invocation.argv) + " " + " ".join(invocation.env.values())
    assert invocation.argv[0] == "run"
    for name, spec in ACTION["inputs"].items():
        if name == "command":
            continue
        if spec.get("default") == "false":
            assert f"--{name}" in invocation.argv, name
        else:
            assert f"v-{name}" in seen, name
    assert not any("v-client-secret" in arg for arg in invocation.argv)


def test_command_validate_runs_validate_on_the_pipeline_file_only() -> None:
    entrypoint = load_entrypoint()
    env = {"GITHUB_ACTIONS": "true", "INPUT_COMMAND": "validate", "INPUT_PIPELINE-FILE": "-odd.yml"}
    env["INPUT_TARGET"] = "QA"  # ignored: validate is offline
    assert entrypoint.plan([], env).argv == ("validate", "--", "-odd.yml")
    import pytest

    with pytest.raises(entrypoint.InputError, match="'command' must be one of run, validate"):
        entrypoint.plan([], {"GITHUB_ACTIONS": "true", "INPUT_COMMAND": "deploy"})


def test_from_plan_uses_the_plans_own_pipeline_file_unless_one_is_chosen() -> None:
    entrypoint = load_entrypoint()
    env = {
        "GITHUB_ACTIONS": "true",
        "INPUT_FROM-PLAN": "plan.json",
        "INPUT_PIPELINE-FILE": "odc-pipeline.yml",  # the default the runner always fills in
        "INPUT_PLAN": "false",
    }
    argv = entrypoint.plan([], env).argv
    assert argv == ("run", "--from-plan=plan.json")
    env["INPUT_PIPELINE-FILE"] = "pipelines/production.yml"
    assert entrypoint.plan([], env).argv[:2] == ("run", "--file=pipelines/production.yml")


def test_readme_inputs_table_matches_action_yml() -> None:
    rows = _table("| input | default | meaning |")
    assert [r[0] for r in rows] == list(ACTION["inputs"])
    assert {r[0]: r[1] for r in rows} == {n: str(s.get("default", "")) for n, s in ACTION["inputs"].items()}


def test_readme_outputs_tables_match_action_yml_and_each_ci() -> None:
    assert list(ACTION["outputs"]) == list(OUTPUT_NAMES)
    assert [r[0] for r in _table("| output | example |")] == list(OUTPUT_NAMES)
    gitlab, azure = _tables("| variable | same as GitHub output |")
    assert [r[:2] for r in gitlab] == [[dotenv_key(n), n] for n in OUTPUT_NAMES]
    assert [r[:2] for r in azure] == [[azure_output_name(n), n] for n in OUTPUT_NAMES]


def test_readme_ci_block_documents_each_ci_and_the_entrypoint_overrides() -> None:
    for heading in ("### GitHub Actions", "### GitLab CI", "### Azure DevOps", "### Exit codes in CI"):
        assert heading in CI_BLOCK
    assert 'entrypoint: [""]' in CI_BLOCK
    assert 'options: --entrypoint=""' in CI_BLOCK
    codes = [int(r[0]) for r in _table("| code | meaning | CI result |")]
    from odc_pipeline.errors import ExitCode

    assert codes == sorted(int(c) for c in ExitCode)


def test_image_ships_the_example_tenant_for_run_simulate() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "COPY odc_pipeline /app/odc_pipeline" in dockerfile  # the whole package, data included
    ignore = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert "!odc_pipeline/" in ignore
    after = ignore[ignore.index("!odc_pipeline/") + 1 :]
    assert all(not p.endswith((".yaml", "data/", "simulator/")) for p in after), after
    assert (ROOT / "odc_pipeline/simulator/data/example-tenant.yaml").is_file()
