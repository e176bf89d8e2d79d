"""Request and response values for route handlers, the route registry and the error a handler raises.

Routes are keyed by the document's own (method, base path, template) as found by
:func:`odc_pipeline.swagger.find_operation`, so the simulator can only serve operations the
swagger (or the Properties API reconstruction) describes, with exactly their parameter names.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from odc_pipeline.lifetime_simulator.server import Context
    from odc_pipeline.lifetime_simulator.tenant import ServiceAccount


class LifeTimeError(Exception):
    """Answer ``status`` with the swagger's ``Exception`` body ``{Errors: [message], StatusCode}``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Request:
    method: str
    path: str
    base_path: str
    template: str
    params: dict[str, Any]  # path parameters, converted by declared type
    query: dict[str, Any]  # declared query parameters, converted by declared type
    body: Any  # parsed JSON, or the raw text for raw-text operations
    account: ServiceAccount


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able, or str for text/plain
    headers: dict[str, str] = field(default_factory=dict)
    text: bool = False  # send ``body`` as text/plain


Handler = Callable[["Context", Request], Response]
ROUTES: dict[tuple[str, str, str], Handler] = {}


def route(method: str, base_path: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[(method, base_path, template)] = handler
        return handler

    return register
