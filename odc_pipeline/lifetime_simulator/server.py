"""The HTTP(S) front of the LifeTime simulator and its request pipeline.

Order of checks, as an ASP.NET-hosted LifeTime would apply them: faults (the switchboard outranks
everything), operation lookup in the swagger (404/405 with the ``Exception`` body), Bearer token
(401), path and query binding by declared type (400), body media type, JSON and schema (400),
then the handler under the state lock after :meth:`LifeTimeState.advance`. Every answer goes to
the shared request log with the clock's time.

HTTPS: each accepted socket is wrapped in the handler thread (``do_handshake_on_connect`` on first
read), so one client stuck in a handshake never blocks the accept loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from odc_pipeline import swagger
from odc_pipeline.clock import Clock
from odc_pipeline.lifetime_simulator.faults import DROP_RESPONSE, PERMISSION_DENIED
from odc_pipeline.lifetime_simulator.routing import ROUTES, LifeTimeError, Request, Response
from odc_pipeline.lifetime_simulator.state import LifeTimeState
from odc_pipeline.simulator import faults
from odc_pipeline.simulator.requestlog import LoggedRequest, RequestLog

log = logging.getLogger(__name__)
MAX_BODY = 10 * 1024 * 1024
JSON_TYPES = ("application/json", "text/json")
UNAUTHORIZED_HTML = (
    b"<html><head><title>401 - Unauthorized</title></head><body>401 - Unauthorized</body></html>"
)


class DropConnection(Exception):
    """Close the socket without answering (the drop-connection fault)."""


ResponseHook = Callable[[swagger.Operation, int, str, bytes], None]
"""Called with (operation, status, content type, payload) for every answer to a swagger operation
that no fault forced: the contract tests check each one against the swagger."""


@dataclass
class Context:
    state: LifeTimeState
    faults: faults.Faults
    log: RequestLog
    clock: Clock
    url: str = ""
    on_response: ResponseHook | None = None


def _ensure_routes_loaded() -> None:
    from odc_pipeline.lifetime_simulator import routes  # noqa: F401  (registers every handler)


class LifeTimeServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(
        self, context: Context, port: int = 0, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None
    ) -> None:
        _ensure_routes_loaded()
        self.context = context
        self.tls = tls
        super().__init__((host, port), _Handler)
        scheme = "https" if tls else "http"
        context.url = f"{scheme}://{host}:{self.server_address[1]}"

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, address

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("simulator: connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: LifeTimeServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self) -> None:
        try:
            if isinstance(self.connection, ssl.SSLSocket):
                self.connection.do_handshake()
            super().handle()
        except (ssl.SSLError, ConnectionError, TimeoutError):
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("lifetime simulator: " + format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def _serve(self, method: str) -> None:
        ctx = self.server.context
        split = urlsplit(self.path)
        path, query = split.path, split.query
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_BODY)) if length else b""
        logged: dict[str, Any] = {"body": _loggable(raw), "account": None, "template": None}
        try:
            response = self._api(ctx, method, path, query, raw, logged=logged)
        except DropConnection:
            self._log(ctx, (method, path, query), 0, logged)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._log(ctx, (method, path, query), response.status, logged)
        self._send(response, None if logged.get("forced") else swagger.find_operation(method, path))

    def _api(
        self, ctx: Context, method: str, path: str, query: str, raw: bytes, *, logged: dict[str, Any]
    ) -> Response:
        operation = swagger.find_operation(method, path)
        if operation is not None:
            logged["template"] = f"{operation.base_path}{operation.template}"
        fired = ctx.faults.fire(method, path)
        for fault in fired:
            response = _apply_fault(ctx, fault)
            if response is not None:
                logged["forced"] = True
                return response
        response = self._handle(ctx, operation, (method, path, query), raw, logged)
        if any(f.name == DROP_RESPONSE for f in fired):
            raise DropConnection  # handled, answer lost
        return response

    def _handle(
        self,
        ctx: Context,
        operation: swagger.Operation | None,
        request: tuple[str, str, str],
        raw: bytes,
        logged: dict[str, Any],
    ) -> Response:
        method, path, query = request
        if operation is None:
            if swagger.path_exists(path):
                return _error(405, f"The requested resource does not support http method '{method}'.")
            return _error(404, f"No HTTP resource was found that matches the request URI '{path}'.")
        account = ctx.state.account(self.headers.get("Authorization"))
        if account is None:
            # the rehearsal shapes (empty, html) are off-contract by design: not checked
            logged["forced"] = ctx.state.undoc.unauthorized_body != "exception"
            return _unauthorized(ctx)
        logged["account"] = account.name
        try:
            params = operation.bind_path()
            values = operation.bind_query(query)
        except swagger.QueryError as exc:
            return _error(400, *(f"The request is invalid: {p}" for p in exc.problems))
        body, problem = self._body(operation, raw)
        if problem is not None:
            return problem
        handler = ROUTES.get((method, operation.base_path, operation.template))
        if handler is None:
            # users, teams, roles, DB connections, solutions...: in the swagger, not simulated
            logged["forced"] = True
            return _error(501, f"The LifeTime simulator does not implement {operation.endpoint}.")
        request = Request(
            method, path, operation.base_path, operation.template, params, values, body, account
        )
        try:
            with ctx.state.lock:
                ctx.state.advance()
                return handler(ctx, request)
        except LifeTimeError as exc:
            return _error(exc.status, exc.message)
        except Exception as exc:
            log.exception("lifetime simulator handler failed")
            return _error(500, f"Simulator error: {exc}")

    def _body(self, operation: swagger.Operation, raw: bytes) -> tuple[Any, Response | None]:
        if operation.body_parameter is None:
            return None, None
        if not raw:
            if operation.body_required():
                return None, _error(400, "The request is invalid: a request body is required.")
            return None, None
        media = (self.headers.get("Content-Type") or "").split(";", maxsplit=1)[0].strip().lower()
        if media not in operation.consumes:
            return None, _error(400, f"The request is invalid: content type {media!r} is not accepted.")
        if operation.raw_text_body:
            return raw.decode("utf-8", "replace"), None
        try:
            body = json.loads(raw)
        except ValueError:
            return None, _error(400, "The request is invalid: the body is not valid JSON.")
        errors = operation.validate_body(body)
        if errors:
            return None, _error(400, *(f"The request is invalid: {e}" for e in errors))
        return body, None

    def _log(self, ctx: Context, request: tuple[str, str, str], status: int, logged: dict[str, Any]) -> None:
        method, path, query = request
        ctx.log.append(
            LoggedRequest(
                method,
                path,
                query,
                status,
                logged["body"],
                ctx.clock.monotonic(),
                ctx.clock.now(),
                logged["account"],
                logged["template"],
            )
        )

    def _send(self, response: Response, operation: swagger.Operation | None) -> None:
        headers = dict(response.headers)
        if response.body is None:
            payload = b""
        elif isinstance(response.body, bytes):
            payload = response.body
        elif response.text:
            payload = str(response.body).encode()
            headers.setdefault("Content-Type", "text/plain; charset=utf-8")
        else:
            payload = json.dumps(response.body).encode()
            headers.setdefault("Content-Type", "application/json; charset=utf-8")
        hook = self.server.context.on_response
        if hook is not None and operation is not None:
            hook(operation, response.status, headers.get("Content-Type", ""), payload)
        try:
            self.send_response(response.status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            self.close_connection = True


def _loggable(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return raw[:2000].decode("utf-8", "replace")


def _error(status: int, *messages: str) -> Response:
    return Response(status, swagger.exception_body(status, *messages))


def _unauthorized(ctx: Context) -> Response:
    shape = ctx.state.undoc.unauthorized_body
    if shape == "empty":
        return Response(401)
    if shape == "html":
        return Response(401, UNAUTHORIZED_HTML, {"Content-Type": "text/html"})
    return _error(401, "The authentication token is missing, invalid or revoked.")


def _apply_fault(ctx: Context, fault: faults.Fault) -> Response | None:
    """The answer a fault forces, or None when the request goes on (slow, token expiry)."""
    if fault.name == faults.SLOW_RESPONSE:
        ctx.clock.sleep(fault.seconds)
        return None
    if fault.name == DROP_RESPONSE:
        return None  # handled first, then dropped (see _api)
    if fault.name == faults.TOKEN_EXPIRY:
        ctx.state.revoke_tokens()
        return None
    if fault.name == faults.DROP_CONNECTION:
        raise DropConnection
    if fault.name == PERMISSION_DENIED:
        return _error(403, "Invalid user permissions (injected fault: permission-denied).")
    if fault.name == faults.RATE_LIMIT_STORM:
        return _error(429, "Too Many Requests (injected fault: rate-limit-storm).")
    status = fault.status or 503
    if status == 500:
        return _error(500, "Injected fault: server-error 500.")
    return Response(
        status, f"Injected fault: server-error {status}.".encode(), {"Content-Type": "text/plain"}
    )


def serve_in_thread(server: LifeTimeServer) -> threading.Thread:
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="lifetime-simulator", daemon=True
    )
    thread.start()
    return thread
