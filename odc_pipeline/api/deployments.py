"""Deployments: start Deploy / Undeploy / ApplyConfigs, follow them, read their messages."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Mapping, Sequence
from itertools import islice
from typing import Any

from odc_pipeline.api.endpoints import DEPLOYMENTS
from odc_pipeline.api.http import FindAgain, HttpClient
from odc_pipeline.api.models.deployments import (
    DeploymentMessage,
    DeploymentOperation,
    DeploymentRequest,
    DeploymentStatus,
)
from odc_pipeline.api.pagination import DEFAULT_PAGE_SIZE, iter_cursor_pages, iter_offset_pages


class DeploymentsApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def start(
        self,
        *,
        operation: str,
        asset_key: str,
        environment_key: str,
        revision: int | None = None,
        build_key: str | None = None,
        find_again: FindAgain | None = None,
    ) -> DeploymentOperation:
        """Start one operation on one asset and stage (POST, 10/min per organization).

        Deploy needs ``build_key`` and ``revision``; ApplyConfigs needs ``revision`` too (the
        how-to omits it, the spec calls it mandatory). ``find_again`` — usually
        :meth:`finder` — is asked when the POST's outcome is unknown.
        """
        body = DeploymentRequest(
            operation=operation,
            asset_key=asset_key,
            environment_key=environment_key,
            revision=revision,
            build_key=build_key,
        )
        result = self._http.request(
            "POST", DEPLOYMENTS, "/deployment-operations", json=body.to_json(), find_again=find_again
        )
        return DeploymentOperation.model_validate(result)

    def finder(self, *, operation: str, asset_key: str, environment_key: str) -> FindAgain:
        """A find-again hook: a Running operation of this kind for this asset on this stage."""

        def find() -> Mapping[str, Any] | None:
            running = self.list(
                environment_key=environment_key,
                asset_key=asset_key,
                status=DeploymentStatus.RUNNING,
                operations=[operation],
                limit=10,
            )
            for op in running:
                return op.model_dump(mode="json", by_alias=True)
            return None

        return find

    def get(self, key: str) -> DeploymentOperation:
        body = self._http.request(
            "GET", DEPLOYMENTS, "/deployment-operations/{operationKey}", path_params={"operationKey": key}
        )
        return DeploymentOperation.model_validate(body)

    def list(
        self,
        *,
        environment_key: str | None = None,
        asset_key: str | None = None,
        status: str | None = None,
        operations: Sequence[str] | None = None,
        revision: int | None = None,
        sort: str = "-CreatedAt",
        limit: int | None = None,
    ) -> Iterator[DeploymentOperation]:
        """Operations matching the filters, newest first; ``limit`` caps the total yielded."""
        page_size = min(limit, DEFAULT_PAGE_SIZE) if limit else DEFAULT_PAGE_SIZE

        def fetch(offset: int, size: int) -> dict:
            return self._http.request(
                "GET",
                DEPLOYMENTS,
                "/deployment-operations",
                params={
                    "environmentKey": environment_key,
                    "assetKey": asset_key,
                    "status": status,
                    "operations": builtins.list(operations) if operations else None,
                    "revision": revision,
                    "sort": sort,
                    "limit": size,
                    "offset": offset,
                },
            )

        items = (DeploymentOperation.model_validate(i) for i in iter_offset_pages(fetch, limit=page_size))
        return islice(items, limit) if limit else items

    def messages(self, key: str) -> Iterator[DeploymentMessage]:
        """Progress messages of an operation (string-cursor pages)."""

        def fetch(cursor: str | None, size: int) -> dict:
            return self._http.request(
                "GET",
                DEPLOYMENTS,
                "/deployment-operations/{operationKey}/messages",
                path_params={"operationKey": key},
                params={"limit": size, "offset": cursor},
            )

        for item in iter_cursor_pages(fetch):
            yield DeploymentMessage.model_validate(item)
