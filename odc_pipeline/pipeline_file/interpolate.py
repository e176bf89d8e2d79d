"""``${VAR}`` in pipeline file values: environment variables, never credentials in the file.

Syntax (a deliberate subset of the shell's, so nothing surprises):

* ``${NAME}``: the variable's value; unset **or empty** is an error (CI systems pass a secret
  that is not available, e.g. to a fork's pull request, as an empty string, and deploying an
  empty API token is worse than stopping);
* ``${NAME:-default}``: the default when the variable is unset or empty (``${NAME:-}`` allows
  empty);
* ``$$``: a literal ``$``; a ``$`` not followed by ``{`` or ``$`` is kept as is.

Keys are never interpolated. Which interpolated values are secret is the loader's decision.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from odc_pipeline.pipeline_file.problems import Problem
from odc_pipeline.pipeline_file.yamlpos import Document, Path, format_path

_REFERENCE_RE = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::-(?P<default>[^}]*))?\}")


class InterpolationError(ValueError):
    """A ``${...}`` that cannot be expanded; the message is for the user."""


@dataclass(frozen=True)
class Interpolated:
    """The result of expanding one string.

    ``from_env`` is true when the text contained at least one ``${...}`` (whether the
    variable or the default supplied the value); ``env_values`` are the non-empty values that
    came from the environment, which the loader registers as secrets.
    """

    text: str
    from_env: bool
    env_values: tuple[str, ...] = ()


def interpolate(text: str, env: Mapping[str, str], *, ignore_missing: bool = False) -> Interpolated:
    """Expand ``text``; raise :class:`InterpolationError` for bad syntax or a missing variable.

    With ``ignore_missing`` a missing variable expands to an empty string (``validate
    --ignore-missing-env`` in pull requests where CI secrets are not available).
    """
    if "$" not in text:
        return Interpolated(text, from_env=False)
    out: list[str] = []
    env_values: list[str] = []
    used = False
    index = 0
    while index < len(text):
        char = text[index]
        if char != "$":
            out.append(char)
            index += 1
            continue
        if text.startswith("$$", index):
            out.append("$")
            index += 2
            continue
        if not text.startswith("${", index):
            out.append("$")
            index += 1
            continue
        match = _REFERENCE_RE.match(text, index)
        if match is None:
            raise InterpolationError(
                "invalid ${...} reference; write ${NAME} or ${NAME:-default} (and $$ for a literal $)"
            )
        used = True
        name, default = match.group("name"), match.group("default")
        value = env.get(name)
        if value:
            out.append(value)
            env_values.append(value)
        elif default is not None:
            out.append(default)
        elif not ignore_missing:
            state = "is empty" if value == "" else "is not set"
            raise InterpolationError(
                f"environment variable {name} {state} (write ${{{name}:-default}} to give a default)"
            )
        index = match.end()
    return Interpolated("".join(out), from_env=used, env_values=tuple(env_values))


def interpolate_document(
    document: Document, env: Mapping[str, str], file: str, *, ignore_missing: bool = False
) -> tuple[object, dict[Path, Interpolated], list[Problem]]:
    """Expand every string value in ``document``.

    Returns the new data, the expansions that used ``${...}`` keyed by path, and a problem for
    every reference that could not be expanded (positioned at its scalar).
    """
    expansions: dict[Path, Interpolated] = {}
    problems: list[Problem] = []

    def walk(value: object, path: Path) -> object:
        if isinstance(value, dict):
            return {key: walk(child, (*path, key)) for key, child in value.items()}
        if isinstance(value, list):
            return [walk(child, (*path, index)) for index, child in enumerate(value)]
        if isinstance(value, str) and "$" in value:
            try:
                result = interpolate(value, env, ignore_missing=ignore_missing)
            except InterpolationError as exc:
                mark = document.value_mark(path)
                problems.append(Problem(file, mark.line, mark.column, format_path(path), str(exc)))
                return value
            if result.from_env:
                expansions[path] = result
            return result.text
        return value

    return walk(document.data, ()), expansions, problems
