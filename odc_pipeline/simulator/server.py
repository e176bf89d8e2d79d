"""The HTTP front: a stdlib ``ThreadingHTTPServer`` on loopback and the request pipeline.

Order of checks for an API request, as the real gateway would apply them: faults (the switch
board outranks everything), spec lookup (404/405 for paths no spec describes), bearer token
(401), rate limit (429), body parsing and validation against the spec (415/400), query and
path binding by declared type (``binding``: scalars keep the first of repeated keys, values
that cannot bind answer 400), then the handler under the state lock. HEAD, OPTIONS and TRACE,
which no spec declares, answer 405. Every answer is logged with the clock time.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import socket
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from odc_pipeline import openapi
from odc_pipeline.clock import Clock
from odc_pipeline.simulator import auth, binding, faults, objectstore
from odc_pipeline.simulator.problems import ApiProblem, problem_body
from odc_pipeline.simulator.ratelimit import RateLimiter
from odc_pipeline.simulator.requestlog import LoggedRequest, RequestLog
from odc_pipeline.simulator.routing import ROUTES, Request, Response
from odc_pipeline.simulator.state import TenantState

log = logging.getLogger(__name__)
INTERNAL_PREFIX = "/_simulator/"
CONFIGURATIONS_PREFIX = "/api/asset-configurations/"
MAX_BODY = 10 * 1024 * 1024
_SIGNED_QUERY = re.compile(r"\?[^ ]*")


class DropConnection(Exception):
    """Close the socket without answering (the drop-connection fault)."""


@dataclass
class Context:
    state: TenantState
    authority: auth.Authority
    limiter: RateLimiter
    faults: faults.Faults
    log: RequestLog
    clock: Clock
    url: str = ""


def _ensure_routes_loaded() -> None:
    from odc_pipeline.simulator import routes  # noqa: F401  (registers every handler)


class SimulatorServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128  # socketserver's 5 drops SYNs when 20 parallel workers connect at once

    def __init__(self, context: Context, port: int = 0, host: str = "127.0.0.1") -> None:
        _ensure_routes_loaded()
        self.context = context
        super().__init__((host, port), _Handler)
        context.url = f"http://{host}:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: SimulatorServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in separate writes; without NODELAY, Nagle + delayed ACK add
        # ~40 ms to every keep-alive request, which makes polling tests crawl.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        # A pre-signed URL's query string is its credential: the access log keeps only the path.
        args = tuple(
            _SIGNED_QUERY.sub("?***", a) if isinstance(a, str) and INTERNAL_PREFIX in a else a for a in args
        )
        log.debug("simulator: " + format, *args)

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_PUT(self) -> None:
        self._serve("PUT")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    def do_HEAD(self) -> None:
        self._not_allowed("HEAD")

    def do_OPTIONS(self) -> None:
        self._not_allowed("OPTIONS")

    def do_TRACE(self) -> None:
        self._not_allowed("TRACE")

    def _not_allowed(self, method: str) -> None:
        """No spec declares HEAD, OPTIONS or TRACE: 405 with an Allow header, as ASP.NET does."""
        ctx = self.server.context
        split = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(min(length, MAX_BODY))
        allowed = [
            m for m in ("GET", "POST", "PUT", "PATCH", "DELETE") if openapi.find_operation(m, split.path)
        ]
        body = problem_body(
            405,
            f"{method} is not allowed on {split.path}.",
            base_path=_guess_base(split.path),
            instance=split.path,
        )
        headers = {"Allow": ", ".join(allowed)} if allowed else {}
        self._log(ctx, (method, split.path, split.query), 405, None, client=None, template=None)
        if method == "HEAD":
            self._send(Response(405, None, headers))
        else:
            self._send(Response(405, body, headers))

    def _serve(self, method: str) -> None:
        ctx = self.server.context
        split = urlsplit(self.path)
        path, query = split.path, split.query
        if path.startswith(INTERNAL_PREFIX + objectstore.UPLOADS) or path.startswith(
            INTERNAL_PREFIX + objectstore.DOWNLOADS
        ):
            self._storage(ctx, method, path, query)
            return
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(min(length, MAX_BODY)) if length else b""
        logged_body: Any = None
        client_id: str | None = None
        template: str | None = None
        try:
            if path == auth.DISCOVERY_PATH and method == "GET":
                response = Response(200, ctx.authority.discovery(ctx.url))
            elif path == auth.TOKEN_PATH and method == "POST":
                response, logged_body = self._token(ctx, raw)
            elif path.startswith(INTERNAL_PREFIX):
                response = _internal(ctx, method, path, raw)
            else:
                response, logged_body, client_id, template = self._api(ctx, method, path, query, raw)
        except DropConnection:
            if logged_body is None and raw:  # the log keeps what was sent, answered or not
                logged_body = _logged_body(ctx, method, path, raw)[1]
            self._log(ctx, (method, path, query), 0, logged_body, client=client_id, template=template)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._log(
            ctx, (method, path, query), response.status, logged_body, client=client_id, template=template
        )
        self._send(response)

    def _storage(self, ctx: Context, method: str, path: str, query: str) -> None:
        """A pre-signed object-store request: streamed, never under the ODC token (see objectstore).

        The request log keeps the path and drops the query string: it is the credential.
        """
        name = path.rsplit("/", 1)[-1]
        is_upload = path.startswith(INTERNAL_PREFIX + objectstore.UPLOADS)
        logged = (method, path, "X-Amz-Signature=***" if query else "")
        try:
            for fault in ctx.faults.fire(method, path):
                if fault.name == faults.DROP_CONNECTION and is_upload:
                    self._drain()  # the body went out; the answer is lost
                forced = _apply_fault(ctx, fault, None, path)
                if forced is not None:
                    if is_upload:
                        self._drain()
                    self._log(ctx, logged, forced.status, None, client=None, template=None)
                    self._send(forced)
                    return
            now = ctx.state.now()
            if is_upload and method == "PUT":
                stored = ctx.state.objects.put(name, query, now=now, headers=self.headers, stream=self.rfile)
                body = {"contentType": stored.content_type, "size": stored.size, "sha256": stored.sha256}
                response = Response(200, b"", {"ETag": f'"{stored.sha256[:32]}"'})
            elif not is_upload and method == "GET":
                found = ctx.state.objects.get(
                    name, query, now=now, authorization=self.headers.get("Authorization")
                )
                body = None
                response = Response(200, found.read(), {"Content-Type": found.content_type})
            else:
                self._drain()
                body = None
                response = Response(405, b"", {"Content-Type": "application/xml"})
        except DropConnection:
            self._log(ctx, logged, 0, None, client=None, template=None)
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        except objectstore.StoreRefusal as refusal:
            self._drain()
            body = None
            response = Response(refusal.status, refusal.xml(), {"Content-Type": "application/xml"})
        self._log(ctx, logged, response.status, body, client=None, template=None)
        self._send(response)

    def _drain(self) -> None:
        """Read and discard what is left of the request body (so the answer can be read)."""
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining > 0:
            chunk = self.rfile.read(min(objectstore.CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)

    def _token(self, ctx: Context, raw: bytes) -> tuple[Response, Any]:
        content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        form = {k: v[-1] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        logged = {k: ("***" if k == "client_secret" else v) for k, v in form.items()}
        for fault in ctx.faults.fire("POST", auth.TOKEN_PATH):
            response = _apply_fault(ctx, fault, None, auth.TOKEN_PATH)
            if response is not None:
                return response, logged
        if content_type != "application/x-www-form-urlencoded":
            return Response(
                400, {"error": "invalid_request", "error_description": "Expected form data."}
            ), logged
        try:
            return Response(200, ctx.authority.issue(form), {"Cache-Control": "no-store"}), logged
        except auth.TokenError as exc:
            return Response(exc.status, exc.body()), logged

    def _api(
        self, ctx: Context, method: str, path: str, query: str, raw: bytes
    ) -> tuple[Response, Any, str | None, str | None]:
        operation = openapi.find_operation(method, path)
        base_path = operation.base_path if operation else _guess_base(path)
        template = f"{operation.base_path}{operation.template}" if operation else None
        body, logged_body = _logged_body(ctx, method, path, raw)
        for fault in ctx.faults.fire(method, path):
            response = _apply_fault(ctx, fault, base_path, path)
            if response is not None:
                return response, logged_body, None, template

        def problem(status: int, detail: str, code: str | None = None) -> Response:
            return Response(
                status, problem_body(status, detail, base_path=base_path, instance=path, error_code=code)
            )

        if operation is None:
            if openapi.path_exists(path):
                return problem(405, f"{method} is not allowed on {path}."), logged_body, None, None
            return problem(404, f"No ODC API serves {path}."), logged_body, None, None
        client_id = ctx.authority.check(self.headers.get("Authorization"))
        if client_id is None:
            return (
                problem(401, "The access token is missing, invalid or expired."),
                logged_body,
                None,
                template,
            )
        refusal = ctx.limiter.admit(method, operation.base_path, operation.template)
        if refusal:
            return problem(429, f"Too Many Requests: {refusal}"), logged_body, client_id, template
        schema = operation.request_schema()
        if schema is not None:
            if raw:
                content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip()
                if content_type not in ("application/json", "text/json") and not content_type.endswith(
                    "+json"
                ):
                    return (
                        problem(415, f"Unsupported Media Type {content_type!r}."),
                        logged_body,
                        client_id,
                        template,
                    )
                if body is None and logged_body is not None:
                    return (
                        problem(400, "The request body is not valid JSON."),
                        logged_body,
                        client_id,
                        template,
                    )
                errors = openapi.validate(body, schema)
                if errors:
                    detail = "The request body does not match the API specification: " + "; ".join(errors)
                    return problem(400, detail), logged_body, client_id, template
            elif openapi.request_body_required(
                openapi.load_spec(operation.spec_file), method, operation.template
            ):
                return problem(400, "A non-empty request body is required."), logged_body, client_id, template
        bound, errors = binding.bind_query(operation, query)
        errors += binding.bind_path(operation)
        if errors:
            detail = "One or more validation errors occurred: " + "; ".join(errors)
            return problem(400, detail), logged_body, client_id, template
        handler = ROUTES.get((method, operation.base_path, operation.template))
        if handler is None:
            return (
                problem(501, f"The simulator does not implement {method} {template}."),
                logged_body,
                client_id,
                template,
            )
        request = Request(
            method=method,
            path=path,
            query=bound,
            body=body,
            base_path=operation.base_path,
            template=operation.template,
            params=dict(operation.path_params),
            client_id=client_id,
        )
        try:
            with ctx.state.lock:
                ctx.state.advance()
                response = handler(ctx, request)
        except ApiProblem as exc:
            body = problem_body(
                exc.status,
                exc.detail,
                base_path=base_path,
                instance=path,
                error_code=exc.error_code,
                title=exc.title,
            )
            response = Response(exc.status, None if exc.no_body else body)
        except Exception as exc:
            log.exception("simulator handler failed")
            response = problem(500, f"Simulator error: {exc}")
        return response, logged_body, client_id, template

    def _log(
        self,
        ctx: Context,
        request: tuple[str, str, str],
        status: int,
        body: Any,
        *,
        client: str | None,
        template: str | None,
    ) -> None:
        method, path, query = request
        ctx.log.append(
            LoggedRequest(
                method, path, query, status, body, ctx.clock.monotonic(), ctx.clock.now(), client, template
            )
        )

    def _send(self, response: Response) -> None:
        if response.body is None:
            payload = b""
        elif isinstance(response.body, bytes):
            payload = response.body
        else:
            payload = json.dumps(response.body).encode()
        try:
            self.send_response(response.status)
            if payload and not isinstance(response.body, bytes):
                self.send_header("Content-Type", "application/json; charset=utf-8")
            elif payload and "Content-Type" not in response.headers:
                self.send_header("Content-Type", "application/octet-stream")
            for name, value in response.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if payload:
                self.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


def _logged_body(ctx: Context, method: str, path: str, raw: bytes) -> tuple[Any, Any]:
    """(parsed JSON body or None, the body as the request log keeps it)."""
    if not raw:
        return None, None
    try:
        body = json.loads(raw)
    except ValueError:
        return None, raw[:2000].decode("utf-8", "replace")
    return body, _masked(ctx, method, path, body)


def _masked(ctx: Context, method: str, path: str, body: Any) -> Any:
    """``body`` as the request log keeps it: PATCHed secret configuration values masked.

    Like the token form's ``client_secret``, a secret sent to the simulator never reaches the
    request log; every other value stays as sent so tests can check what the client PATCHed.
    """
    if method != "PATCH" or not path.startswith(CONFIGURATIONS_PREFIX):
        return body
    with ctx.state.lock:
        secret_keys = ctx.state.secret_config_keys()
    return _mask_values(body, secret_keys) if secret_keys else body


def _mask_values(node: Any, secret_keys: set[str]) -> Any:
    if isinstance(node, list):
        return [_mask_values(item, secret_keys) for item in node]
    if not isinstance(node, dict):
        return node
    masked = {name: _mask_values(value, secret_keys) for name, value in node.items()}
    key = masked.get("key")
    if isinstance(key, str) and key in secret_keys and masked.get("value") is not None:
        masked["value"] = "***"
    return masked


def _guess_base(path: str) -> str | None:
    parts = path.split("/")
    return "/".join(parts[:4]) if len(parts) >= 4 and parts[1] == "api" else None


def _apply_fault(ctx: Context, fault: faults.Fault, base_path: str | None, path: str) -> Response | None:
    """The answer a fault forces, or None when the request goes on (slow, token expiry)."""
    if fault.name == faults.SLOW_RESPONSE:
        ctx.clock.sleep(fault.seconds)
        return None
    if fault.name == faults.TOKEN_EXPIRY:
        ctx.authority.expire_all()
        return None
    if fault.name == faults.DROP_CONNECTION:
        raise DropConnection
    status = {faults.RATE_LIMIT_STORM: 429, faults.ANALYSIS_UNAVAILABLE: 404}.get(
        fault.name, fault.status or 503
    )
    detail = {
        429: "Too Many Requests (injected fault: rate-limit-storm).",
        404: "Not Found (injected fault: analysis-unavailable).",
    }.get(status, f"Injected fault: server-error {status}.")
    if status >= 500 and status != 500:
        return Response(status, {"message": detail})  # gateways answer 502/503 without ProblemDetails
    return Response(status, problem_body(status, detail, base_path=base_path, instance=path))


def _internal(ctx: Context, method: str, path: str, raw: bytes) -> Response:
    """Simulator-only endpoints standing in for pre-signed storage URLs."""
    rest = path[len(INTERNAL_PREFIX) :]
    with ctx.state.lock:
        if rest.startswith("sites/") and method == "GET":
            return _site(ctx, rest.removeprefix("sites/"))
        if rest.startswith("generated-code/") and method == "GET":
            return Response(200, b"PK\x05\x06" + b"\x00" * 18)  # an empty zip archive
    return Response(404)


def _site(ctx: Context, rest: str) -> Response:
    """A deployed app's front page, so a pipeline's HTTP verification has something to call."""
    domain, _, url_path = rest.partition("/")
    url_path = url_path.split("/", 1)[0]
    state = ctx.state
    state.advance()
    stage = next((s for s in state.stages if s.domain == domain), None)
    asset = next((a for a in state.assets.values() if a.deployable and a.url_path == url_path), None)
    running = state.running[stage.key].get(asset.key) if stage and asset else None
    if stage is None or asset is None or running is None:
        return Response(404, b"Not Found", {"Content-Type": "text/plain"})
    outcome = state.outcome("app_http", asset.key, running.revision, stage.key)
    if outcome is not None and outcome.result != "success":
        return Response(503, b"Service Unavailable", {"Content-Type": "text/plain"})
    page = f"<html><body>{asset.name} revision {running.revision} in {stage.name}</body></html>"
    return Response(200, page.encode(), {"Content-Type": "text/html; charset=utf-8"})


def serve_in_thread(server: SimulatorServer) -> threading.Thread:
    # A short poll interval keeps stop() quick; the loop is idle-cheap either way.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, name="odc-simulator", daemon=True
    )
    thread.start()
    return thread
