"""The HTTP layer against a real socket on 127.0.0.1: keep-alive, loopback http, dropped connections."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from odc_pipeline.api import ApiError, OdcClient, OutcomeUnknownError
from odc_pipeline.clock import ManualClock
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.settings import Settings


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    drops: dict[str, int]  # path -> how many more requests to drop (set on the server)

    def log_message(self, *args: object) -> None:
        """Silenced: the server's access log would only clutter test output."""

    def _answer(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _handle(self) -> None:
        server = self.server
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        server.connections.add(self.client_address)  # type: ignore[attr-defined]
        server.log.append((self.command, self.path))  # type: ignore[attr-defined]
        drops = server.drops  # type: ignore[attr-defined]
        if drops.get(self.path, 0) > 0:
            drops[self.path] -= 1
            self.close_connection = True
            self.connection.close()  # request read, no answer: the outcome is unknown
            return
        base = f"http://127.0.0.1:{server.server_address[1]}"
        if self.path == "/identity/.well-known/openid-configuration":
            self._answer(200, {"token_endpoint": f"{base}/token"})
        elif self.path == "/token":
            self._answer(200, {"access_token": "socket-token-123", "expires_in": 3600})
        elif self.path == "/api/portfolios/v2/environments":
            self._answer(200, {"results": [{"key": "e1", "order": 0}]})
        elif self.path == "/api/builds/v1/build-operations":
            self._answer(201, {"buildKey": "b1", "isSuccessful": True})
        elif self.path == "/api/builds/v1/build-operations/echo":  # a server that echoes credentials
            self._answer(400, {"title": "bad", "detail": self.headers.get("Authorization", "")})
        else:
            self._answer(404, {"title": "Not Found"})

    do_GET = _handle
    do_POST = _handle


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.connections = set()  # type: ignore[attr-defined]
    httpd.log = []  # type: ignore[attr-defined]
    httpd.drops = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def real_client(server: ThreadingHTTPServer) -> Iterator[OdcClient]:
    settings = Settings.from_env(
        {
            "ODC_PORTAL_URL": f"http://127.0.0.1:{server.server_address[1]}",
            "ODC_CLIENT_ID": "sock",
            "ODC_CLIENT_SECRET": "sock-secret",
            "ODC_READ_TIMEOUT": "5",
        }
    )
    with OdcClient(settings, clock=ManualClock(), secrets=SecretRegistry()) as client:
        client.http.session.trust_env = False  # a developer's proxy must not intercept loopback
        yield client


def test_calls_reuse_one_keep_alive_connection(real_client, server):
    for _ in range(5):
        assert [e.key for e in real_client.portfolio.environments()] == ["e1"]
    assert len(server.log) == 7  # discovery + token + 5 calls
    assert len(server.connections) == 1


def test_dropped_get_is_retried_on_a_new_connection(real_client, server):
    server.drops["/api/portfolios/v2/environments"] = 1
    assert real_client.portfolio.environments()[0].key == "e1"
    assert server.log.count(("GET", "/api/portfolios/v2/environments")) == 2


def test_dropped_post_is_not_resent(real_client, server):
    server.drops["/api/builds/v1/build-operations"] = 1
    with pytest.raises(OutcomeUnknownError):
        real_client.builds.start("a1", 1)
    assert server.log.count(("POST", "/api/builds/v1/build-operations")) == 1


def test_debug_logging_of_requests_and_urllib3_never_shows_secret_or_token(
    real_client, server, caplog, capsys
):
    caplog.set_level(logging.DEBUG)  # root: odc_pipeline, requests and urllib3 all at DEBUG
    for name in ("urllib3", "requests", "odc_pipeline"):
        caplog.set_level(logging.DEBUG, logger=name)
    real_client.portfolio.environments()
    with pytest.raises(ApiError) as caught:
        real_client.builds.get("echo")
    assert any(r.name.startswith("urllib3") for r in caplog.records)  # DEBUG really was on
    texts = [r.getMessage() for r in caplog.records] + [caplog.text, str(caught.value), repr(caught.value)]
    texts += [caught.value.problem.model_dump_json(), repr(real_client.settings), repr(real_client.http.auth)]
    texts += list(capsys.readouterr())
    for text in texts:
        assert "sock-secret" not in text
        assert "socket-token-123" not in text
    assert "Bearer ***" in str(caught.value)  # the echo was there, and was redacted
