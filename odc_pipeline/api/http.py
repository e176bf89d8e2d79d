"""The one HTTP layer every API domain shares: auth, retries, rate limits, error mapping.

Why it is built this way (odc-api-notes §1, §5, §7):

* one ``requests.Session`` → keep-alive across the hundreds of polls of a long run; proxies
  and ``REQUESTS_CA_BUNDLE``-style settings come from the environment (``trust_env``), TLS is
  verified against ``ODC_CA_BUNDLE`` when given and is never switched off;
* retries with jittered exponential backoff (``backoff.expo`` + ``backoff.full_jitter``) on
  connection errors, 429, 502, 503, 504, honouring ``Retry-After`` (seconds or HTTP date);
  every wait goes through the injected Clock;
* a POST that may have reached the server (read timeout, connection dropped after sending,
  502/504) is never re-sent blindly: the caller passes ``find_again``, which is asked again
  and again for a grace window longer than the read timeout (a slow server records the
  operation late); still not found, the call fails with :class:`OutcomeUnknownError`. Only
  :func:`resend_is_safe` (analyses, which change nothing) re-sends. Without ``find_again`` the
  call fails at once. 429 and 503 mean "not processed" and are always retried;
* a GET answered with any 5xx is retried like 502-504: reading changes nothing;
* one transparent re-authentication on 401, then :class:`AuthenticationError`;
* 403 → :class:`PermissionDeniedError` naming the spec's ``x-os-permissions``;
* ``call_counts`` per endpoint template, which the run report and the benchmarks read;
* the retrying core (:meth:`HttpClient.send`) is platform-neutral: the LifeTime client
  (``odc_pipeline.lifetime.http``) passes its own ``auth`` (a static Bearer token) and
  ``platform`` wording and maps LifeTime's answers itself, reusing every guarantee above;
* a response carrying ``Deprecation``/``Sunset`` headers (Portfolio v1 does, odc-api-notes
  §3.8) logs one warning per endpoint, so a sunset shows up in CI logs months before it bites.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any, Protocol
from urllib.parse import quote

import backoff
import requests
from requests.adapters import HTTPAdapter

from odc_pipeline import openapi
from odc_pipeline.api.auth import TokenProvider
from odc_pipeline.api.endpoints import ApiDomain
from odc_pipeline.api.errors import (
    ApiConnectionError,
    ApiError,
    OutcomeUnknownError,
    ProblemDetails,
    answer_error,
    error_for_status,
    permission_names,
)
from odc_pipeline.api.ratelimit import Limit, RateLimiter, starting
from odc_pipeline.clock import Clock
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.settings import Settings

log = logging.getLogger(__name__)

FindAgain = Callable[[], Mapping[str, Any] | None]
"""Looks up the effect of a POST whose outcome is unknown; returns its response body or None."""

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
NOT_PROCESSED_STATUSES = frozenset({429, 503})  # the server did not act on the request
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
LOOKUP_INTERVAL = 5.0  # seconds between look-ups of an operation whose start answer was lost
LOOKUP_GRACE_MARGIN = 60.0  # the look-ups go on this long past the read timeout
MAX_RETRY_AFTER = 600.0  # a Retry-After beyond 10 min is a server bug, not advice
UNREACHABLE_BUDGET = 12.0
"""Clock seconds a request keeps retrying a refused connection or an unknown host.

