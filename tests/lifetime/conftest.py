"""Fixtures: a LifeTime client on the stub transport, a ManualClock and a private secret registry."""

from __future__ import annotations

import pytest
import requests

from odc_pipeline.clock import ManualClock
from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
from odc_pipeline.redaction import SecretRegistry

from .stub import LT, StubLifetime

TOKEN = "lt-service-account-token-7Qx9"


@pytest.fixture
def lt_settings() -> LifetimeSettings:
    return LifetimeSettings.from_env({"LIFETIME_URL": LT, "LIFETIME_TOKEN": TOKEN})


@pytest.fixture
def stub() -> StubLifetime:
    return StubLifetime()


@pytest.fixture
def lt(
    lt_settings: LifetimeSettings, clock: ManualClock, secrets: SecretRegistry, stub: StubLifetime
) -> LifetimeClient:
    session = requests.Session()
    session.mount("https://", stub)
    client = LifetimeClient(lt_settings, clock=clock, secrets=secrets, session=session)
    client.http.core.jitter = lambda value: value  # deterministic backoff: the full ceiling each time
    return client
