"""External Library Generation: upload a .zip, generate a library from it, follow it."""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from odc_pipeline.api.endpoints import EXTERNAL_LIBRARIES
from odc_pipeline.api.errors import ApiError
from odc_pipeline.api.http import FindAgain, HttpClient
from odc_pipeline.api.models.external_libraries import (
    GenerationLog,
    GenerationOperation,
    GenerationRequest,
    GenerationStarted,
    UploadUrls,
)


def _register_url(http: HttpClient, url: str) -> None:
    """The URL, its path with and without the query (HTTP debug logs print those), the query."""
    parts = urlsplit(url)
    spellings = [url, parts.path]
    if parts.query:
        spellings += [f"{parts.path}?{parts.query}", parts.query]
    for spelling in spellings:
        if len(spelling) > 1:
            http.secrets.register(spelling)


class ExternalLibrariesApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def get_upload_urls(self) -> UploadUrls:
        """A pre-signed upload URL and its download URL.

        Both grant access to the package without any other credential, so each whole URL and
        its query string (the signature) are registered as secrets before anything can log them.
        """
        body = self._http.request("GET", EXTERNAL_LIBRARIES, "/uploads")
        urls = UploadUrls.model_validate(body or {})
        for url in (urls.upload_url, urls.download_url):
            if url:
                _register_url(self._http, url)
        return urls

    def upload(self, upload_url: str, package: bytes | str | os.PathLike[str]) -> None:
        """PUT the package to the pre-signed URL (no ODC token is sent there).

        A path is streamed from disk, re-opened for each attempt, never read into memory.
        """
        if isinstance(package, bytes):
            self._http.put_external(upload_url, package)
            return
        path = os.fspath(package)

        def open_package() -> Any:
            return open(path, "rb")

        self._http.put_external(upload_url, open_package)

    def start_generation(
        self, *, file_name: str, binary_uri: str, find_again: FindAgain | None = None
    ) -> str:
        """Start generating a library from the uploaded file; returns the operation key."""
        body = GenerationRequest(file_name=file_name, high_code_binary_uri=binary_uri)
        result = self._http.request(
            "POST", EXTERNAL_LIBRARIES, "/generation-operations", json=body.to_json(), find_again=find_again
        )
        started = GenerationStarted.model_validate(result or {})
        if not started.operation_key:
            raise ApiError(
                "POST /generation-operations answered without an operationKey",
                method="POST",
                path="/api/external-libraries/v1/generation-operations",
            )
        return started.operation_key

    def get_generation(self, key: str) -> GenerationOperation:
        body = self._http.request(
            "GET",
            EXTERNAL_LIBRARIES,
            "/generation-operations/{operationKey}",
            path_params={"operationKey": key},
        )
        return GenerationOperation.model_validate(body or {})

    def list_generations(self) -> list[GenerationOperation]:
        """Every generation operation the client may see, newest first (the spec's order)."""
        body = self._http.request("GET", EXTERNAL_LIBRARIES, "/generation-operations")
        return [GenerationOperation.model_validate(item) for item in (body or {}).get("results") or []]

    def log_messages(self, key: str) -> GenerationLog:
        """The validation messages of a generation (why a GenerationError happened)."""
        body = self._http.request(
            "GET",
            EXTERNAL_LIBRARIES,
            "/generation-operations/{operationKey}/log-messages",
            path_params={"operationKey": key},
        )
        return GenerationLog.model_validate(body or {})
