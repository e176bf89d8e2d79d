"""Portfolio v2: stages (environment keys) and what is deployed where (for verify)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from odc_pipeline.api.endpoints import PORTFOLIO
from odc_pipeline.api.http import HttpClient
from odc_pipeline.api.models.portfolio import DeployedAsset, Environment
from odc_pipeline.api.pagination import iter_offset_pages, results_of

KEYS_PER_REQUEST = 40  # asset keys per deployed-assets call (~1.6 KB of query; see deployed_assets)


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
        separated"), so several keys go as one comma-joined value (see openapi.serialize_query),
        at most :data:`KEYS_PER_REQUEST` a call: 200 joined keys make an 8 KB URL, what common
        gateways refuse (the limit is UNDOC), and a few more calls cost nothing next to that."""
        keys = list(dict.fromkeys(asset_keys)) if asset_keys else []
        chunks: list[list[str] | None] = [
            keys[start : start + KEYS_PER_REQUEST] for start in range(0, len(keys), KEYS_PER_REQUEST)
        ] or [None]
        for chunk in chunks:

            def fetch(offset: int, limit: int, chunk: list[str] | None = chunk) -> dict:
                return self._http.request(
                    "GET",
                    PORTFOLIO,
                    "/deployed-assets",
                    params={
                        "key": chunk,
                        "environmentKey": list(environment_keys) if environment_keys else None,
                        "limit": limit,
                        "offset": offset,
                    },
                )

            for item in iter_offset_pages(fetch):
                yield DeployedAsset.model_validate(item)
