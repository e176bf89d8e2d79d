"""The ODC REST client: ``OdcClient(settings)`` with one attribute per API domain."""

from odc_pipeline.api.client import OdcClient
from odc_pipeline.api.errors import (
    ApiConnectionError,
    ApiError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    ProblemDetails,
    RateLimitedError,
    ServerError,
)
from odc_pipeline.api.http import FindAgain, HttpClient
from odc_pipeline.api.ratelimit import RateLimiter

__all__ = [
    "ApiConnectionError",
    "ApiError",
    "AuthenticationError",
    "BadRequestError",
    "ConflictError",
    "FindAgain",
    "HttpClient",
    "NotFoundError",
    "OdcClient",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "ProblemDetails",
    "RateLimitedError",
    "RateLimiter",
    "ServerError",
]
