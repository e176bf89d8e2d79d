"""The entrypoint run as each CI runs it, against the simulator, read back with the CI's rules.

Each test builds a workspace with a tenant and a pipeline file, starts ``entrypoint.py`` the way
that CI starts our image (its variables, its files, its argument conventions), and then parses
everything written (stdout, stderr, output files) exactly as the runner/agent/GitLab would:

* GitHub: no arguments, ``INPUT_*`` from action.yml (every declared input gets its default,
  hyphens kept), ``GITHUB_OUTPUT`` / ``GITHUB_STEP_SUMMARY`` files; the simulator is started here
  and reached like a real tenant through ``portal-url``/``client-id``/``client-secret``.
* GitLab: the runner's ``sh -c <script>`` handed over by the entrypoint, ``odc-pipeline`` from
  PATH, the dotenv and JUnit reports in ``$CI_PROJECT_DIR``.
* Azure: the agent's ``bash -c <script>`` likewise, with ``TF_BUILD`` and the agent directories.

The hostile variant makes ODC return a deployment failure message and an asset name full of CI
commands, a ``%``, ``\\r`` and newlines, and leaks a secret into that message.
"""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from odc_pipeline.reporting.outputs import OUTPUT_NAMES

from .ci_rules import (
    azure_commands,
    azure_format_commands,
    github_commands,
    github_parse_file_commands,
    gitlab_parse_dotenv,
    gitlab_sections,
)
from .conftest import ROOT

pytestmark = pytest.mark.slow

simulator = pytest.importorskip("odc_pipeline.simulator")

TOKEN = "tok-Abc%def;123]456"  # a ${VAR} setting value: secret by the pipeline-file rules
CLIENT_SECRET = "ci-client-secret-value"
EVIL_ASSET = "::warning::evil ##vso[task.complete result=Succeeded]100%"
EVIL_MESSAGE = (
    "::error::pwned\n##vso[task.setvariable variable=status;isOutput=true]hacked\r##[group]fake\n"
    f"::stop-commands::tok\n100% leaked {TOKEN} \x1b[0Ksection_start:1:evil\r\x1b[0Kx"
)
STAGES = ("configure", "build", "impact-analysis", "deploy", "verify")


def _asset(name: str, settings: bool) -> dict[str, object]:
    spec: dict[str, object] = {
        "name": name,
        "type": "WebApplication",
        "revisions": [{"revision": 1}, {"revision": 2}],
        "builds": [{"revision": 1}, {"revision": 2}],
    }
    if settings:
        spec["configurations"] = {"settings": [{"name": "ApiToken", "data_type": "Text", "secret": True}]}
    return spec


@dataclass(frozen=True)
class Workspace:
    root: Path
    tenant: Path
    pipeline: Path
    assets: tuple[str, ...]


def make_workspace(root: Path, *, hostile: bool) -> Workspace:
    assets = ("Orders Portal", EVIL_ASSET) if hostile else ("Orders Portal",)
    tenant = {
        "durations": {"build": 0, "deployment": 0, "apply_configs": 0, "analysis": 0, "code_analysis": 0},
        "rate_limits": {"enabled": False},
        "api_clients": [{"client_id": "ci-client", "client_secret": CLIENT_SECRET, "default": True}],
        "stages": [
            {"name": "Development", "purpose": "Development"},
            {"name": "QA", "purpose": "NonProduction"},
        ],
        "assets": [_asset(name, name == "Orders Portal") for name in assets],
        "deployments": {"Development": dict.fromkeys(assets, 2), "QA": dict.fromkeys(assets, 1)},
    }
    if hostile:
        tenant["outcomes"] = [
            {"operation": "deployment", "asset": "Orders Portal", "stage": "QA", "result": "failure",
             "message": EVIL_MESSAGE}
        ]  # fmt: skip
    pipeline = {
        "version": 1,
        "target": "QA",
        "assets": [{"name": name, "revision": "from:Development"} for name in assets],
        "stages": {
            "configure": {"Orders Portal": {"settings": {"ApiToken": "${ORDERS_API_TOKEN}"}}},
            **{stage: {} for stage in STAGES[1:]},
        },
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "tenant.yaml").write_text(yaml.safe_dump(tenant, allow_unicode=True), encoding="utf-8")
    (root / "odc-pipeline.yml").write_text(yaml.safe_dump(pipeline, allow_unicode=True), encoding="utf-8")
    return Workspace(root, root / "tenant.yaml", root / "odc-pipeline.yml", assets)


