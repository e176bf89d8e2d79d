"""Portfolio v2: stages (environment keys) and what is deployed where (for verify)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from odc_pipeline.api.endpoints import PORTFOLIO
from odc_pipeline.api.http import HttpClient
from odc_pipeline.api.models.portfolio import DeployedAsset, Environment
from odc_pipeline.api.pagination import iter_offset_pages, results_of


class PortfolioApi:
    def __init__(self, http: HttpClient) -> None:
        self._http = http

    def environments(self) -> list[Environment]:
        """Stages the client may view, sorted by ``order`` (unpaged)."""
        body = self._http.request("GET", PORTFOLIO, "/environments")
        return sorted((Environment.model_validate(i) for i in results_of(body)), key=lambda e: e.order)

    def deployed_assets(
        self, *, asset_keys: Sequence[str] | None = None, environment_keys: Sequence[str] | None = None
    ) -> Iterator[DeployedAsset]:
        """Deployed assets (paged). ``key`` and ``environmentKey`` are strings in the spec ("comma
        separated"), so several keys go as one comma-joined value (see openapi.serialize_query)."""

        def fetch(offset: int, limit: int) -> dict:
            return self._http.request(
                "GET",
                PORTFOLIO,
                "/deployed-assets",
                params={
                    "key": list(asset_keys) if asset_keys else None,
                    "environmentKey": list(environment_keys) if environment_keys else None,
                    "limit": limit,
                    "offset": offset,
                },
            )

        for item in iter_offset_pages(fetch):
            yield DeployedAsset.model_validate(item)
