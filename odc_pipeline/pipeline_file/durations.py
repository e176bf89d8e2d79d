"""Durations as people write them in CI files: ``20m``, ``90s``, ``1h30m``, or plain seconds.

The engine wants seconds (a float it can hand to a :class:`~odc_pipeline.clock.Clock`); the
file wants something a reader understands at a glance. This module is the only translation.
"""

from __future__ import annotations

import re

DURATION_PATTERN = r"^\s*(?:(\d+(?:\.\d+)?)h)?\s*(?:(\d+(?:\.\d+)?)m)?\s*(?:(\d+(?:\.\d+)?)s)?\s*$"
"""Hours, minutes, seconds in that order, each optional (also used in the JSON Schema)."""

MAX_DURATION_SECONDS = 24 * 3600.0
"""A wait longer than a day is a typo (``300h`` for ``300s``), not a plan."""

_DURATION_RE = re.compile(DURATION_PATTERN)


def parse_duration(value: object) -> float:
    """Return ``value`` in seconds; raise ``ValueError`` with a user-facing message otherwise.

    Accepts ``"20m"``, ``"90s"``, ``"1h30m"``, ``"1.5h"`` and plain numbers of seconds
    (``90``, ``"90"``). Zero, negative and over-a-day values are refused.
    """
    if isinstance(value, bool):
        raise ValueError(_HINT)
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        try:
            seconds = float(text)
        except ValueError:
            match = _DURATION_RE.match(text)
            if not text or match is None or not any(match.groups()):
                raise ValueError(_HINT) from None
            hours, minutes, secs = (float(group) if group else 0.0 for group in match.groups())
            seconds = hours * 3600 + minutes * 60 + secs
    else:
        raise ValueError(_HINT)
    if not seconds > 0:  # also catches NaN
        raise ValueError("must be longer than zero")
    if seconds > MAX_DURATION_SECONDS:
        raise ValueError("must be at most 24h")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest ``1h30m``-style text for ``seconds`` (for plans, reports and defaults)."""
    whole = int(seconds)
    if whole != seconds:
        return f"{seconds:g}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours}h" if hours else "", f"{minutes}m" if minutes else "", f"{secs}s" if secs else ""]
    return "".join(parts) or "0s"


_HINT = "must be a duration such as 90s, 20m or 1h30m (or a number of seconds)"
