"""``requirements.lock`` pins everything the container image installs, and nothing drifts.

The image installs ``requirements.lock`` and then the package itself; a runtime dependency
added to ``pyproject.toml`` (or a new transitive one brought in by an upgrade) that is not
pinned there would be resolved freshly at image build time — a different image from the one
the tests ran against. The dependency closure is computed from the installed packages'
metadata (``importlib.metadata``), with environment markers evaluated for this interpreter
and no extras, the way pip resolves them for the image.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)\s*(?:#.*)?$")


def pins() -> dict[str, str]:
    """``{canonical name: version}`` of ``requirements.lock``; every entry must be an ``==`` pin."""
    found: dict[str, str] = {}
    for number, raw in enumerate((ROOT / "requirements.lock").read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"requirements.lock:{number}: {line!r} is not a name==version pin"
        found[canonicalize_name(match.group(1))] = match.group(2)
    return found


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def applies(requirement: Requirement) -> bool:
    """Whether pip installs ``requirement`` here without extras (markers evaluated)."""
    if requirement.marker is None:
        return True
    return requirement.marker.evaluate({**default_environment(), "extra": ""})


def closure(roots: list[Requirement]) -> dict[str, Requirement]:
    """Every package the roots need, transitively, by canonical name (first requirement seen)."""
    needed: dict[str, Requirement] = {}
    pending = [r for r in roots if applies(r)]
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in needed:
            continue
        needed[name] = requirement
        for text in metadata.requires(requirement.name) or ():
            child = Requirement(text)
            if applies(child):
                pending.append(child)
    return needed


def test_every_runtime_dependency_is_pinned_and_the_pin_satisfies_pyproject():
    pinned = pins()
    for requirement in declared():
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement} (pyproject.toml) is not pinned in requirements.lock"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements.lock pins {name}=={pinned[name]}, outside pyproject's {requirement}"
        )


def test_every_transitive_dependency_is_pinned_and_satisfies_its_dependents():
    pinned = pins()
    needed = closure(declared())
    assert {"requests", "urllib3", "pydantic-core", "python-dotenv"} <= set(needed)  # really transitive
    missing = sorted(set(needed) - set(pinned))
    assert missing == [], f"needed at run time but not pinned in requirements.lock: {missing}"
    for name, requirement in needed.items():
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"requirements.lock pins {name}=={pinned[name]}, but a dependency needs {requirement}"
        )


def test_the_lock_holds_nothing_the_runtime_does_not_need():
    unused = sorted(set(pins()) - set(closure(declared())))
    assert unused == [], f"requirements.lock pins packages nothing depends on: {unused}"


def test_the_tested_environment_has_exactly_the_pinned_versions():
    for name, version in pins().items():
        assert metadata.version(name) == version, (
            f"{name} {metadata.version(name)} is installed, requirements.lock pins {version}"
        )
