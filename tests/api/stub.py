"""A tiny in-process ODC stand-in: a ``requests`` transport adapter with scripted answers.

Tests mount it on the client's session, so every byte goes through the real ``requests``
machinery (query encoding, JSON bodies, headers, Response objects) without a socket, and
failures that are hard to provoke on a real network (a connection dropped after the request
was sent) are scripted as the exceptions urllib3 would raise.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from dataclasses import dataclass, field
from http.client import RemoteDisconnected
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import requests
from requests.adapters import BaseAdapter
from urllib3.exceptions import NewConnectionError, ProtocolError

PORTAL = "https://acme.example.com"
TOKEN_URL = f"{PORTAL}/auth/realms/r1/protocol/openid-connect/token"


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


def dropped() -> Exception:
    """The request went out, then the server closed the connection (outcome unknown)."""
    return requests.ConnectionError(
        ProtocolError("Connection aborted.", RemoteDisconnected("Remote end closed connection"))
    )


def timed_out() -> Exception:
    """The request went out and no answer came within the read timeout (outcome unknown)."""
    return requests.exceptions.ReadTimeout("Read timed out. (read timeout=60)")


def refused() -> Exception:
    """The connection was never established (the request certainly did not arrive)."""
    return requests.ConnectionError(NewConnectionError(None, "Failed to establish a new connection: refused"))  # type: ignore[arg-type]


@dataclass
class Seen:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes | None
    options: dict[str, Any] = field(default_factory=dict)  # what requests gave the transport

    @property
    def json(self) -> Any:
        return jsonlib.loads(self.body) if self.body else None

    @property
    def form(self) -> dict[str, str]:
        return dict(parse_qsl(self.body.decode())) if self.body else {}


Handler = Reply | Exception | Callable[[Seen], "Reply | Exception"]


class StubOdc(BaseAdapter):
    """Routes ``METHOD path`` to queued answers; the last answer of a queue repeats."""

    def __init__(self, *, expires_in: int = 43200) -> None:
        super().__init__()
        self.seen: list[Seen] = []
        self._routes: dict[tuple[str, str], list[Handler]] = {}
        self.tokens_issued: list[str] = []
        self.expires_in = expires_in
        self.fallback: Handler | None = None  # answer for routes without a queue (default 404)
        self.on(
            "GET",
            "/identity/.well-known/openid-configuration",
            Reply(200, {"issuer": PORTAL, "token_endpoint": TOKEN_URL}),
        )
        self.on("POST", urlsplit(TOKEN_URL).path, self._issue_token)

    def _issue_token(self, seen: Seen) -> Reply:
        token = f"access-token-{len(self.tokens_issued) + 1}-ZZ9plural"
        self.tokens_issued.append(token)
        return Reply(200, {"access_token": token, "expires_in": self.expires_in, "token_type": "Bearer"})

    def on(self, method: str, path: str, *answers: Handler) -> None:
        self._routes[(method, path)] = list(answers)

    def calls(self, method: str, path: str) -> list[Seen]:
        return [s for s in self.seen if s.method == method and s.path == path]

    def api_calls(self) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith("/api/")]

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        body = request.body.encode() if isinstance(request.body, str) else request.body
        if hasattr(body, "read"):  # a streamed file body: read it as the wire would carry it
            body = body.read()  # type: ignore[union-attr]
        seen = Seen(
            request.method or "",
            parts.path,
            parse_qsl(parts.query, keep_blank_values=True),
            dict(request.headers),
            body,
            {k: kwargs.get(k) for k in ("verify", "timeout", "proxies", "cert")},
        )
        self.seen.append(seen)
        queue = self._routes.get((seen.method, seen.path))
        if not queue:
            answer: Handler = self.fallback or Reply(404, {"title": "Not Found", "status": 404})
        else:
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if callable(answer) and not isinstance(answer, Exception):
            answer = answer(seen)
        if isinstance(answer, Exception):
            raise answer
        return self._response(request, answer)

    @staticmethod
    def _response(request: requests.PreparedRequest, reply: Reply) -> requests.Response:
        response = requests.Response()
        response.status_code = reply.status
        response.request = request
        response.url = request.url or ""
        response.headers.update(reply.headers)
        if reply.body is not None:
            response._content = jsonlib.dumps(reply.body).encode()
            response.headers.setdefault("Content-Type", "application/json")
        else:
            response._content = b""
        return response

    def close(self) -> None:
        """Nothing to release: the stub holds no connections."""
