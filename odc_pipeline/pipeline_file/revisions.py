"""Which revision of an asset a pipeline deploys: the ``revision:`` selector.

A selector is text in the file and a small typed value for the engine, which resolves it
against ODC (``latest`` → ``assets.latest_revision``, ``highest-tag`` →
``assets.highest_tag_revision``, ``from:QA`` → what runs in QA, including its build).

On LifeTime (``platform: lifetime``) the deployable unit is an application *version* (a tag),
so the selectors are ``latest-tag`` (the version tagged last), ``tag:1.4`` (LifeTime versions
are one to four dot-separated numbers), ``from:Test`` (the tagged version running there) and
``modified`` (what runs in the source environment, tagged by the build stage when it changed
since its tag). Each platform refuses the other's selectors with a message naming its own.
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict


class RevisionKind(StrEnum):
    """The ways to name a revision (ODC: the first five; LifeTime: tag, from, latest-tag, modified)."""

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
    LATEST_TAG = "latest-tag"
    """LifeTime: the application version tagged last (newest ``CreatedOn``)."""
    MODIFIED = "modified"
    """LifeTime: what runs in the source environment; tagged first if changed since its tag."""


ODC_KINDS = frozenset(
    {
        RevisionKind.LATEST,
        RevisionKind.NUMBER,
        RevisionKind.TAG,
        RevisionKind.HIGHEST_TAG,
        RevisionKind.FROM_STAGE,
    }
)
LIFETIME_KINDS = frozenset(
    {RevisionKind.LATEST_TAG, RevisionKind.TAG, RevisionKind.FROM_STAGE, RevisionKind.MODIFIED}
)


REVISION_PATTERN = (
    r"^(latest|highest-tag|latest-tag|modified|[1-9][0-9]*|tag:\s*[0-9]+(\.[0-9]+){0,3}|from:\s*\S.*)$"
)
"""Accepted selector texts of both platforms (also used in the JSON Schema)."""

_NUMBER_RE = re.compile(r"^[1-9][0-9]*$")
_TAG_RE = re.compile(r"^[0-9]+\.[0-9]+\.[0-9]+$")
"""ODC tags are always ``Major.Minor.Patch`` (Asset Repository API ``tag``), checked offline."""
LIFETIME_VERSION_RE = re.compile(r"^[0-9]+(\.[0-9]+){0,3}$")
"""LifeTime version labels as odc-pipeline accepts them: ``1``, ``1.4``, ``1.4.0``, ``1.4.0.7``.
UNDOC (notes §5.13): LifeTime's own rules are not published; OS11 teams use these forms."""


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
_LIFETIME_HINT = "on LifeTime must be latest-tag, tag:<version>, from:<environment> or modified"


def parse_revision(value: object, *, platform: str = "odc") -> RevisionSelector:
    """Parse a selector from the file; raise ``ValueError`` with a user-facing message.

    Accepts ``latest``, ``highest-tag``, a positive integer (``7`` or ``"7"``),
    ``tag:1.4.0`` and ``from:QA``, and the mapping forms ``{tag: 1.4.0}`` and ``{from: QA}``
    (what ``revision: {from: QA}`` reads as, for those who prefer it). With
    ``platform="lifetime"``: ``latest-tag``, ``modified``, ``tag:<version>`` (one to four
    numbers) and ``from:<environment>``, and ODC's selectors are refused.
    """
    if platform == "lifetime":
        return _parse_lifetime(value)
    if isinstance(value, RevisionSelector):
        if value.kind not in ODC_KINDS:
            raise ValueError(f"{value} is a LifeTime selector; {_HINT} (or set platform: lifetime)")
        return value
    if value in ("latest-tag", "modified"):
        raise ValueError(f"{value} is a LifeTime selector (platform: lifetime); on ODC it {_HINT}")
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
    prefixed = _prefixed(
        text,
        tag_re=_TAG_RE,
        bad_tag="is not an ODC version tag; tags are Major.Minor.Patch, e.g. tag:1.4.0",
        from_example="from:QA",
    )
    if prefixed is not None:
        return prefixed
    if text.lstrip("-").isdigit():
        raise ValueError("a revision number must be 1 or more")
    raise ValueError(_HINT)


def _parse_lifetime(value: object) -> RevisionSelector:
    if isinstance(value, RevisionSelector):
        if value.kind not in LIFETIME_KINDS:
            raise ValueError(f"{value} is an ODC selector; the revision {_LIFETIME_HINT}")
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key in ("tag", "from") and isinstance(inner, str | int | float) and not isinstance(inner, bool):
            return _parse_lifetime(f"{key}:{inner}")
        raise ValueError(f"the revision {_LIFETIME_HINT}")
    if not isinstance(value, str):
        raise ValueError(f"the revision {_LIFETIME_HINT} (LifeTime has no revision numbers)")
    text = value.strip()
    if text in ("latest-tag", "modified"):
        return RevisionSelector(kind=RevisionKind(text))
    if text in ("latest", "highest-tag") or _NUMBER_RE.match(text):
        raise ValueError(f"{text} is an ODC selector; the revision {_LIFETIME_HINT}")
    prefixed = _prefixed(
        text,
        tag_re=LIFETIME_VERSION_RE,
        bad_tag="is not a LifeTime version; write one to four numbers, e.g. tag:1.4 or tag:1.4.0",
        from_example="from:Test",
    )
    if prefixed is not None:
        return prefixed
    raise ValueError(f"the revision {_LIFETIME_HINT}")


def _prefixed(
    text: str, *, tag_re: re.Pattern[str], bad_tag: str, from_example: str
) -> RevisionSelector | None:
    """``tag:<version>`` / ``from:<stage>`` for either platform (only the version rule and the
    words differ); None when ``text`` has neither prefix."""
    prefix, sep, rest = text.partition(":")
    rest = rest.strip()
    if not (sep and prefix in ("tag", "from")):
        return None
    if not rest:
        raise ValueError(
            f"{prefix}: needs a value, e.g. " + ("tag:1.4.0" if prefix == "tag" else from_example)
        )
    if prefix == "tag" and not tag_re.match(rest):
        raise ValueError(f"tag:{rest} {bad_tag}")
    kind = RevisionKind.TAG if prefix == "tag" else RevisionKind.FROM_STAGE
    return RevisionSelector(kind=kind, value=rest)
