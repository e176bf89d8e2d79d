"""Every request the simulator answered, so tests can prove order and content (deploy order,
"the PATCH came right before the Deploy", "no second build was started")."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # without the query string
    query: str
    status: int  # 0 when the connection was dropped
    body: Any  # parsed JSON, form fields (secret masked), or None
    time: float  # simulator clock (monotonic)
    at: datetime  # simulator clock (wall)
    client_id: str | None
    template: str | None  # spec template, e.g. "/api/builds/v1/build-operations/{operationKey}"

    @property
    def endpoint(self) -> str:
        return f"{self.method} {self.template or self.path}"


class RequestLog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: list[LoggedRequest] = []

    def append(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._entries.append(entry)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.entries())

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __getitem__(self, index: int) -> LoggedRequest:
        with self._lock:
            return self._entries[index]

    def entries(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._entries)

    def find(
        self, method: str | None = None, path_contains: str = "", status: int | None = None
    ) -> list[LoggedRequest]:
        return [
            e
            for e in self.entries()
            if (method is None or e.method == method)
            and path_contains in e.path
            and (status is None or e.status == status)
        ]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
