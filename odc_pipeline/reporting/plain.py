"""Plain text for terminals and unknown CIs: progress lines with elapsed times.

Colour only on a TTY (and never with ``NO_COLOR``), so log files stay readable.
"""

from __future__ import annotations

from .core import StreamReporter


class PlainReporter(StreamReporter):
    ci_name = "plain"
