"""Turn pydantic's validation errors into positioned problems a person can act on.

Pydantic says ``Input should be less than or equal to 20``; a pipeline author needs
``odc-pipeline.yml:12:7: stages.deploy.max-parallel: must be between 1 and 20``, and for a typo
``unknown key 'max-paralel'; did you mean 'max-parallel'?``. The models stay the single source
of truth: allowed keys, bounds and enum values are read from them, not repeated here.
"""

from __future__ import annotations

import difflib
import types
from collections.abc import Iterator
from enum import Enum
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from odc_pipeline.pipeline_file.models import PipelineFile
from odc_pipeline.pipeline_file.problems import Problem
from odc_pipeline.pipeline_file.yamlpos import Document, Path, format_path

CREDENTIAL_KEYS = frozenset(
    {
        "client-id",
        "client-secret",
        "clientid",
        "clientsecret",
        "secret",
        "password",
        "token",
        "lifetime-token",
        "service-account",
        "access-token",
        "api-key",
        "apikey",
        "credentials",
        "username",
        "user",
    }
)

_CREDENTIALS_MESSAGE = (
    "credentials never live in the pipeline file; set ODC_CLIENT_ID and ODC_CLIENT_SECRET in the "
    "environment (CI secrets or the step's inputs) instead"
)

_LIFETIME_CREDENTIALS_MESSAGE = (
    "credentials never live in the pipeline file; set LIFETIME_TOKEN (a LifeTime service account's "
    "token) and LIFETIME_URL in the environment (CI secrets or variables) instead"
)

_PATTERN_MESSAGES = {
    "path": "must start with /",
    "key": "must be a key (a UUID)",
    "portal": "must be the Portal host, e.g. acme.outsystems.app, or its https:// URL",
    "version": "must be a version tag Major.Minor.Patch, e.g. 1.4.0 (what ODC accepts as a tag)",
}


def _unwrap(annotation: Any) -> tuple[Any, list[Any]]:
    """Strip ``Annotated`` and ``| None``; return the bare type and the metadata met on the way."""
    metadata: list[Any] = []
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation, *extra = get_args(annotation)
            metadata.extend(extra)
        elif origin in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation, metadata
            annotation = options[0]
        else:
            return annotation, metadata


def _field_by_alias(model: type[BaseModel], alias: object) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if (info.alias or name) == alias:
            return info
    return None


def resolve(loc: Path) -> tuple[Any, list[Any]]:
    """The type expected at ``loc`` in a :class:`PipelineFile`, and its constraint metadata."""
    annotation: Any = PipelineFile
    metadata: list[Any] = []
    for part in loc:
        bare, _ = _unwrap(annotation)
        if isinstance(bare, type) and issubclass(bare, BaseModel):
            info = _field_by_alias(bare, part)
            if info is None:
                return None, []
            annotation, metadata = info.annotation, list(info.metadata)
        elif get_origin(bare) is dict:
            annotation, metadata = get_args(bare)[1], []
        elif get_origin(bare) is list:
            annotation, metadata = get_args(bare)[0], []
        else:
            return None, []
    bare, more = _unwrap(annotation)
    return bare, metadata + more


