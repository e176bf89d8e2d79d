"""Shared helpers for the pipeline file tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from odc_pipeline.redaction import SECRETS


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Loading registers secrets process-wide; each test starts and ends with none."""
    SECRETS.clear()
    yield
    SECRETS.clear()