def _base_env() -> dict[str, str]:
    """The job's environment without anything CI-specific leaking in from the test runner."""
    drop = (
        "INPUT_",
        "GITHUB_",
        "GITLAB_",
        "CI",
        "TF_BUILD",
        "AGENT_",
        "BUILD_",
        "SYSTEM_",
        "ODC_",
        "RUNNER_",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env["ORDERS_API_TOKEN"] = TOKEN
    return env


def _entrypoint(args: list[str], *, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run it; output decoded as bytes would be (text mode would turn a lone ``\r`` into ``\n``)."""
    raw = subprocess.run(
        [sys.executable, str(ROOT / "entrypoint.py"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        timeout=180,
        check=False,
    )
    return subprocess.CompletedProcess(
        raw.args, raw.returncode, raw.stdout.decode("utf-8"), raw.stderr.decode("utf-8")
    )


def _files_text(*paths: Path) -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in paths if p.exists())


def _assert_no_secret(secrets: set[str], text: str) -> None:
    for secret in secrets:
        assert secret not in text


# ================================================================================== GitHub
def _github_inputs(with_: dict[str, str]) -> dict[str, str]:
    """As the runner: every declared input set (default or empty), named INPUT_<UPPER>, hyphens kept."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    values = {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}
    values.update(with_)
    return {f"INPUT_{name.replace(' ', '_').upper()}": value for name, value in values.items()}


def _run_github(tmp_path: Path, *, hostile: bool):
    ws = make_workspace(tmp_path / "workspace", hostile=hostile)
    file_commands = tmp_path / "file_commands"
    file_commands.mkdir()
    output, summary = file_commands / "set_output_1f2e", file_commands / "step_summary_1f2e"
    for f in (output, summary):
        f.write_text("")
    with simulator.start_simulator(ws.tenant) as sim:
        env = {
            **_base_env(),
            "GITHUB_ACTIONS": "true",
            "CI": "true",
            "GITHUB_WORKSPACE": str(ws.root),
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            **_github_inputs(
                {"portal-url": sim.url, "client-id": sim.client_id, "client-secret": sim.client_secret}
            ),
        }
        result = _entrypoint([], env=env, cwd=ws.root)
    return ws, result, output, summary


def _check_github(ws: Workspace, result, output: Path, summary: Path) -> dict[str, str]:
    log = result.stdout + "\n" + result.stderr  # the runner scans both streams
    commands = github_commands(log)
    assert {c.name for c in commands} <= {"add-mask", "group", "endgroup", "error", "warning"}
    names = [c.name for c in commands if c.name in {"group", "endgroup"}]
    assert names == ["group", "endgroup"] * (len(names) // 2)  # balanced, never nested
    # configure and resolve get a group each; the per-asset flow's stages share one, named
    # after them ("build → impact-analysis → deploy → verify")
    grouped = {stage for c in commands if c.name == "group" for stage in c.data.split(" → ")}
    assert grouped >= set(STAGES)

    masks = {c.data for c in commands if c.name == "add-mask"}
    assert {CLIENT_SECRET, TOKEN} <= masks
    first_mask = max(i for i, c in enumerate(commands) if c.data in {CLIENT_SECRET, TOKEN})
    assert commands[first_mask].name == "add-mask"
    unmasked_log = "\n".join(line for line in log.splitlines() if not line.startswith("::add-mask::"))
    _assert_no_secret(
        masks, unmasked_log + _files_text(output, summary, ws.root / "odc-pipeline-report.json")
    )

    outputs = github_parse_file_commands(output.read_text(encoding="utf-8"))
    assert list(outputs) == list(OUTPUT_NAMES)
    assert outputs["exit-code"] == str(result.returncode)
    assert outputs["report-file"] == "odc-pipeline-report.json"
    assert (ws.root / outputs["report-file"]).is_file()
    deployments = json.loads(outputs["deployments"])
    assert {d["asset"].replace("·", "") for d in deployments} == set(ws.assets)
    assert "| Orders Portal |" in summary.read_text(encoding="utf-8")
    return outputs


def test_github_action_success(tmp_path) -> None:
    ws, result, output, summary = _run_github(tmp_path, hostile=False)
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = _check_github(ws, result, output, summary)
    assert outputs["status"] == "succeeded"
    assert json.loads(outputs["deployments"])[0]["revision-before"] == 1
    assert json.loads(outputs["deployments"])[0]["revision-after"] == 2
    assert list(json.loads(outputs["build-keys"])) == ["Orders Portal"]
    assert outputs["impact-status"] == "NoIssuesFound"


def test_github_action_hostile_failure(tmp_path) -> None:
    ws, result, output, summary = _run_github(tmp_path, hostile=True)
    assert result.returncode == 1, result.stdout + result.stderr
    outputs = _check_github(ws, result, output, summary)
    assert outputs["status"] == "failed"
    commands = github_commands(result.stdout + "\n" + result.stderr)
    assert not any(c.data.startswith(("pwned", "evil")) for c in commands)  # nothing hostile ran
    errors = [c.data for c in commands if c.name == "error"]
    assert any("pwned" in e for e in errors)  # the message is shown, as data of our annotation
    assert "pwned" in outputs["summary"]


# ================================================================================== GitLab
def _run_gitlab(tmp_path: Path, *, hostile: bool):
    ws = make_workspace(tmp_path / "builds" / "group" / "project", hostile=hostile)
    env = {**_base_env(), "GITLAB_CI": "true", "CI": "true", "CI_PROJECT_DIR": str(ws.root)}
    script = f"odc-pipeline run odc-pipeline.yml --simulate {shlex.quote(str(ws.tenant))}"
    return ws, _entrypoint(["sh", "-c", script], env=env, cwd=ws.root)


def _check_gitlab(ws: Workspace, result) -> dict[str, str]:
    log = result.stdout
    sections = gitlab_sections(log)
    named = {stage for _, _, name in sections for stage in name.split("_", 2)[2].split("___")}
    assert named >= set(STAGES)  # the flow's section is build___impact-analysis___deploy___verify
    assert [kind for kind, _, _ in sections] == ["start", "end"] * (len(sections) // 2)
    assert log.count("\r") == len(sections)  # no stray carriage return could overwrite a line
    assert log.count("\x1b[0Ksection_") == len(sections)

    dotenv_path, junit_path = ws.root / "odc-pipeline.env", ws.root / "odc-pipeline-junit.xml"
    dotenv = gitlab_parse_dotenv(dotenv_path.read_bytes())
    assert set(dotenv) == {"ODC_" + n.upper().replace("-", "_") for n in OUTPUT_NAMES}
    assert dotenv["ODC_EXIT_CODE"] == str(result.returncode)
    cases = ET.parse(junit_path).getroot().findall("./testsuite/testcase")
    steps = json.loads((ws.root / "odc-pipeline-report.json").read_text(encoding="utf-8"))["steps"]
    expected = sorted((f"odc-pipeline.{s['stage']}", s["asset"]) for s in steps)
    assert sorted((c.get("classname"), c.get("name")) for c in cases) == expected  # one per asset x stage
    everything = (
        log + result.stderr + _files_text(dotenv_path, junit_path, ws.root / "odc-pipeline-report.json")
    )
    _assert_no_secret({TOKEN, CLIENT_SECRET}, everything)
    assert "eyJ" not in everything  # no access token (JWT) either
    return dotenv


def test_gitlab_job_success(tmp_path) -> None:
    ws, result = _run_gitlab(tmp_path, hostile=False)
    assert result.returncode == 0, result.stdout + result.stderr
    dotenv = _check_gitlab(ws, result)
    assert dotenv["ODC_STATUS"] == "succeeded"
    assert json.loads(dotenv["ODC_DEPLOYMENTS"])[0]["status"] == "succeeded"


def test_gitlab_job_hostile_failure(tmp_path) -> None:
    ws, result = _run_gitlab(tmp_path, hostile=True)
    assert result.returncode == 1, result.stdout + result.stderr
    dotenv = _check_gitlab(ws, result)
    assert dotenv["ODC_STATUS"] == "failed"
    assert "pwned" in result.stdout
    root = ET.parse(ws.root / "odc-pipeline-junit.xml").getroot()
    failures = [c.get("name") for c in root.iter("testcase") if c.find("failure") is not None]
    assert "Orders Portal" in failures


# =================================================================================== Azure
def _run_azure(tmp_path: Path, *, hostile: bool):
    ws = make_workspace(tmp_path / "__w" / "1" / "s", hostile=hostile)
    agent_tmp = tmp_path / "__w" / "_temp"
    agent_tmp.mkdir(parents=True)
    env = {
        **_base_env(),
        "TF_BUILD": "True",
        "AGENT_TEMPDIRECTORY": str(agent_tmp),
        "BUILD_SOURCESDIRECTORY": str(ws.root),
        "SYSTEM_DEFAULTWORKINGDIRECTORY": str(ws.root),
    }
    script = f"odc-pipeline run odc-pipeline.yml --simulate {shlex.quote(str(ws.tenant))}"
    return ws, agent_tmp, _entrypoint(["bash", "-c", script], env=env, cwd=ws.root)


def _check_azure(ws: Workspace, agent_tmp: Path, result) -> dict[str, str]:
    log = result.stdout + "\n" + result.stderr
    commands = azure_commands(log)
    allowed = {"setsecret", "logissue", "setvariable", "uploadsummary", "complete"}
    assert {(c.area, c.event) for c in commands} <= {("task", e) for e in allowed}
    formats = azure_format_commands(log)
    assert formats == ["group", "endgroup"] * (len(formats) // 2)
    headers = {
        line.split("odc-pipeline: ", 1)[1] for line in log.splitlines() if line.startswith("##[group]")
    }
    assert {stage for header in headers for stage in header.split(" → ")} >= set(STAGES)

    secrets = {c.data for c in commands if c.event == "setsecret"}
    assert {CLIENT_SECRET, TOKEN} <= secrets
    unmasked = "\n".join(line for line in log.splitlines() if not line.startswith("##vso[task.setsecret]"))
    summary = Path(next(c.data for c in commands if c.event == "uploadsummary"))
    assert summary.is_absolute()
    assert summary.parent == agent_tmp
    junit = ws.root / "odc-pipeline-junit.xml"
    _assert_no_secret(secrets, unmasked + _files_text(summary, junit, ws.root / "odc-pipeline-report.json"))

    setvars = [c for c in commands if c.event == "setvariable"]
    assert all(c.properties.get("isOutput") == "true" for c in setvars)
    outputs = {c.properties["variable"]: c.data for c in setvars}
    assert len(setvars) == len(outputs) == len(OUTPUT_NAMES)  # each set once: nothing injected
    assert outputs["exit_code"] == str(result.returncode)
    completes = [c for c in commands if c.event == "complete"]
    assert completes == [commands[-1]]
    assert len(ET.parse(junit).getroot().findall("./testsuite/testcase")) >= len(ws.assets)
    assert "| Orders Portal |" in summary.read_text(encoding="utf-8")
    return {**outputs, "result": completes[0].properties["result"]}


def test_azure_container_job_success(tmp_path) -> None:
    ws, agent_tmp, result = _run_azure(tmp_path, hostile=False)
    assert result.returncode == 0, result.stdout + result.stderr
    outputs = _check_azure(ws, agent_tmp, result)
    assert outputs["status"] == "succeeded"
    assert outputs["result"] in {"Succeeded", "SucceededWithIssues"}


def test_azure_container_job_hostile_failure(tmp_path) -> None:
    ws, agent_tmp, result = _run_azure(tmp_path, hostile=True)
    assert result.returncode == 1, result.stdout + result.stderr
    outputs = _check_azure(ws, agent_tmp, result)
    assert outputs["status"] == "failed"
    assert outputs["result"] == "Failed"
    issues = [c.data for c in azure_commands(result.stdout) if c.event == "logissue"]
    assert any("pwned" in i for i in issues)
