"""The ODC tests' in-process transport (``tests/api/stub.py``), taught LifeTime's plain-text answers.

LifeTime answers a new plan's key as ``text/plain``; :class:`Text` scripts such an answer.
Everything else (queued answers, dropped connections, the record of what was sent) is the ODC
stub's, so both clients are tested through the same transport.
"""

from __future__ import annotations

from dataclasses import dataclass

import requests
from api.stub import Reply, Seen, StubOdc, dropped, refused

LT = "https://lifetime.acme.example"
BASE = "/lifetimeapi/rest/v2"
PROPS = "/PropertiesAPI/rest/v1"

__all__ = ["BASE", "LT", "PROPS", "Reply", "Seen", "StubLifetime", "Text", "dropped", "refused"]


@dataclass
class Text(Reply):
    """An answer whose body is raw text (``text/plain``), not JSON."""


class StubLifetime(StubOdc):
    """Routes ``METHOD path`` to queued answers, as the ODC stub does."""

    def lt_calls(self) -> list[Seen]:
        return [s for s in self.seen if s.path.startswith((BASE, PROPS))]

    @staticmethod
    def _response(request: requests.PreparedRequest, reply: Reply) -> requests.Response:
        if not isinstance(reply, Text):
            return StubOdc._response(request, reply)
        response = requests.Response()
        response.status_code = reply.status
        response.request = request
        response.url = request.url or ""
        response.headers.update(reply.headers)
        response.headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        response._content = str(reply.body).encode()
        return response
