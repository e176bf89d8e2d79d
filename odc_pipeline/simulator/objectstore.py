"""The object store behind ``GET /uploads``: pre-signed PUT and GET URLs, like S3's.

ODC hands out an S3 pre-signed ``uploadUrl`` and ``downloadUrl`` (odc-api-notes §3.7). What a
client must get right against such a store, and what this one therefore enforces:

* the URL's query string *is* the credential: a wrong or missing signature is ``403``, a
  request after the URL's expiry is ``403 Request has expired``, and a request that also
  carries an ``Authorization`` header is ``400`` (S3: "Only one auth mechanism allowed") — so a
  client that leaks its ODC bearer token to storage fails here, not in production;
* a PUT needs a ``Content-Length`` (S3 refuses chunked uploads to pre-signed URLs: ``411``);
* the content type, size and sha256 of every object are recorded, so tests can check what the
  client uploaded without the simulator keeping large packages in memory (bodies are spooled
  to a temporary file past 1 MiB and hashed while they stream in).
"""

from __future__ import annotations

import hashlib
import secrets
import tempfile
import threading
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import parse_qs

CHUNK = 64 * 1024
SPOOL_LIMIT = 1024 * 1024
UPLOADS = "uploads/"
DOWNLOADS = "downloads/"


class StoreRefusal(Exception):
    """What S3 would answer instead of storing or serving an object."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code

    def xml(self) -> bytes:
        return (
            f'<?xml version="1.0" encoding="UTF-8"?><Error><Code>{self.code}</Code>'
            f"<Message>{self}</Message></Error>"
        ).encode()


@dataclass
class StoredObject:
    """One uploaded package: what the client sent, as the store saw it."""

    name: str
    content_type: str
    size: int
    sha256: str
    body: IO[bytes] = field(repr=False)
    authorization_sent: bool = False

    def read(self) -> bytes:
        self.body.seek(0)
        return self.body.read()


@dataclass
class _Grant:
    signature: str
    expires_at: float  # monotonic clock time


class ObjectStore:
    """Pre-signed grants and the objects uploaded with them (thread-safe)."""

    def __init__(self, lifetime_seconds: float) -> None:
        self.lifetime_seconds = lifetime_seconds
        self._lock = threading.Lock()
        self._grants: dict[str, _Grant] = {}
        self.objects: dict[str, StoredObject] = {}
        self.refusals: list[tuple[str, int, str]] = []  # (name, status, code), for tests

    def presign(self, base_url: str, now: float) -> tuple[str, str, str]:
        """``(name, uploadUrl, downloadUrl)`` valid for ``lifetime_seconds`` from ``now``."""
        name = secrets.token_hex(16)
        signature = secrets.token_hex(32)
        with self._lock:
            self._grants[name] = _Grant(signature, now + self.lifetime_seconds)
        query = f"X-Amz-Expires={int(self.lifetime_seconds)}&X-Amz-Signature={signature}"
        return (
            name,
            f"{base_url}/_simulator/{UPLOADS}{name}?{query}",
            f"{base_url}/_simulator/{DOWNLOADS}{name}?{query}",
        )

    def _check(self, name: str, query: str, now: float, authorization: str | None) -> None:
        grant = self._grants.get(name)
        signature = (parse_qs(query).get("X-Amz-Signature") or [""])[-1]
        if authorization:
            raise StoreRefusal(400, "InvalidArgument", "Only one auth mechanism allowed.")
        if grant is None or not secrets.compare_digest(signature, grant.signature):
            raise StoreRefusal(403, "SignatureDoesNotMatch", "The request signature does not match.")
        if now > grant.expires_at:
            raise StoreRefusal(403, "AccessDenied", "Request has expired.")

    def put(
        self,
        name: str,
        query: str,
        *,
        now: float,
        headers: Any,
        stream: IO[bytes],
    ) -> StoredObject:
        """Store the body read from ``stream`` (``Content-Length`` bytes) under ``name``."""
        length_text = headers.get("Content-Length")
        try:
            self._check(name, query, now, headers.get("Authorization"))
            if length_text is None or headers.get("Transfer-Encoding"):
                raise StoreRefusal(411, "MissingContentLength", "You must provide the Content-Length header.")
        except StoreRefusal as refusal:
            self.refusals.append((name, refusal.status, refusal.code))
            raise
        remaining = int(length_text)
        digest = hashlib.sha256()
        body = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)  # noqa: SIM115 (kept with the object)
        size = 0
        while remaining > 0:
            chunk = stream.read(min(CHUNK, remaining))
            if not chunk:
                break
            digest.update(chunk)
            body.write(chunk)
            size += len(chunk)
            remaining -= len(chunk)
        stored = StoredObject(
            name=name,
            content_type=headers.get("Content-Type") or "binary/octet-stream",
            size=size,
            sha256=digest.hexdigest(),
            body=body,
        )
        with self._lock:
            previous = self.objects.get(name)
            self.objects[name] = stored
        if previous is not None:
            previous.body.close()
        return stored

    def get(self, name: str, query: str, *, now: float, authorization: str | None) -> StoredObject:
        with self._lock:
            self._check(name, query, now, authorization)
            found = self.objects.get(name)
        if found is None:
            raise StoreRefusal(404, "NoSuchKey", "The specified key does not exist.")
        return found

    def uploaded(self, download_url: str, now: float) -> StoredObject | None:
        """The object a ``highCodeBinaryUri`` names, when it is readable now (for generation)."""
        path, _, query = download_url.partition("?")
        marker = f"/_simulator/{DOWNLOADS}"
        if marker not in path:
            return None
        try:
            return self.get(path.rsplit("/", 1)[-1], query, now=now, authorization=None)
        except StoreRefusal:
            return None
