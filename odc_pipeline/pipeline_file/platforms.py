"""Keys that mean something on one platform only, refused on the other at their line and column.

The models hold the keys of both platforms (one schema, one reference), so a LifeTime key in an
ODC file (``two-stage``) or an ODC key in a LifeTime file (``force-rebuild``: LifeTime has no
builds) would otherwise be accepted and silently ignored. This check runs on the raw parsed
data like :mod:`.references`, so its problems are reported together with the schema's, and it
skips anything whose shape is already wrong. A platform value that is not ``odc`` or
``lifetime`` is left to the schema.
"""

from __future__ import annotations

from collections.abc import Iterator

from odc_pipeline.pipeline_file.problems import Problem
from odc_pipeline.pipeline_file.yamlpos import Document, Path, format_path

ANY = "*"
"""A path part matching every list index or mapping key (each asset, each configured asset)."""

LIFETIME_ONLY: dict[Path, str] = {
    ("source",): "the environment a LifeTime plan deploys from",
    ("assets", ANY, "deployment-zone"): "LifeTime deployment zones",
    ("stages", "build", "version"): "the version of a new LifeTime tag (ODC tags in stages.release)",
    ("stages", "build", "bump"): "computing a new LifeTime tag (ODC tags in stages.release)",
    ("stages", "build", "change-log"): "the change log of a new LifeTime tag (ODC: stages.release.notes)",
    ("stages", "deploy", "two-stage"): "LifeTime's two-step deployment",
    ("stages", "deploy", "redeploy-outdated"): "LifeTime's redeploy of outdated applications",
    ("stages", "deploy", "allow-warnings"): "LifeTime plans that finish with warnings",
    ("stages", "deploy", "deployment-zone"): "LifeTime deployment zones",
    ("stages", "configure", ANY, "modules"): "LifeTime site properties (ODC: settings, timers, integrations)",
}
"""Path → what the key is about (the message names it)."""

_MODULES = "on LifeTime, configure modules: {<module>: {site-properties: ...}}"

ODC_ONLY: dict[Path, str] = {
    ("portal",): "LifeTime's address comes from LIFETIME_URL",
    ("assets", ANY, "type"): "LifeTime applications have no ODC asset type",
    ("assets", ANY, "package"): "external library packages are an ODC feature",
    ("assets", ANY, "on-review"): "external library packages are an ODC feature",
    ("stages", "build", "force-rebuild"): "LifeTime has no builds; the build stage reuses or creates tags",
    ("stages", "impact-analysis", "on-unavailable"): "LifeTime always validates the deployment plan",
    ("stages", "deploy", "max-parallel"): "LifeTime deploys every application in one plan",
    ("stages", "deploy", "force"): "a LifeTime plan does not redeploy the version that runs; "
    "see redeploy-outdated",
    ("stages", "verify", "code-quality"): "LifeTime has no code-quality API",
    ("stages", "release"): "on LifeTime the build stage tags: stages.build.version or bump",
    ("stages", "configure", ANY, "settings"): _MODULES,
    ("stages", "configure", ANY, "timers"): _MODULES,
    ("stages", "configure", ANY, "integrations"): _MODULES,
    ("timeouts", "publish"): "external library packages are an ODC feature",
    ("timeouts", "release"): "on LifeTime the build stage tags",
}


def _present(data: object, pattern: Path, prefix: Path = ()) -> Iterator[Path]:
    """Every concrete path in ``data`` that ``pattern`` matches (``ANY`` = each key/index)."""
    if not pattern:
        yield prefix
        return
    head, rest = pattern[0], pattern[1:]
    if isinstance(data, dict):
        keys = list(data) if head == ANY else [head] if head in data else []
        for key in keys:
            yield from _present(data[key], rest, (*prefix, key))
    elif isinstance(data, list) and head == ANY:
        for index, item in enumerate(data):
            yield from _present(item, rest, (*prefix, index))


def file_platform(data: object) -> str:
    """``odc`` or ``lifetime`` as the raw file says (anything else counts as ODC here)."""
    value = data.get("platform") if isinstance(data, dict) else None
    return "lifetime" if isinstance(value, str) and value.strip() == "lifetime" else "odc"


def check_platform_keys(data: object, document: Document, file: str) -> list[Problem]:
    """A problem for every key of the other platform, and LifeTime's needs (source, build)."""
    if not isinstance(data, dict):
        return []
    platform = file_platform(data)
    problems: list[Problem] = []
    if platform == "lifetime":
        refused, advice = ODC_ONLY, "an ODC key, refused with platform: lifetime"
    else:
        refused, advice = LIFETIME_ONLY, "a LifeTime key, refused unless platform: lifetime"
    for pattern, about in refused.items():
        for path in _present(data, pattern):
            mark = document.key_mark(path)
            message = f"{path[-1]!r} is {advice}; {about}"
            problems.append(Problem(file, mark.line, mark.column, format_path(path), message))
    if platform == "lifetime":
        problems.extend(_lifetime_needs(data, document, file))
    return problems


def _selectors(data: dict[str, object]) -> Iterator[tuple[Path, str]]:
    """``(path, text)`` of each readable revision selector; an asset without one gets the default."""
    default = data.get("revision") if isinstance(data.get("revision"), str) else "latest-tag"
    assets = data.get("assets")
    if not isinstance(assets, list):
        return
    for index, entry in enumerate(assets):
        if isinstance(entry, dict) and isinstance(entry.get("revision"), str):
            yield ("assets", index, "revision"), str(entry["revision"]).strip()
        elif isinstance(entry, str) or (isinstance(entry, dict) and "revision" not in entry):
            yield ("assets", index), str(default).strip()


def _lifetime_needs(data: dict[str, object], document: Document, file: str) -> list[Problem]:
    """A LifeTime plan needs a source environment (``source:``, else the one environment the
    ``from:`` selectors name); ``modified`` needs the build stage, which tags."""
    problems: list[Problem] = []
    selectors = list(_selectors(data))
    has_source = isinstance(data.get("source"), str)
    sources = {text.partition(":")[2].strip() for _, text in selectors if text.startswith("from:")}
    needs_source = [
        (path, text)
        for path, text in selectors
        if text in ("latest-tag", "modified") or text.startswith("tag:")
    ]
    if not has_source and (len(sources) > 1 or (needs_source and not sources)):
        path, text = needs_source[0] if needs_source else selectors[0]
        mark = document.value_mark(path)
        reason = (
            f"{text} needs source: <environment> (the environment the plan deploys from)"
            if needs_source
            else "the revisions come from several environments; name the plan's one with source:"
        )
        problems.append(Problem(file, mark.line, mark.column, format_path(path), reason))
    stages = data.get("stages")
    if isinstance(stages, dict) and "build" not in stages:
        for path, text in selectors:
            if text == "modified":
                mark = document.value_mark(path)
                problems.append(
                    Problem(
                        file,
                        mark.line,
                        mark.column,
                        format_path(path),
                        "modified tags changed applications in the build stage; add stages.build",
                    )
                )
                break
    return problems
