"""``LifetimeClient``: one LifeTime (OutSystems 11), one attribute per domain, one shared HTTP layer."""

from __future__ import annotations

import requests

from odc_pipeline.clock import Clock, SystemClock
from odc_pipeline.lifetime.applications import ApplicationsApi
from odc_pipeline.lifetime.deployments import DeploymentsApi
from odc_pipeline.lifetime.environments import EnvironmentsApi
from odc_pipeline.lifetime.http import LifetimeHttp
from odc_pipeline.lifetime.modules import ModulesApi
from odc_pipeline.lifetime.properties import PropertiesApi
from odc_pipeline.lifetime.settings import LifetimeSettings
from odc_pipeline.lifetime.versions import VersionsApi
from odc_pipeline.redaction import SECRETS, SecretRegistry


class LifetimeClient:
    """Client for one LifeTime installation (the LifeTime API v2 and the Properties API).

    The token is registered in ``secrets`` (default: the process-wide SECRETS) when the client
    is built, so no log line, report or error message can carry it.
    """

    def __init__(
        self,
        settings: LifetimeSettings,
        *,
        clock: Clock | None = None,
        secrets: SecretRegistry = SECRETS,
        session: requests.Session | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or SystemClock()
        self.http = LifetimeHttp(settings, clock=self.clock, secrets=secrets, session=session)
        self.environments = EnvironmentsApi(self.http)
        self.applications = ApplicationsApi(self.http)
        self.versions = VersionsApi(self.http, self.applications.status_in)
        self.deployments = DeploymentsApi(self.http)
        self.properties = PropertiesApi(self.http)
        self.modules = ModulesApi(self.http)

    def close(self) -> None:
        self.http.session.close()

    def __enter__(self) -> LifetimeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
