"""Request and response values handed to route handlers, and the route registry.

Routes are keyed by the spec's own (method, base path, template) as found by
``odc_pipeline.openapi.find_operation``, so the simulator can only serve paths a spec
describes, with exactly the spec's parameter names.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from odc_pipeline.simulator.problems import ApiProblem

if TYPE_CHECKING:
    from odc_pipeline.simulator.server import Context


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    base_path: str
    template: str
    params: dict[str, str]
    client_id: str

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[0] if values else None

    def q_all(self, name: str) -> list[str]:
        """Array query parameters: repeated keys (``?a=1&a=2``), the OAS default."""
        return [v for v in self.query.get(name, []) if v != ""]

    def q_int(
        self, name: str, *, default: int | None = None, minimum: int | None = None, maximum: int | None = None
    ) -> int | None:
        raw = self.q(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ApiProblem(400, f"The value '{raw}' is not valid for {name}.") from None
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise ApiProblem(400, f"{name} must be between {minimum} and {maximum}.")
        return value

    def q_bool(self, name: str) -> bool | None:
        raw = self.q(name)
        if raw is None or raw == "":
            return None
        if raw.lower() not in ("true", "false"):
            raise ApiProblem(400, f"The value '{raw}' is not valid for {name}.")
        return raw.lower() == "true"

    def q_uuid(self, name: str) -> str | None:
        raw = self.q(name)
        if raw is None or raw == "":
            return None
        return check_uuid(raw, name)

    def p_int(self, name: str) -> int:
        raw = self.params[name]
        try:
            return int(raw)
        except ValueError:
            raise ApiProblem(400, f"The value '{raw}' is not valid for {name}.") from None

    def p_uuid(self, name: str) -> str:
        return check_uuid(self.params[name], name)


def check_uuid(raw: str, name: str) -> str:
    try:
        uuid.UUID(raw)
    except ValueError:
        raise ApiProblem(400, f"The value '{raw}' is not valid for {name}.") from None
    return raw


@dataclass
class Response:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["Context", Request], Response]
ROUTES: dict[tuple[str, str, str], Handler] = {}


def route(method: str, base_path: str, template: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        ROUTES[(method, base_path, template)] = handler
        return handler

    return register


def page_with_totals(
    items: list[Any], offset: int, limit: int, total: int, *, nullable_offset: bool = False
) -> dict[str, Any]:
    """``PageInfoWithTotals``: nextPageOffset is null when there is no next page."""
    next_offset = offset + limit if offset + limit < total else None
    return {
        "count": len(items),
        "limit": limit,
        "offset": offset,
        "nextPageOffset": next_offset,
        "totalResults": total,
        "totalPages": (total + limit - 1) // limit if limit else 0,
    }
