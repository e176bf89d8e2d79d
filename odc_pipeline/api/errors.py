"""Exceptions for ODC API failures, carrying the server's ProblemDetails.

Every non-2xx answer becomes an :class:`ApiError` subclass so that callers branch on the kind
of failure (``except NotFoundError``) instead of on status numbers, and so that the CLI can
print ``title``/``detail``/``errorCode``/``traceId`` — the last one is what OutSystems support
asks for. Authentication and permission failures also subclass the product-wide
``odc_pipeline.errors`` classes so they exit with the AUTH code.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.alias_generators import to_camel

from odc_pipeline import errors as base_errors


class ProblemDetails(BaseModel):
    """RFC 7807 body (+ ODC's ``errorCode``/``traceId``); every field optional, extras kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")

    type: str | None = None
    title: str | None = None
    status: int | None = None
    detail: str | None = None
    instance: str | None = None
    error_code: str | None = None
    trace_id: str | None = None

    @classmethod
    def from_body(cls, body: Any, *, status: int | None = None, text: str = "") -> ProblemDetails:
        """Parse defensively: specs declare ProblemDetails, but proxies answer HTML or nothing."""
        if isinstance(body, dict):
            try:
                problem = cls.model_validate(body)
            except ValidationError:
                problem = cls(detail=str(body)[:500])
        else:
            problem = cls(detail=text.strip()[:500] or None)
        if problem.status is None:
            problem.status = status
        return problem

    def redacted(self, redact: Callable[[str], str]) -> ProblemDetails:
        """A copy with every text field passed through ``redact``: servers echo input back."""
        data = self.model_dump(by_alias=True)
        clean = {k: redact(v) if isinstance(v, str) else v for k, v in data.items()}
        return ProblemDetails.model_validate(clean)

    def summary(self) -> str:
        parts = [p for p in (self.title, self.detail) if p]
        text = ": ".join(parts) if parts else "no details"
        extras = [f"errorCode={self.error_code}", f"traceId={self.trace_id}"]
        extra = ", ".join(e for e, v in zip(extras, (self.error_code, self.trace_id), strict=True) if v)
        return f"{text} ({extra})" if extra else text


class ApiError(base_errors.OdcPipelineError):
    """An ODC API call failed; ``status`` is None when no HTTP answer arrived at all."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        problem: ProblemDetails | None = None,
        method: str = "",
        path: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.problem = problem or ProblemDetails(status=status)
        self.method = method
        self.path = path

    @property
    def error_code(self) -> str | None:
        return self.problem.error_code


class BadRequestError(ApiError):
    """400/422: the server refused the request as invalid (not retried)."""


class NotFoundError(ApiError):
    """404/410: the resource does not exist (or, for some endpoints, not *yet*)."""


class ConflictError(ApiError):
    """409: the request conflicts with the current state."""


class RateLimitedError(ApiError):
    """429 that persisted through every retry."""


class ServerError(ApiError):
    """5xx that was not retried or persisted through every retry."""


class ApiConnectionError(ApiError):
    """No HTTP answer: DNS, refused/reset connection, timeout, TLS verification."""


class OutcomeUnknownError(ApiError):
    """A non-idempotent request may or may not have taken effect and could not be found again.

    Raised instead of re-sending a POST blindly: a second deploy or build is worse than a
    clear stop that tells the operator to look at the Portal.
    """


class AuthenticationError(ApiError, base_errors.AuthenticationError):
    """The credentials were refused, or the token stayed invalid after one re-authentication."""

    exit_code = base_errors.ExitCode.AUTH


class PermissionDeniedError(ApiError, base_errors.PermissionDeniedError):
    """403; ``permissions`` are the spec's ``x-os-permissions`` names for the operation."""

    exit_code = base_errors.ExitCode.AUTH

    def __init__(self, message: str, *, permissions: Sequence[str] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.permissions = tuple(permissions)


_BOLD = re.compile(r"\*\*(.+?)\*\*")


def permission_names(descriptions: Sequence[str]) -> list[str]:
    """``"API Client needs the **Stage > View stage** permission"`` → ``["Stage > View stage"]``.

    The specs write ``x-os-permissions`` as prose with the permission names in bold; when a
    description has no bold part it is kept whole (e.g. "at least one permission").
    """
    names: list[str] = []
    for text in descriptions:
        found = _BOLD.findall(text)
        for name in found or [text.strip()]:
            if name and name not in names:
                names.append(name)
    return names


def error_for_status(status: int) -> type[ApiError]:
    """The ApiError subclass for an HTTP status (401/403 are built by the HTTP layer)."""
    if status in (400, 422):
        return BadRequestError
    if status in (404, 410):
        return NotFoundError
    if status == 409:
        return ConflictError
    if status == 429:
        return RateLimitedError
    if status >= 500:
        return ServerError
    return ApiError


def answer_error(
    status: int,
    *,
    method: str,
    path: str,
    problem: ProblemDetails,
    summary: str,
    redact: Callable[[str], str],
    unauthorized: str,
    forbidden: str,
    permissions: Sequence[str] = (),
) -> ApiError:
    """The ApiError for a non-2xx answer: one mapping for the ODC and LifeTime clients.

    ``unauthorized`` and ``forbidden`` are the platform's explanation of a 401 / 403 (what to
    check or grant); every message is redacted, so an echoed secret never reaches a log.
    """
    where = f"{method} {path}"
    context: dict[str, Any] = {"status": status, "problem": problem, "method": method, "path": path}
    if status == 401:
        return AuthenticationError(redact(f"{where}: {unauthorized}"), **context)
    if status == 403:
        return PermissionDeniedError(redact(f"{where}: {forbidden}"), permissions=permissions, **context)
    return error_for_status(status)(redact(f"{where} failed with HTTP {status}: {summary}"), **context)
