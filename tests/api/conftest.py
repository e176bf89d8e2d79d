"""Fixtures: a client wired to the stub transport, a ManualClock and a private secret registry."""

from __future__ import annotations

import pytest
import requests

from odc_pipeline.api import OdcClient
from odc_pipeline.clock import ManualClock
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.settings import Settings

from .stub import PORTAL, StubOdc

CLIENT_ID = "ci-pipeline-client"
CLIENT_SECRET = "Sup3r-Secret-Value-42"


@pytest.fixture
def settings() -> Settings:
    return Settings.from_env(
        {"ODC_PORTAL_URL": PORTAL, "ODC_CLIENT_ID": CLIENT_ID, "ODC_CLIENT_SECRET": CLIENT_SECRET}
    )


@pytest.fixture
def stub() -> StubOdc:
    return StubOdc()


@pytest.fixture
def client(settings: Settings, clock: ManualClock, secrets: SecretRegistry, stub: StubOdc) -> OdcClient:
    session = requests.Session()
    session.mount("https://", stub)
    odc = OdcClient(settings, clock=clock, secrets=secrets, session=session)
    odc.http.jitter = lambda value: value  # deterministic backoff: the full ceiling each time
    return odc
