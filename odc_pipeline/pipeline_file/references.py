"""Checks between sections that no single model can make.

Each section may be valid on its own while the file as a whole is wrong: ``configure`` naming
an asset that ``assets`` does not list (a typo would configure nothing), the same asset listed
twice (which revision wins?), or promoting ``from:`` the target stage itself. These checks run
on the raw parsed data, so they report alongside schema problems in the same ``validate`` run,
and they skip any part whose shape is already wrong (the schema reports that).
"""

from __future__ import annotations

from collections.abc import Iterator

from odc_pipeline.pipeline_file.messages import suggest
from odc_pipeline.pipeline_file.problems import Problem
from odc_pipeline.pipeline_file.yamlpos import Document, Mark, Path, format_path


def _asset_refs(data: dict[str, object]) -> Iterator[tuple[Path, str]]:
    """``(path of the name/key value, ref)`` for every asset entry whose ref is readable."""
    assets = data.get("assets")
    if not isinstance(assets, list):
        return
    for index, entry in enumerate(assets):
        if isinstance(entry, str):
            yield ("assets", index), entry
        elif isinstance(entry, dict):
            for field in ("name", "key"):
                value = entry.get(field)
                if isinstance(value, str):
                    yield ("assets", index, field), value


def _unknown(ref: str, known: list[str]) -> str:
    message = f"asset {ref!r} is not listed in assets"
    suggestion = suggest(ref, known)
    if suggestion is not None:
        message += f"; did you mean {suggestion!r}?"
    return message


def check_references(data: object, document: Document, file: str) -> list[Problem]:
    """Every cross-section problem in ``data`` (the interpolated, not yet validated file)."""
    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []

    def add(mark: Mark, path: Path, message: str) -> None:
        problems.append(Problem(file, mark.line, mark.column, format_path(path), message))

    first: dict[str, Path] = {}
    for path, ref in _asset_refs(data):
        if ref in first:
            line = document.value_mark(first[ref]).line
            add(document.value_mark(path), path, f"asset {ref!r} is listed twice (first at line {line})")
        else:
            first[ref] = path
    known = list(first)
    has_assets = isinstance(data.get("assets"), list)

    stages = data.get("stages")
    stages = stages if isinstance(stages, dict) else {}
    configure = stages.get("configure")
    if has_assets and isinstance(configure, dict):
        for ref in configure:
            if ref not in first:
                path = ("stages", "configure", ref)
                add(document.key_mark(path), path, _unknown(ref, known))

    verify = stages.get("verify")
    checks = verify.get("http") if isinstance(verify, dict) else None
    if has_assets and isinstance(checks, list):
        for index, check in enumerate(checks):
            ref = check.get("asset") if isinstance(check, dict) else None
            if isinstance(ref, str) and ref not in first:
                path = ("stages", "verify", "http", index, "asset")
                add(document.value_mark(path), path, _unknown(ref, known))

    target = data.get("target")
    if isinstance(target, str):
        for path, selector in _revision_selectors(data):
            stage = selector.partition(":")[2].strip() if selector.startswith("from:") else None
            if stage == target:
                add(
                    document.value_mark(path),
                    path,
                    f"from:{stage} promotes from the target itself; name the stage the revisions come from",
                )
    return problems


def _revision_selectors(data: dict[str, object]) -> Iterator[tuple[Path, str]]:
    if isinstance(data.get("revision"), str):
        yield ("revision",), str(data["revision"])
    assets = data.get("assets")
    if isinstance(assets, list):
        for index, entry in enumerate(assets):
            if isinstance(entry, dict) and isinstance(entry.get("revision"), str):
                yield ("assets", index, "revision"), str(entry["revision"])
