#!/usr/bin/env python3
"""Release consistency: one version and one image name, checked before anything is pushed.

    python3 tools/release.py check v1.2.3   # the release workflow runs this on the tag
    python3 tools/release.py image          # prints the image repository (the one place it lives)

The image repository is defined once, as ``env.IMAGE`` of ``.github/workflows/release.yml`` (a
placeholder until the project publishes). Everything that names the image — ``action.yml``,
the examples, README — must use that name; ``action.yml`` must run the image of this very
version, the Dockerfile must label it, and CHANGELOG.md must have a section for it.
Standard library only: it runs on a bare runner before anything is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKFLOW = ROOT / ".github/workflows/release.yml"
NAMES_THE_IMAGE = (
    "action.yml",
    "README.md",
    "examples/gitlab/.gitlab-ci.yml",
    "examples/azure/azure-pipelines.yml",
)
IMAGE_REFERENCE = re.compile(
    r"(?:docker://)?((?:ghcr\.io|docker\.io|quay\.io|[a-z0-9.-]+\.azurecr\.io)/[\w./-]+)"
)


def image_repository() -> str:
    match = re.search(r"^\s+IMAGE:\s*(\S+)", WORKFLOW.read_text(encoding="utf-8"), re.M)
    if not match:
        raise SystemExit(f"{WORKFLOW}: no env.IMAGE")
    return match.group(1)


def version() -> str:
    text = (ROOT / "odc_pipeline/__init__.py").read_text(encoding="utf-8")
    match = re.search(r'__version__ = "([^"]+)"', text)
    if not match:
        raise SystemExit("odc_pipeline/__init__.py: no __version__")
    return match.group(1)


def problems(tag: str | None = None) -> list[str]:
    """Everything that would make a release inconsistent (empty list = releasable)."""
    found: list[str] = []
    current, image = version(), image_repository()
    if not re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", current):
        found.append(f"version {current} is not Major.Minor.Patch")
    if tag is not None and tag != f"v{current}":
        found.append(f"tag {tag} does not match the version v{current} (odc_pipeline/__init__.py)")
    action = (ROOT / "action.yml").read_text(encoding="utf-8")
    if f"image: docker://{image}:{current}\n" not in action:
        found.append(f"action.yml must run image: docker://{image}:{current}")
    if f"ARG VERSION={current}\n" not in (ROOT / "Dockerfile").read_text(encoding="utf-8"):
        found.append(f"Dockerfile: ARG VERSION={current} missing")
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    if not re.search(rf"^## \[{re.escape(current)}\]", changelog, re.M):
        found.append(f"CHANGELOG.md has no '## [{current}]' section")
    for name in NAMES_THE_IMAGE:
        for reference in IMAGE_REFERENCE.findall((ROOT / name).read_text(encoding="utf-8")):
            if reference != image:
                found.append(f"{name} names image {reference}; the release publishes {image}")
    return found


def main(argv: list[str]) -> int:
    if argv[:1] == ["image"]:
        print(image_repository())
        return 0
    if argv[:1] == ["check"] and len(argv) <= 2:
        found = problems(argv[1] if len(argv) == 2 else None)
        for problem in found:
            print(f"release: {problem}", file=sys.stderr)
        if not found:
            print(f"release: v{version()} of {image_repository()} is consistent")
        return 1 if found else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