Those errors mean the request never left, and a wrong ODC_PORTAL_URL or a missing proxy is
far likelier than a platform blip: failing in seconds with the variable's name beats a minute
of silence. A brief outage (DNS hiccup, a restarting proxy) still gets a few attempts."""
USER_AGENT = "odc-pipeline"


def resend_is_safe() -> None:
    """``find_again`` for POSTs that change nothing (analyses): sending again is always safe."""
    return None


@dataclass(frozen=True)
class FoundAgain:
    """What ``find_again`` found: the effect of a POST whose answer was lost."""

    body: Mapping[str, Any]


class TokenSource(Protocol):
    """Where the Bearer token comes from: ODC's OIDC provider, or LifeTime's static token."""

    def token(self) -> str: ...

    def invalidate(self, token: str) -> None: ...


class TransportSettings(Protocol):
    """The settings the retrying core reads (ODC's ``Settings`` and ``LifetimeSettings`` have them)."""

    max_attempts: int
    backoff_initial: float
    backoff_max: float
    rate_limit_backoff_initial: float

    @property
    def verify(self) -> str | bool: ...

    @property
    def timeout(self) -> tuple[float, float]: ...


@dataclass(frozen=True)
class Platform:
    """How the core names the platform in its messages (the settings to check, where to look)."""

    url_variable: str = "ODC_PORTAL_URL"
    ca_variable: str = "ODC_CA_BUNDLE"
    console: str = "the ODC Portal"


ODC_PLATFORM = Platform()


class HttpClient:
    """Authenticated, rate-limited, retrying JSON calls against one ODC organization."""

    def __init__(
        self,
        settings: Settings | TransportSettings,
        *,
        clock: Clock,
        secrets: SecretRegistry,
        session: requests.Session | None = None,
        rate_limiter: RateLimiter | None = None,
        jitter: Callable[[float], float] = backoff.full_jitter,
        auth: TokenSource | None = None,
        platform: Platform = ODC_PLATFORM,
    ) -> None:
        self.settings = settings
        self.platform = platform
        self.clock = clock
        self.secrets = secrets
        self.session = session or _new_session()
        # The session default too (not only per request): anything else that uses this session
        # verifies TLS the same way. Settings.verify is a bundle path or True, never False.
        self.session.verify = settings.verify
        self.rate_limiter = rate_limiter or RateLimiter(clock)
        self.jitter = jitter  # tests replace it with identity for exact schedules
        self._counts: Counter[str] = Counter()
        self._counts_lock = threading.Lock()
        self.retries: Counter[str] = Counter()  # retry reasons ("429", "503", "connection")
        self._deprecated_warned: set[str] = set()
        self.auth: TokenSource = auth or TokenProvider(
            settings,  # type: ignore[arg-type]  # without auth=, settings are ODC's Settings
            send=self._send_unauthenticated,
            clock=clock,
            secrets=secrets,
        )

    @property
    def call_counts(self) -> Mapping[str, int]:
        """Requests sent per ``"METHOD /api/<domain>/<v>/<template>"`` (retries included)."""
        with self._counts_lock:
            return dict(self._counts)

    # ------------------------------------------------------------------ public calls

    def request(
        self,
        method: str,
        domain: ApiDomain,
        template: str,
        *,
        path_params: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        find_again: FindAgain | None = None,
    ) -> Any:
        """Call ``template`` of ``domain`` and return the parsed JSON body (None when empty).

        Raises an :class:`ApiError` subclass for every non-2xx answer.
        """
        method = method.upper()
        path = domain.base_path + _fill(template, path_params or {})
        url = self.settings.portal_url + path
        key = f"{method} {domain.base_path}{template}"
        limits = [Limit(domain.bucket, domain.per_minute)]
        if method == "POST" and domain.post_limited(template):
            limits.append(Limit(domain.post_bucket(template), domain.post_per_minute))
        query = openapi.serialize_query(domain.spec_file, method, template, params)
        reauthenticated = False
        while True:
            token = self.auth.token()
            outcome = self._send(
                method,
                url,
                key=key,
                limits=limits,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                params=query,
                json=json,
                find_again=find_again,
            )
            if isinstance(outcome, FoundAgain):
                return dict(outcome.body)
            if outcome.status_code == 401 and not reauthenticated:
                log.info("%s answered 401; re-authenticating once", key)
                self.auth.invalidate(token)
                reauthenticated = True
                continue
            self._warn_if_deprecated(outcome, key)
            return self._result(outcome, method=method, path=path, domain=domain, template=template)

    def put_external(
        self,
        url: str,
        body: bytes | Callable[[], Any],
        *,
        content_type: str = "application/zip",
    ) -> None:
        """PUT to a pre-signed URL (no bearer token: it is object storage, not an ODC API).

        ``body`` is bytes or a callable that opens a fresh stream for each attempt (a file
        opened from disk: requests sends it in blocks with its ``Content-Length``, so a large
        package is never held in memory). A PUT replaces the object, so it is retried on
        connection errors and on every 5xx, not only the gateway statuses.
        """
        waits = self._waits()
        opened: list[Any] = []

        def payload() -> Any:
            if not callable(body):
                return body
            stream = body()
            opened.append(stream)
            return stream

        for attempt in range(1, self.settings.max_attempts + 1):
            try:
                outcome = self._send(
                    "PUT",
                    url,
                    key="PUT <pre-signed upload URL>",
                    limits=[],
                    headers={"Content-Type": content_type},
                    data=payload,
                )
            finally:
                while opened:
                    opened.pop().close()
            assert isinstance(outcome, requests.Response)
            if outcome.ok:
                return
            retry = outcome.status_code >= 500 and outcome.status_code not in RETRYABLE_STATUSES
            if retry and attempt < self.settings.max_attempts:  # 502/503/504: _send retried them
                outcome.close()
                self._pause("PUT <pre-signed upload URL>", str(outcome.status_code), next(waits), "HTTP 5xx")
                continue
            raise error_for_status(outcome.status_code)(
                f"upload to the pre-signed URL failed with HTTP {outcome.status_code}",
                status=outcome.status_code,
                problem=ProblemDetails(
                    status=outcome.status_code, detail=self.secrets.redact(outcome.text[:300]) or None
                ),
                method="PUT",
                path="<pre-signed upload URL>",
            )

    def send(
        self,
        method: str,
        url: str,
        *,
        key: str,
        headers: Mapping[str, str],
        params: list[tuple[str, str]] | None = None,
        json: Any = None,
        data: Any = None,
        find_again: FindAgain | None = None,
        retry_statuses: frozenset[int] = RETRYABLE_STATUSES,
    ) -> requests.Response | FoundAgain:
        """The platform-neutral core for other platforms' layers (no auth, no error mapping).

        Retries, backoff, at-most-once POSTs (``find_again``), ``call_counts`` and redaction
        behave exactly as for :meth:`request`; ``retry_statuses`` widens what is retried
        (LifeTime retries a 500 on a GET, which changes nothing).
        """
        return self._send(
            method.upper(),
            url,
            key=key,
            limits=[],
            headers=headers,
            params=params,
            json=json,
            data=data,
            find_again=find_again,
            retry_statuses=retry_statuses,
        )

    # ------------------------------------------------------------------ internals

    def _send_unauthenticated(self, method: str, url: str, *, key: str, data: Any) -> requests.Response:
        """Transport for the token provider: retried like any call, safe to repeat."""
        outcome = self._send(
            method,
            url,
            key=key,
            limits=[],
            headers={"Accept": "application/json"},
            data=data,
            repeatable=True,
        )
        assert isinstance(outcome, requests.Response)
        return outcome

    def _settle(self, limits: list[Limit], admitted: float | None) -> None:
        """Count the request from when its answer arrived (see RateLimiter.settle)."""
        if admitted is not None:
            self.rate_limiter.settle(limits, admitted)

    def _warn_if_deprecated(self, response: requests.Response, key: str) -> None:
        """Warn once per endpoint when the server announces its deprecation or sunset."""
        deprecation = response.headers.get("Deprecation")
        sunset = response.headers.get("Sunset")
        if not (deprecation or sunset):
            return
        with self._counts_lock:
            if key in self._deprecated_warned:
                return
            self._deprecated_warned.add(key)
        details = ", ".join(
            f"{name}: {value}" for name, value in (("Deprecation", deprecation), ("Sunset", sunset)) if value
        )
        log.warning(
            "%s is deprecated by ODC (%s); odc-pipeline needs an update before the sunset", key, details
        )

    def _count(self, key: str) -> None:
        with self._counts_lock:
            self._counts[key] += 1

    def _waits(self) -> Iterator[float]:
        gen = backoff.expo(base=2, factor=self.settings.backoff_initial, max_value=self.settings.backoff_max)
        next(gen)  # backoff's generators yield None first (they are primed with send(None))
        return (self.jitter(float(v)) for v in gen if v is not None)

    def _send(
        self,
        method: str,
        url: str,
        *,
        key: str,
        limits: list[Limit],
        headers: Mapping[str, str],
        params: list[tuple[str, str]] | None = None,
        json: Any = None,
        data: Any = None,
        find_again: FindAgain | None = None,
        repeatable: bool | None = None,
        retry_statuses: frozenset[int] = RETRYABLE_STATUSES,
    ) -> requests.Response | FoundAgain:
        """Send with retries; returns the final response (any status) or what find_again found."""
        if repeatable is None:
            repeatable = method in IDEMPOTENT_METHODS
        waits = self._waits()
        attempt = 0
        first_sent = self.clock.monotonic()
        while True:
            attempt += 1
            last_attempt = attempt >= self.settings.max_attempts
            with starting(method == "POST"):  # only a start may use its asset's reserved slot
                admitted = self.rate_limiter.acquire(limits) if limits else None
            self._count(key)
            try:
                response = self.session.request(
                    method,
                    url,
                    params=params,
                    json=json,
                    data=data() if callable(data) else data,  # a fresh stream per attempt
                    headers={"User-Agent": USER_AGENT, **headers},
                    timeout=self.settings.timeout,
                    verify=self.settings.verify,
                )
            except requests.exceptions.SSLError as exc:
                raise self._connection_error(
                    key,
                    f"TLS verification failed for {key}: {_reason(exc)}. If a proxy re-signs traffic, "
                    f"point {self.platform.ca_variable} (or REQUESTS_CA_BUNDLE) at its CA certificate.",
                ) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                self._settle(limits, admitted)
                reason = _reason(exc)
                sent = _may_have_reached_server(exc)
                if sent and not repeatable:
                    found = self._recover(key, reason, find_again, waits, status=None)
                    if found is not None:
                        return found
                if last_attempt:
                    raise self._connection_error(
                        key,
                        f"{key}: no answer after {attempt} attempts ({reason}); is "
                        f"{self.platform.url_variable} reachable (proxy settings: HTTPS_PROXY / NO_PROXY)?",
                    ) from None
                if not (sent and not repeatable):
                    delay = next(waits)
                    spent = self.clock.monotonic() - first_sent
                    if not sent and spent + delay > UNREACHABLE_BUDGET:
                        raise self._connection_error(
                            key, self._unreachable(key, reason, attempt, spent)
                        ) from None
                    self._pause(key, "connection", delay, reason, attempt=attempt)
                continue

            self._settle(limits, admitted)
            status = response.status_code
            if status not in retry_statuses and not (status >= 500 and method == "GET"):
                return response
            if status not in NOT_PROCESSED_STATUSES and not repeatable:
                response.close()
                found = self._recover(key, f"HTTP {status}", find_again, waits, status=status)
                if found is not None:
                    return found
                if last_attempt:
                    return response
                continue
            if last_attempt:
                return response
            delay = _retry_after(response, self.clock.now())
            if delay is None:
                delay = next(waits)
                if status == 429:
                    # Limits are per minute and shared by the organization: hammering is useless.
                    delay += self.settings.rate_limit_backoff_initial
            response.close()
            self._pause(key, str(status), delay, f"HTTP {status}", attempt=attempt)

    def _recover(
        self,
        key: str,
        reason: str,
        find_again: FindAgain | None,
        waits: Iterator[float],
        *,
        status: int | None,
    ) -> FoundAgain | None:
        """After an ambiguous POST failure: look the operation up for the grace window.

        Returns what ``find_again`` found, None only for :func:`resend_is_safe` (analyses change
        nothing). A POST the server is still processing may be recorded long after our read
        timeout fired, so one look-up that finds nothing proves nothing: the look-ups go on for
        :meth:`grace_seconds` of clock time, and an operation still not found stops the call
        with :class:`OutcomeUnknownError` — it is never sent a second time.
        """
        if find_again is resend_is_safe:
            self._pause(key, "ambiguous-post", next(waits), reason)
            log.info("%s: %s; sending it again (starting it twice changes nothing)", key, reason)
            return None
        method, path = key.split(" ", 1)
        if find_again is None:
            raise OutcomeUnknownError(
                self.secrets.redact(
                    f"{key} may or may not have taken effect ({reason}); not re-sending it blindly. "
                    f"Check {self.platform.console} before running again."
                ),
                status=status,
                method=method,
                path=path,
            )
        grace = self.grace_seconds()
        deadline = self.clock.monotonic() + grace
        while True:
            self._pause(key, "ambiguous-post", LOOKUP_INTERVAL, f"{reason}; looking the operation up")
            try:
                found = find_again()
            except ApiError as exc:  # a failed look-up is no answer; the window goes on
                log.info("%s: look-up failed (%s)", key, exc)
                found = None
            if found is not None:
                log.info("%s: found the operation again after %s; not re-sending", key, reason)
                return FoundAgain(found)
            if self.clock.monotonic() >= deadline:
                break
        raise OutcomeUnknownError(
            self.secrets.redact(
                f"{key}: outcome unknown ({reason}) and the operation was not found within "
                f"{grace:.0f} s of looking it up; not re-sending it, since it may still start. "
                f"Check {self.platform.console} before running again."
            ),
            status=status,
            method=method,
            path=path,
        )

    def grace_seconds(self) -> float:
        """How long an ambiguous POST is looked up: past the read timeout, plus a margin."""
        return self.settings.read_timeout + LOOKUP_GRACE_MARGIN

    def _connection_error(self, key: str, message: str) -> ApiConnectionError:
        """The error for a call to ``key`` that got no usable answer (message redacted)."""
        method, path = key.split(" ", 1)
        return ApiConnectionError(self.secrets.redact(message), method=method, path=path)

    def _unreachable(self, key: str, reason: str, attempt: int, spent: float) -> str:
        return (
            f"cannot reach {self.settings.portal_url} ({reason}) after {attempt} attempt(s) in "
            f"{spent:.0f} s ({key}). Check ODC_PORTAL_URL (or `portal:` in the pipeline file): "
            "e.g. https://acme.outsystems.dev, and the proxy settings (HTTPS_PROXY / NO_PROXY)"
        )

    def _pause(self, key: str, kind: str, seconds: float, reason: str, *, attempt: int | None = None) -> None:
        """Every retry is one visible line: what failed, attempt n of m, the wait before the next."""
        self.retries[kind] += 1
        of = f"attempt {attempt} of {self.settings.max_attempts}" if attempt else "retrying"
        log.warning("%s failed (%s), %s; retrying in %.1f s", key, reason, of, seconds)
        self.clock.sleep(seconds)

    def _result(
        self, response: requests.Response, *, method: str, path: str, domain: ApiDomain, template: str
    ) -> Any:
        status = response.status_code
        body = _json_or_none(response)
        if 200 <= status < 300:
            if response.content and body is None:
                raise ApiError(
                    f"{method} {path} answered HTTP {status} with a body that is not JSON",
                    status=status,
                    method=method,
                    path=path,
                )
            return body
        problem = ProblemDetails.from_body(body, status=status, text=response.text)
        problem = problem.redacted(self.secrets.redact)
        permissions = _permissions(domain, method, template) if status == 403 else []
        needs = f"; it needs {' / '.join(permissions)}" if permissions else ""
        client = self.settings.client_id
        raise answer_error(
            status,
            method=method,
            path=path,
            problem=problem,
            summary=problem.summary(),
            redact=self.secrets.redact,
            unauthorized=f"the access token of API client {client!r} was refused again after "
            f"re-authenticating (HTTP 401: {problem.summary()})",
            forbidden=f"API client {client!r} lacks a permission{needs} (HTTP 403: {problem.summary()})",
            permissions=permissions,
        )


def _new_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = True  # HTTPS_PROXY / NO_PROXY / REQUESTS_CA_BUNDLE
    # Above deploy.max-parallel (at most 50) plus the pollers, so parallel work reuses connections
    # instead of paying a TLS handshake for every request that finds the pool full.
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=64)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _fill(template: str, path_params: Mapping[str, Any]) -> str:
    path = template
    for name, value in path_params.items():
        path = path.replace("{" + name + "}", quote(str(value), safe=""))
    if "{" in path:
        raise ValueError(f"missing path parameter in {path}")
    return path


