"""``OdcClient``: the facade the engine uses — one shared HTTP layer, one attribute per domain."""

from __future__ import annotations

import requests

from odc_pipeline.api.assets import AssetsApi
from odc_pipeline.api.builds import BuildsApi
from odc_pipeline.api.code_quality import CodeQualityApi
from odc_pipeline.api.configurations import ConfigurationsApi
from odc_pipeline.api.dependencies import DependenciesApi
from odc_pipeline.api.deployments import DeploymentsApi
from odc_pipeline.api.external_libraries import ExternalLibrariesApi
from odc_pipeline.api.http import HttpClient
from odc_pipeline.api.portfolio import PortfolioApi
from odc_pipeline.api.ratelimit import RateLimiter
from odc_pipeline.clock import Clock, SystemClock
from odc_pipeline.redaction import SECRETS, SecretRegistry
from odc_pipeline.settings import Settings


class OdcClient:
    """Client for one ODC organization.

    Every domain shares ``http`` so that one token, one connection pool and one set of rate
    limit windows serve the whole run. Pass a shared ``rate_limiter`` when several clients
    work on the same organization in one process.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        secrets: SecretRegistry = SECRETS,
        session: requests.Session | None = None,
        rate_limiter: RateLimiter | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.http = HttpClient(
            settings, clock=self.clock, secrets=secrets, session=session, rate_limiter=rate_limiter
        )
        self.assets = AssetsApi(self.http)
        self.builds = BuildsApi(self.http)
        self.dependencies = DependenciesApi(self.http)
        self.configurations = ConfigurationsApi(self.http)
        self.deployments = DeploymentsApi(self.http)
        self.portfolio = PortfolioApi(self.http)
        self.code_quality = CodeQualityApi(self.http)
        self.external_libraries = ExternalLibrariesApi(self.http)

    def close(self) -> None:
        self.http.session.close()

    def __enter__(self) -> OdcClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
