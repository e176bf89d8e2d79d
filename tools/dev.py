#!/usr/bin/env python3
"""Bootstrap and run the project on a fresh machine that has only Python 3.11+.

    python3 tools/dev.py demo    # set up .venv, then run the example pipeline on the simulator
    python3 tools/dev.py test    # set up .venv (with test tools), then lint and run the tests

Standard library only, because it runs before anything is installed.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("ODC_PIPELINE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"


def _run(*cmd: str | os.PathLike[str], check: bool = True) -> int:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    return subprocess.run([str(c) for c in cmd], cwd=ROOT, check=check).returncode


def ensure_venv(*, dev: bool) -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - runs before the version is known
        sys.exit(f"odc-pipeline needs Python 3.11 or newer (this is {sys.version.split()[0]})")
    if not PY.exists():
        venv.EnvBuilder(with_pip=True).create(VENV)
    stamp = VENV / (".installed-dev" if dev else ".installed")
    locks = [ROOT / "requirements.lock", ROOT / "pyproject.toml"]
    if dev:
        locks.append(ROOT / "requirements-dev.lock")
    newest = max(p.stat().st_mtime for p in locks)
    if stamp.exists() and stamp.stat().st_mtime >= newest:
        return
    pip = [PY, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _run(*pip, "-r", "requirements.lock")
    if dev:
        _run(*pip, "-r", "requirements-dev.lock")
    _run(*pip, "--no-deps", "-e", ".")
    stamp.touch()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "test"
    rest = argv[1:]
    if command == "demo":
        ensure_venv(dev=False)
        args = rest or ["run", "--simulate", "--file", "examples/multi-asset-release.yml"]
        return _run(BIN / "odc-pipeline", *args, check=False)
    if command == "test":
        ensure_venv(dev=True)
        rc = _run(PY, "-m", "ruff", "check", ".", check=False)
        rc |= _run(PY, "-m", "ruff", "format", "--check", ".", check=False)
        rc |= _run(PY, "-m", "pytest", *rest, check=False)
        return 1 if rc else 0
    if command == "bench":
        ensure_venv(dev=True)
        return _run(PY, "-m", "bench", *rest, check=False)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
