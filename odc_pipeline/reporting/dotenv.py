"""GitLab ``artifacts:reports:dotenv``: the step outputs for later jobs.

GitLab rejects the whole file on upload when a line is malformed, a value spans lines, or the
file reaches 5 KB, and later jobs then see no variables at all. So this writer validates every
rule up front and drops the bulky JSON values (keeping a marker) rather than lose everything.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .outputs import Outputs

DOTENV_LIMIT_BYTES = 5 * 1024
_KEY = re.compile(r"^[A-Za-z0-9_]+$")
_DROPPABLE = ("deployments", "build-keys", "library-keys", "tags", "summary")
PREFIX = "ODC_"


def dotenv_key(name: str) -> str:
    """``build-keys`` -> ``ODC_BUILD_KEYS``."""
    return PREFIX + name.upper().replace("-", "_")


def _line(key: str, value: str) -> str:
    if not _KEY.match(key):
        raise ValueError(f"invalid dotenv key {key!r}")
    value = value.replace("\r", " ").replace("\n", " ").strip()
    return f"{key}={value}\n"


def render_dotenv(outputs: Outputs, *, limit_bytes: int = DOTENV_LIMIT_BYTES) -> str:
    """``ODC_STATUS=succeeded`` lines; always under ``limit_bytes`` (strictly)."""
    pairs = dict(outputs.items())
    dropped: list[str] = []

    def render(names: Sequence[str]) -> str:
        text = "".join(_line(dotenv_key(n), v) for n, v in pairs.items() if n not in names)
        if names:
            text += _line(PREFIX + "TRUNCATED", ",".join(names))
        return text

    text = render(dropped)
    for name in _DROPPABLE:
        if len(text.encode()) < limit_bytes:
            break
        dropped.append(name)
        text = render(dropped)
    if len(text.encode()) >= limit_bytes:
        raise ValueError("dotenv outputs do not fit in GitLab's size limit")
    return text
