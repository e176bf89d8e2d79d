"""One registry of secret values, applied to every text the product writes.

Secrets enter the process from several places (client secret, access tokens, configuration
values that came from the environment or are marked secret in ODC). Each is registered here the
moment it is known; every log record, report field, CI output and error message passes through
:func:`redact` before it leaves the process. CI reporters subscribe so that, for example,
GitHub's ``::add-mask::`` is printed before the secret could appear in any line.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from typing import Any

MASK = "***"
_MIN_SECRET_LENGTH = 4  # shorter values would mask innocent text everywhere


class SecretRegistry:
    """Thread-safe set of secret strings with change listeners."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._secrets: set[str] = set()
        self._listeners: list[Callable[[str], None]] = []

    def register(self, value: str | None) -> None:
        """Remember ``value`` (and its multi-line parts) as secret; notify listeners once.

        The escaped spellings a writer may produce (JSON strings, Python ``repr`` in error
        messages) are registered too: a secret with a quote, backslash or tab would otherwise
        no longer match once it is inside ``"..."`` or ``'...'`` and pass redaction unmasked.
        """
        if not value:
            return
        lines = [value, *(line for line in value.splitlines() if line.strip())]
        parts = {variant for line in lines for variant in _spellings(line)}
        new = []
        with self._lock:
            for part in parts:
                if len(part) >= _MIN_SECRET_LENGTH and part not in self._secrets:
                    self._secrets.add(part)
                    new.append(part)
            listeners = list(self._listeners)
        for part in new:
            for listener in listeners:
                listener(part)

    def subscribe(self, listener: Callable[[str], None], *, replay: bool = True) -> None:
        """Call ``listener`` for every secret registered from now on (and, with replay, before)."""
        with self._lock:
            self._listeners.append(listener)
            known = sorted(self._secrets) if replay else []
        for secret in known:
            listener(secret)

    def unsubscribe(self, listener: Callable[[str], None]) -> None:
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def redact(self, text: str) -> str:
        """Replace every registered secret in ``text`` by ``***``, longest first."""
        if not text:
            return text
        with self._lock:
            secrets = sorted(self._secrets, key=len, reverse=True)
        for secret in secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def clear(self) -> None:
        """Forget every secret (tests and the start of a new run in-process)."""
        with self._lock:
            self._secrets.clear()

    def __contains__(self, value: object) -> bool:
        with self._lock:
            return value in self._secrets


def _spellings(text: str) -> set[str]:
    return {text, json.dumps(text)[1:-1], json.dumps(text, ensure_ascii=False)[1:-1], repr(text)[1:-1]}


SECRETS = SecretRegistry()
"""The process-wide registry. Components take a registry argument defaulting to this one."""


def redact(text: str) -> str:
    return SECRETS.redact(text)


def redact_tree(value: Any, registry: SecretRegistry = SECRETS) -> Any:
    """``value`` (JSON-like data) with every string redacted, mapping keys included.

    Redact the data, not its JSON text: encoding escapes ``"``, ``\\`` and control characters,
    so a secret containing one no longer matches once it is encoded.
    """
    if isinstance(value, str):
        return registry.redact(value)
    if isinstance(value, dict):
        return {redact_tree(k, registry): redact_tree(v, registry) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_tree(v, registry) for v in value]
    return value


class RedactingFilter(logging.Filter):
    """Logging filter that renders the record and masks secrets in the final text.

    Attached to handlers (not loggers) so records from any library are covered.
    """

    def __init__(self, registry: SecretRegistry = SECRETS) -> None:
        super().__init__()
        self._registry = registry

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = self._registry.redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self._registry.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True
