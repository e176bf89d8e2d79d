"""External Library Generation: upload a .zip, generate a library from it, follow it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from odc_pipeline.api.endpoints import EXTERNAL_LIBRARIES
from odc_pipeline.api.errors import ApiError
from odc_pipeline.api.http import FindAgain, HttpClient
from odc_pipeline.api.models.external_libraries import (
    GenerationOperation,
    GenerationRequest,
    GenerationStarted,
    UploadUrls,
)
from odc_pipeline.api.pagination import results_of

CLOCK_SKEW = timedelta(seconds=30)


class ExternalLibrariesApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def get_upload_urls(self) -> UploadUrls:
        """A pre-signed upload URL and its download URL (both registered as secrets: they grant access)."""
        body = self._http.request("GET", EXTERNAL_LIBRARIES, "/uploads")
        urls = UploadUrls.model_validate(body or {})
        for url in (urls.upload_url, urls.download_url):
            if url and "?" in url:
                self._http.secrets.register(url.split("?", 1)[1])
        return urls

    def upload(self, upload_url: str, data: bytes) -> None:
        """PUT the file to the pre-signed URL (no ODC token is sent there)."""
        self._http.put_external(upload_url, data)

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
            body = self._http.request("GET", EXTERNAL_LIBRARIES, "/generation-operations")
            for item in results_of(body):
                op = GenerationOperation.model_validate(item)
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
