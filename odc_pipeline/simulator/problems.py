"""ProblemDetails answers, shaped per domain as each spec declares them.

Every spec's ``ProblemDetails`` carries ``traceId`` and ``errorCode`` except
dependency-management's, whose schema has neither; the simulator must not send fields a spec
does not describe, so the shape depends on the domain that answers.
"""

from __future__ import annotations

import secrets
from http import HTTPStatus
from typing import Any

DOMAINS_WITHOUT_CODES = frozenset({"/api/dependency-management/v1"})


class ApiProblem(Exception):
    """Raised by handlers to answer with a ProblemDetails body."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        error_code: str | None = None,
        title: str | None = None,
        no_body: bool = False,
    ) -> None:
        super().__init__(detail)
        self.no_body = no_body  # for the few answers a spec declares without content
        self.status = status
        self.detail = detail
        self.error_code = error_code
        self.title = title


def trace_id() -> str:
    """A W3C traceparent-style id, as ASP.NET puts in ``traceId``."""
    return f"00-{secrets.token_hex(16)}-{secrets.token_hex(8)}-00"


def default_error_code(status: int) -> str:
    """Simulator-made codes are prefixed ``OS-SIM`` so nobody mistakes them for documented ones."""
    return f"OS-SIM-{status}00"


def problem_body(
    status: int,
    detail: str,
    *,
    base_path: str | None,
    instance: str,
    error_code: str | None = None,
    title: str | None = None,
) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body: dict[str, Any] = {
        "type": f"https://httpstatuses.io/{status}",
        "title": title or phrase,
        "status": status,
        "detail": detail,
        "instance": instance,
    }
    if base_path not in DOMAINS_WITHOUT_CODES:
        body["traceId"] = trace_id()
        body["errorCode"] = error_code or default_error_code(status)
    return body
