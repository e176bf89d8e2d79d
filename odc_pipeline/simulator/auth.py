"""OIDC discovery and the client-credentials token endpoint.

Tokens are opaque to clients (the docs say "bearer, JWT"; we issue JWT-shaped strings with a
random signature so nobody is tempted to trust their content). Lifetime comes from the tenant
file; expiry is measured on the simulator's clock, so a ManualClock test can expire a token by
advancing time and a fault can expire every token mid-run.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from dataclasses import dataclass

from odc_pipeline.clock import Clock
from odc_pipeline.simulator.tenant import ApiClientSpec

REALM = "6c0bd2ed-3a53-4f4a-9b6b-6d0a5e0c0d11"
DISCOVERY_PATH = "/identity/.well-known/openid-configuration"
TOKEN_PATH = f"/identity/auth/realms/{REALM}/protocol/openid-connect/token"


@dataclass
class Token:
    value: str
    client_id: str
    expires_at: float


class TokenError(Exception):
    """An OAuth error answer: ``status`` and the ``error`` code of RFC 6749 §5.2."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class Authority:
    """Issues and checks bearer tokens for the tenant's API clients."""

    def __init__(self, clients: dict[str, ApiClientSpec], clock: Clock, lifetime: float) -> None:
        self._clients = clients
        self._clock = clock
        self.lifetime = lifetime
        self._tokens: dict[str, Token] = {}
        self._lock = threading.Lock()

    def discovery(self, base_url: str) -> dict[str, object]:
        issuer = f"{base_url}/identity/auth/realms/{REALM}"
        return {
            "issuer": issuer,
            "authorization_endpoint": f"{issuer}/protocol/openid-connect/auth",
            "token_endpoint": f"{base_url}{TOKEN_PATH}",
            "jwks_uri": f"{issuer}/protocol/openid-connect/certs",
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": ["token"],
            "token_endpoint_auth_methods_supported": ["client_secret_post"],
            "id_token_signing_alg_values_supported": ["RS256"],
        }

    def issue(self, form: dict[str, str]) -> dict[str, object]:
        if form.get("grant_type") != "client_credentials":
            raise TokenError(
                400, "unsupported_grant_type", "Only grant_type=client_credentials is supported."
            )
        client = self._clients.get(form.get("client_id", ""))
        if client is None or not secrets.compare_digest(client.client_secret, form.get("client_secret", "")):
            raise TokenError(401, "invalid_client", "Invalid client or Invalid client credentials")
        if client.suspended:
            raise TokenError(401, "invalid_client", "Client is suspended")
        value = _jwt_shaped(client.client_id)
        with self._lock:
            self._tokens[value] = Token(value, client.client_id, self._clock.monotonic() + self.lifetime)
        return {"access_token": value, "expires_in": int(self.lifetime), "token_type": "Bearer"}

    def check(self, authorization: str | None) -> str | None:
        """The client id behind a valid ``Authorization: Bearer`` header, else None."""
        if not authorization or not authorization.startswith("Bearer "):
            return None
        with self._lock:
            token = self._tokens.get(authorization[len("Bearer ") :].strip())
            if token is None or self._clock.monotonic() >= token.expires_at:
                return None
            return token.client_id

    def expire_all(self) -> int:
        """Invalidate every issued token (the "token expiry mid-run" fault); returns how many."""
        with self._lock:
            count = len(self._tokens)
            self._tokens.clear()
            return count


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _jwt_shaped(client_id: str) -> str:
    header = _b64(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    payload = _b64(json.dumps({"client_id": client_id, "jti": secrets.token_hex(8)}).encode())
    return f"{header}.{payload}.{_b64(secrets.token_bytes(32))}"