def _constraints(metadata: list[Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}

    def scan(items: list[Any]) -> None:
        for item in items:
            for name in ("ge", "le", "gt", "lt"):
                value = getattr(item, name, None)
                if value is not None and not isinstance(item, FieldInfo):
                    found[name] = value
            if isinstance(item, FieldInfo):
                scan(list(item.metadata))

    scan(metadata)
    return found


def allowed_keys(loc: Path) -> list[str]:
    """The keys the model at ``loc`` accepts (empty when ``loc`` is not a model)."""
    bare, _ = resolve(loc)
    if isinstance(bare, type) and issubclass(bare, BaseModel):
        return [info.alias or name for name, info in bare.model_fields.items()]
    return []


def suggest(word: str, options: list[str]) -> str | None:
    """The closest option to a misspelt ``word`` (also ``max_parallel`` → ``max-parallel``)."""
    normalised = word.replace("_", "-").lower()
    for option in options:
        if option.lower() == normalised:
            return option
    matches = difflib.get_close_matches(normalised, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def unknown_key_message(key: str, options: list[str], *, platform: str = "odc") -> str:
    if key.replace("_", "-").lower() in CREDENTIAL_KEYS:
        return _LIFETIME_CREDENTIALS_MESSAGE if platform == "lifetime" else _CREDENTIALS_MESSAGE
    suggestion = suggest(key, options)
    if suggestion is not None:
        return f"unknown key {key!r}; did you mean {suggestion!r}?"
    if options:
        return f"unknown key {key!r}; expected one of: {', '.join(options)}"
    return f"unknown key {key!r}"


def _range_message(metadata: list[Any], fallback: str) -> str:
    bounds = _constraints(metadata)
    low = bounds.get("ge", bounds.get("gt"))
    high = bounds.get("le", bounds.get("lt"))
    if "ge" in bounds and "le" in bounds:
        return f"must be between {low} and {high}"
    if "ge" in bounds:
        return f"must be at least {low}"
    if "le" in bounds:
        return f"must be at most {high}"
    return fallback


def _enum_message(bare: Any, value: object) -> str:
    options = [member.value for member in bare] if isinstance(bare, type) and issubclass(bare, Enum) else []
    if not options:
        return "has an unexpected value"
    message = "must be one of: " + ", ".join(options)
    if isinstance(value, str):
        suggestion = suggest(value, options)
        if suggestion is not None and suggestion != value:
            message = f"unknown value {value!r}; did you mean {suggestion!r}? ({message})"
    return message


def _message(error: Any, loc: Path) -> str:
    kind = error["type"]
    if kind == "missing":
        if loc == ("version",):
            return "required; a pipeline file starts with version: 1"
        return "required"
    if kind in ("value_error", "assertion_error"):
        message = str(error["msg"])
        for prefix in ("Value error, ", "Assertion failed, "):
            message = message.removeprefix(prefix)
        return message
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _range_message(resolve(loc)[1], str(error["msg"]).lower())
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "must be a whole number"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "must be a number"
    if kind in ("bool_parsing", "bool_type"):
        return "must be true or false"
    if kind in ("string_type",):
        return "must be text"
    if kind == "string_pattern_mismatch" and loc == ("stages", "build", "version"):
        return "must be a LifeTime version: one to four numbers, e.g. 1.4.0 or 2.1"
    if kind == "string_pattern_mismatch":
        return _PATTERN_MESSAGES.get(str(loc[-1]) if loc else "", "has an unexpected format")
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if len(loc) == 2 and loc[0] == "assets":
            return "must be an asset name or a mapping with name or key"
        return "must be a mapping (key: value)"
    if kind == "list_type":
        return "must be a list"
    if kind == "too_short":
        return "must not be empty"
    if kind in ("enum", "literal_error"):
        return _enum_message(resolve(loc)[0], error.get("input"))
    return str(error["msg"])


def _errors(exc: ValidationError) -> Iterator[tuple[Path, bool, Any]]:
    for error in exc.errors(include_url=False):
        loc: list[str | int] = []
        is_key = False
        for part in error["loc"]:
            if part == "[key]":
                is_key = True
            else:
                loc.append(part)
        yield tuple(loc), is_key, error


def translate(exc: ValidationError, document: Document, file: str, *, platform: str = "odc") -> list[Problem]:
    """One :class:`Problem` per pydantic error, positioned with ``document``'s marks."""
    problems = []
    for loc, is_key, error in _errors(exc):
        if error["type"] == "extra_forbidden":
            key = str(loc[-1]) if loc else ""
            mark = document.key_mark(loc)
            message = unknown_key_message(key, allowed_keys(loc[:-1]), platform=platform)
        elif error["type"] == "missing":
            mark = document.value_mark(loc[:-1])
            message = _message(error, loc)
        else:
            mark = document.key_mark(loc) if is_key else document.value_mark(loc)
            message = _message(error, loc)
            if is_key:
                message = f"key {message}"
        problems.append(Problem(file, mark.line, mark.column, format_path(loc), message))
    return problems
