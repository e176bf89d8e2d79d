"""Which revision of an asset a pipeline deploys: the ``revision:`` selector.

A selector is text in the file and a small typed value for the engine, which resolves it
against ODC (``latest`` → ``assets.latest_revision``, ``highest-tag`` →
``assets.highest_tag_revision``, ``from:QA`` → what runs in QA, including its build).
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class RevisionKind(StrEnum):
    """The five ways to name a revision."""

    LATEST = "latest"
    """The newest revision of the asset."""
    NUMBER = "number"
    """An exact revision number (``value`` is an ``int``)."""
    TAG = "tag"
    """The revision carrying this version tag (``value`` is the tag, e.g. ``"1.4.0"``)."""
    HIGHEST_TAG = "highest-tag"
    """The tagged revision with the highest version."""
    FROM_STAGE = "from"
    """Exactly the revision (and build) running in another stage (``value`` is the stage)."""


REVISION_PATTERN = r"^(latest|highest-tag|[1-9][0-9]*|tag:\s*[0-9]+\.[0-9]+\.[0-9]+|from:\s*\S.*)$"
"""Accepted selector texts (also used in the JSON Schema)."""

_NUMBER_RE = re.compile(r"^[1-9][0-9]*$")
_TAG_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
"""ODC tags are always ``Major.Minor.Patch`` (Asset Repository API ``tag``), checked offline."""


class RevisionSelector(BaseModel):
    """A parsed ``revision:`` value.

    ``kind`` says how to resolve; ``value`` is ``None`` for ``latest``/``highest-tag``, an
    ``int`` for ``number`` and a ``str`` (tag or stage name) for ``tag``/``from``.
    ``str(selector)`` gives back the canonical text (``tag:1.4.0``, ``from:QA``, ``7``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RevisionKind
    value: int | str | None = None

    def __str__(self) -> str:
        if self.kind is RevisionKind.NUMBER:
            return str(self.value)
        if self.value is None:
            return self.kind.value
        return f"{self.kind.value}:{self.value}"

    @classmethod
    def latest(cls) -> RevisionSelector:
        return cls(kind=RevisionKind.LATEST)


_HINT = "must be latest, highest-tag, a revision number, tag:<version> or from:<stage>"


def parse_revision(value: object) -> RevisionSelector:
    """Parse a selector from the file; raise ``ValueError`` with a user-facing message.

    Accepts ``latest``, ``highest-tag``, a positive integer (``7`` or ``"7"``),
    ``tag:1.4.0`` and ``from:QA``, and the mapping forms ``{tag: 1.4.0}`` and ``{from: QA}``
    (what ``revision: {from: QA}`` reads as, for those who prefer it).
    """
    if isinstance(value, RevisionSelector):
        return value
    if isinstance(value, bool):
        raise ValueError(_HINT)
    if isinstance(value, int):
        if value < 1:
            raise ValueError("a revision number must be 1 or more")
        return RevisionSelector(kind=RevisionKind.NUMBER, value=value)
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key in ("tag", "from") and isinstance(inner, str | int | float) and not isinstance(inner, bool):
            return parse_revision(f"{key}:{inner}")
        raise ValueError(_HINT)
    if not isinstance(value, str):
        raise ValueError(_HINT)
    text = value.strip()
    if text in ("latest", "highest-tag"):
        return RevisionSelector(kind=RevisionKind(text))
    if _NUMBER_RE.match(text):
        return RevisionSelector(kind=RevisionKind.NUMBER, value=int(text))
    prefix, sep, rest = text.partition(":")
    rest = rest.strip()
    if sep and prefix in ("tag", "from"):
        if not rest:
            raise ValueError(
                f"{prefix}: needs a value, e.g. " + ("tag:1.4.0" if prefix == "tag" else "from:QA")
            )
        if prefix == "tag" and not _TAG_RE.match(rest):
            raise ValueError(
                f"tag:{rest} is not an ODC version tag; tags are Major.Minor.Patch, e.g. tag:1.4.0"
            )
        kind = RevisionKind.TAG if prefix == "tag" else RevisionKind.FROM_STAGE
        return RevisionSelector(kind=kind, value=rest)
    if text.lstrip("-").isdigit():
        raise ValueError("a revision number must be 1 or more")
    raise ValueError(_HINT)