def _retry_after(response: requests.Response, now: datetime) -> float | None:
    """Seconds to wait per ``Retry-After`` (delta-seconds or HTTP-date), None when absent/bad."""
    raw = response.headers.get("Retry-After")
    if not raw:
        return None
    raw = raw.strip()
    try:
        seconds = float(raw)
    except ValueError:
        try:
            when = parsedate_to_datetime(raw)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            return None
        seconds = (when - now).total_seconds()
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def _may_have_reached_server(exc: Exception) -> bool:
    """False only when the request certainly never left (DNS, refused, connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    text = repr(exc)
    markers = ("NewConnectionError", "NameResolutionError", "Failed to resolve", "Connection refused")
    return not any(marker in text for marker in markers)


def _reason(exc: Exception) -> str:
    inner = exc.args[0] if exc.args else exc
    reason = getattr(inner, "reason", None)
    return f"{type(exc).__name__}: {reason or inner}"[:300]


def _permissions(domain: ApiDomain, method: str, template: str) -> list[str]:
    try:
        operation = openapi.load_spec(domain.spec_file)["paths"][template][method.lower()]
    except (KeyError, FileNotFoundError):
        return []
    raw = operation.get("x-os-permissions")
    if not raw:
        return []
    return permission_names([raw] if isinstance(raw, str) else [str(r) for r in raw])


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None
