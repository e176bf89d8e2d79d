"""Read a pipeline file into a :class:`PipelineFile`, or explain every reason it cannot be.

The steps, each adding problems rather than stopping: read and decode the bytes, parse YAML
with positions (:mod:`.yamlpos`), expand ``${VAR}`` (:mod:`.interpolate`), validate against
the models (:mod:`.models`, errors worded by :mod:`.messages`), check references between
sections (:mod:`.references`). Nothing is sent anywhere: loading is offline, which is what
makes ``odc-pipeline validate`` safe to run in every pull request.

Secrets: values that ``${VAR}`` took from the environment are registered in
:data:`odc_pipeline.redaction.SECRETS` at once (before any error message could echo them),
except under ``portal``, ``target`` and ``assets`` — identifiers that appear in every log
line, are not secret, and would make reports unreadable if masked. Configuration values that
used ``${...}`` are additionally flagged ``ConfigValue.secret`` for the engine.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path as FsPath
from typing import TYPE_CHECKING

from odc_pipeline.pipeline_file.interpolate import Interpolated, interpolate_document
from odc_pipeline.pipeline_file.problems import PipelineFileError, Problem
from odc_pipeline.pipeline_file.yamlpos import Document, Path, line_column, parse_yaml
from odc_pipeline.redaction import SECRETS, SecretRegistry

if TYPE_CHECKING:
    from odc_pipeline.pipeline_file.models import PipelineFile

DEFAULT_FILE = "odc-pipeline.yml"
NOT_SECRET_ROOTS = frozenset({"portal", "target", "assets", "version", "revision"})
"""Top-level sections whose interpolated values are identifiers, not secrets."""

MAX_FILE_BYTES = 1_000_000


def load_pipeline(
    path: str | os.PathLike[str] = DEFAULT_FILE,
    *,
    env: Mapping[str, str] = os.environ,
    ignore_missing_env: bool = False,
    secrets: SecretRegistry = SECRETS,
) -> PipelineFile:
    """Load and validate the pipeline file at ``path``.

    Raises :class:`PipelineFileError` (exit code 2) listing every problem, each with file,
    line, column and field. ``ignore_missing_env`` expands unset variables to empty text
    instead of failing (for validating where CI secrets are not available).
    """
    name = os.fspath(path)
    try:
        file_path = FsPath(name)
        if file_path.is_dir():
            raise PipelineFileError([Problem(name, None, None, "", "is a directory, not a pipeline file")])
        with file_path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise PipelineFileError(
            [Problem(name, None, None, "", "file not found (pass the pipeline file's path)")]
        ) from None
    except OSError as exc:
        raise PipelineFileError(
            [Problem(name, None, None, "", f"cannot read: {exc.strerror or exc}")]
        ) from None
    return parse_pipeline(raw, file=name, env=env, ignore_missing_env=ignore_missing_env, secrets=secrets)


def _decode(raw: bytes, file: str) -> tuple[str | None, list[Problem]]:
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(file, 1, 1, "", f"the file is larger than {MAX_FILE_BYTES} bytes")]
    nul = raw.find(b"\x00")
    if nul >= 0:
        line, column = line_column(raw[:nul].decode("utf-8", "replace"), nul)
        return None, [Problem(file, line, column, "", "not a text file (binary content); expected YAML")]
    try:
        return raw.decode("utf-8-sig"), []
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8-sig", "replace")
        line, column = line_column(prefix, len(prefix))
        return None, [Problem(file, line, column, "", "not valid UTF-8 text; save the file as UTF-8")]


def _register_secrets(expansions: dict[Path, Interpolated], secrets: SecretRegistry) -> None:
    for path, expansion in expansions.items():
        if path and path[0] in NOT_SECRET_ROOTS:
            continue
        if path == ("stages", "release", "version"):
            continue  # a version tag is an identifier shown in every report, not a secret
        for value in expansion.env_values:
            secrets.register(value)
        if path[:2] == ("stages", "configure"):
            secrets.register(expansion.text)


def _config_leaves(data: dict[str, object]) -> list[tuple[dict[str, object], str, Path]]:
    """``(container, key, path)`` of every configuration value whose shape is as expected."""
    stages = data.get("stages")
    configure = stages.get("configure") if isinstance(stages, dict) else None
    if not isinstance(configure, dict):
        return []
    leaves = []
    for asset, entry in configure.items():
        if not isinstance(entry, dict):
            continue
        base: Path = ("stages", "configure", asset)
        settings = entry.get("settings")
        if isinstance(settings, dict):
            leaves.extend((settings, key, (*base, "settings", key)) for key in settings)
        for section, inner in (("timers", None), ("integrations", None), ("modules", "site-properties")):
            items = entry.get(section)
            if not isinstance(items, dict):
                continue
            for item, entry_values in items.items():
                path: Path = (*base, section, item)
                values = entry_values
                if inner is not None:
                    values = entry_values.get(inner) if isinstance(entry_values, dict) else None
                    path = (*path, inner)
                if isinstance(values, dict) and inner is not None:  # {name: {key, value}}
                    for name, item_entry in values.items():
                        if isinstance(item_entry, dict) and "value" in item_entry:
                            leaves.append((item_entry, "value", (*path, name, "value")))
                elif isinstance(values, dict):
                    leaves.extend((values, key, (*path, key)) for key in values)
    return leaves


def _wrap_config_values(
    data: dict[str, object], document: Document, expansions: dict[Path, Interpolated]
) -> None:
    """Replace each configuration scalar by a ``ConfigValue`` that knows its text and source."""
    from odc_pipeline.pipeline_file.models import ConfigValue, ValueSource, scalar_text

    for container, key, path in _config_leaves(data):
        value = container[key]
        if isinstance(value, bool | int | float | str):
            expansion = expansions.get(path)
            if expansion is not None:
                container[key] = ConfigValue(
                    value=expansion.text, text=expansion.text, source=ValueSource.ENV
                )
            else:
                text = document.texts.get(path, scalar_text(value))
                container[key] = ConfigValue(value=value, text=text)


def parse_pipeline(
    source: str | bytes,
    *,
    file: str = DEFAULT_FILE,
    env: Mapping[str, str] = os.environ,
    ignore_missing_env: bool = False,
    secrets: SecretRegistry = SECRETS,
) -> PipelineFile:
    """Validate pipeline file text (``file`` names it in problems). Same contract as
    :func:`load_pipeline`; handy for tests and for files that do not live on disk.
    """
    from pydantic import ValidationError

    from odc_pipeline.pipeline_file.messages import translate
    from odc_pipeline.pipeline_file.models import PipelineFile
    from odc_pipeline.pipeline_file.platforms import check_platform_keys, file_platform
    from odc_pipeline.pipeline_file.references import check_references

    if isinstance(source, bytes):
        text, problems = _decode(source, file)
        if text is None:
            raise PipelineFileError(problems)
    else:
        text = source
    document, problems = parse_yaml(text, file)
    if problems:
        raise PipelineFileError(problems)
    if document is None:
        raise PipelineFileError(
            [Problem(file, 1, 1, "", "the file is empty; a pipeline file starts with version: 1")]
        )
    if not isinstance(document.data, dict):
        mark = document.value_mark(())
        raise PipelineFileError(
            [
                Problem(
                    file,
                    mark.line,
                    mark.column,
                    "",
                    "must be a mapping of keys (version, assets, stages, ...)",
                )
            ]
        )
    data, expansions, problems = interpolate_document(document, env, file, ignore_missing=ignore_missing_env)
    _register_secrets(expansions, secrets)
    assert isinstance(data, dict)
    _wrap_config_values(data, document, expansions)
    problems.extend(check_references(data, document, file))
    problems.extend(check_platform_keys(data, document, file))
    platform = file_platform(data)
    try:
        pipeline = PipelineFile.model_validate(data, context={"platform": platform})
    except ValidationError as exc:
        problems.extend(translate(exc, document, file, platform=platform))
        pipeline = None
    except RecursionError:
        problems.append(Problem(file, 1, 1, "", "the file is nested too deeply"))
        pipeline = None
    if problems or pipeline is None:
        raise PipelineFileError(problems)
    return pipeline
