"""OAuth2 client-credentials tokens for the ODC APIs (odc-api-notes §1).

The token endpoint is discovered (``/identity/.well-known/openid-configuration``), never
hard-coded. A token is cached until shortly before ``expires_in`` runs out (12 h in ODC) so a
long unattended run re-authenticates by itself, and :meth:`TokenProvider.invalidate` lets the
HTTP layer drop a token the server stopped accepting (client suspended, secret regenerated).
The secret and every token are registered for redaction the moment they are known.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import requests

from odc_pipeline.api.errors import ApiError, AuthenticationError, ProblemDetails
from odc_pipeline.clock import Clock
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.settings import Settings, is_loopback_host

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/identity/.well-known/openid-configuration"
DISCOVERY_KEY = f"GET {DISCOVERY_PATH}"
TOKEN_KEY = "POST /identity/token"
MAX_REFRESH_MARGIN = 300.0  # renew 5 min early: a poll must not start with a dying token

# send(method, url, *, key, data) -> Response; retries transport failures, adds no auth.
Send = Callable[..., requests.Response]


class TokenProvider:
    """Thread-safe cache of one access token for one API client."""

    def __init__(self, settings: Settings, *, send: Send, clock: Clock, secrets: SecretRegistry) -> None:
        self._settings = settings
        self._send = send
        self._clock = clock
        self._secrets = secrets
        self._lock = threading.Lock()
        self._token_endpoint: str | None = None
        self._token: str | None = None
        self._expires_at = 0.0
        self.fetch_count = 0
        secrets.register(settings.client_secret.get_secret_value())

    def token(self) -> str:
        """A valid access token, fetching a new one when none is cached or it is about to expire."""
        with self._lock:
            if self._token is None or self._clock.monotonic() >= self._expires_at:
                self._fetch()
            assert self._token is not None
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget ``token`` (the server answered 401 to it); a newer cached token is kept."""
        with self._lock:
            if self._token == token:
                self._token = None

    def _fetch(self) -> None:
        endpoint = self._token_endpoint or self._discover()
        client_id = self._settings.client_id
        response = self._send(
            "POST",
            endpoint,
            key=TOKEN_KEY,
            data={
                "grant_type": "client_credentials",
                "client_id": client_id,
                "client_secret": self._settings.client_secret.get_secret_value(),
            },
        )
        body = _json_or_none(response)
        if response.status_code in (400, 401, 403):
            reason = ""
            if isinstance(body, dict):
                reason = str(body.get("error_description") or body.get("error") or "")
            raise AuthenticationError(
                self._secrets.redact(
                    f"ODC refused the credentials of API client {client_id!r} "
                    f"(HTTP {response.status_code}{': ' + reason if reason else ''}); "
                    "check ODC_CLIENT_ID / ODC_CLIENT_SECRET and that the client is not expired or suspended"
                ),
                status=response.status_code,
                method="POST",
                path=TOKEN_KEY.split(" ", 1)[1],
            )
        if not response.ok or not isinstance(body, dict) or not body.get("access_token"):
            raise AuthenticationError(
                f"could not obtain an access token for API client {client_id!r}: "
                f"HTTP {response.status_code} without an access_token",
                status=response.status_code,
                method="POST",
                path="/identity/token",
            )
        token = str(body["access_token"])
        self._secrets.register(token)
        try:
            lifetime = float(body.get("expires_in") or 0)
        except (TypeError, ValueError):
            lifetime = 0.0
        margin = min(MAX_REFRESH_MARGIN, lifetime / 10)
        self._token = token
        self._expires_at = self._clock.monotonic() + max(lifetime - margin, 0.0)
        self.fetch_count += 1
        log.info("obtained an ODC access token for API client %s (valid %.0f s)", client_id, lifetime)

    def _discover(self) -> str:
        url = self._settings.portal_url + DISCOVERY_PATH
        response = self._send("GET", url, key=DISCOVERY_KEY, data=None)
        body = _json_or_none(response)
        endpoint = body.get("token_endpoint") if isinstance(body, dict) else None
        if not response.ok or not isinstance(endpoint, str) or not endpoint:
            raise ApiError(
                f"OIDC discovery at {url} failed (HTTP {response.status_code}); is ODC_PORTAL_URL right?",
                status=response.status_code,
                problem=ProblemDetails.from_body(
                    body, status=response.status_code, text=response.text
                ).redacted(self._secrets.redact),
                method="GET",
                path=DISCOVERY_PATH,
            )
        parts = urlsplit(endpoint)
        loopback_http = parts.scheme == "http" and is_loopback_host(parts.hostname or "")
        if parts.scheme != "https" and not loopback_http:
            raise AuthenticationError(
                f"refusing to send the client secret to a non-https token endpoint ({endpoint})",
                method="GET",
                path=DISCOVERY_PATH,
            )
        self._token_endpoint = endpoint
        return endpoint


def _json_or_none(response: requests.Response) -> Any:
    try:
        return response.json() if response.content else None
    except ValueError:
        return None
