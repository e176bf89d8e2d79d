"""Fixtures every test folder shares: a ManualClock and a private secret registry.

Folders that need something else under the same name (``tests/ci`` registers a hostile
secret) define their own, which pytest prefers.
"""

from __future__ import annotations

import pytest

from odc_pipeline.clock import ManualClock
from odc_pipeline.redaction import SecretRegistry


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def secrets() -> SecretRegistry:
    return SecretRegistry()
