"""External Library Generation: upload a .zip, generate a library from it, follow it."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta
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

CLOCK_SKEW = timedelta(seconds=30)


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
        """Start generating a library from the uploaded file; returns the operation key.

        A lost answer is looked up like a lost build or deploy (``find_again`` defaults to
        :meth:`finder`): a second generation of the same file would be a second library version.
        """
        body = GenerationRequest(file_name=file_name, high_code_binary_uri=binary_uri)
        if find_again is None:
            find_again = self.finder(file_name)
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

    def finder(self, file_name: str) -> FindAgain:
        """A find-again hook: a generation of ``file_name`` created since the hook was made.

        ODC's clock may lag ours, so "since" allows :data:`CLOCK_SKEW`; the listing is sorted by
        ``createdAt`` descending (spec), so the first page holds any operation just started.
        """
        made_at = self._http.clock.now()

        def find() -> Mapping[str, Any] | None:
            for op in self.list_generations():
                created = op.created_at
                if created is not None and created.tzinfo is None:
                    created = created.replace(tzinfo=made_at.tzinfo)
                if op.filename == file_name and created is not None and created >= made_at - CLOCK_SKEW:
                    return {"operationKey": op.key}
            return None

        return find

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
