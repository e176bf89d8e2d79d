"""The documented per-organization rate limits (odc-api-notes §5.1), on the simulator's clock.

100 requests per minute per API domain; 10 per minute per POST endpoint on builds, deployments
and external libraries, and on ``POST /code-analyses``. Endpoint-specific requests also count
toward the domain pool. Windows slide over the last 60 clock seconds; refused requests do not
count. No ``Retry-After`` header is sent, because none is documented.
"""

from __future__ import annotations

import threading
from collections import deque

from odc_pipeline.clock import Clock

WINDOW_SECONDS = 60.0
POST_LIMITED: dict[str, frozenset[str]] = {
    "/api/builds/v1": frozenset({"*"}),
    "/api/deployments/v1": frozenset({"*"}),
    "/api/external-libraries/v1": frozenset({"*"}),
    "/api/code-quality/v1": frozenset({"/code-analyses"}),
    "/api/asset-repository/v1": frozenset({"/assets"}),
}


class RateLimiter:
    def __init__(
        self, clock: Clock, *, domain_per_minute: int = 100, post_per_minute: int = 10, enabled: bool = True
    ):
        self._clock = clock
        self.domain_per_minute = domain_per_minute
        self.post_per_minute = post_per_minute
        self.enabled = enabled
        self._hits: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _window(self, name: str, now: float) -> deque[float]:
        hits = self._hits.setdefault(name, deque())
        while hits and hits[0] <= now - WINDOW_SECONDS:
            hits.popleft()
        return hits

    def admit(self, method: str, base_path: str, template: str) -> str | None:
        """Count the request, or return why it is refused (then it is not counted)."""
        if not self.enabled:
            return None
        with self._lock:
            now = self._clock.monotonic()
            domain = self._window(base_path, now)
            endpoint = None
            limited = POST_LIMITED.get(base_path, frozenset())
            if method == "POST" and ("*" in limited or template in limited):
                endpoint = self._window(f"POST {base_path}{template}", now)
                if len(endpoint) >= self.post_per_minute:
                    limit = self.post_per_minute
                    return f"POST {base_path}{template} is limited to {limit} requests per minute."
            if len(domain) >= self.domain_per_minute:
                return f"{base_path} is limited to {self.domain_per_minute} requests per minute."
            domain.append(now)
            if endpoint is not None:
                endpoint.append(now)
            return None
