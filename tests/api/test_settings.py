"""Settings: portal URL forms, the loopback-only http rule, CA bundles and a secret that stays secret."""

from __future__ import annotations

import pytest

from odc_pipeline.errors import ConfigurationError
from odc_pipeline.settings import Settings

BASE = {"ODC_CLIENT_ID": "cid", "ODC_CLIENT_SECRET": "very-secret-value"}


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("acme.outsystems.app", "https://acme.outsystems.app"),
        ("https://acme.outsystems.app/", "https://acme.outsystems.app"),
        ("HTTPS://Acme.OutSystems.app/apps/x?y=1", "https://acme.outsystems.app"),
        ("acme.outsystems.app:8443", "https://acme.outsystems.app:8443"),
        ("http://127.0.0.1:8123", "http://127.0.0.1:8123"),
        ("http://localhost:9000/", "http://localhost:9000"),
        ("http://[::1]:9000", "http://[::1]:9000"),
    ],
)
def test_portal_url_forms(given, expected):
    assert Settings.from_env({**BASE, "ODC_PORTAL_URL": given}).portal_url == expected


@pytest.mark.parametrize("given", ["http://acme.outsystems.app", "ftp://acme", "http://10.0.0.5", "https://"])
def test_insecure_or_malformed_portal_urls_are_refused(given):
    with pytest.raises(ConfigurationError, match="ODC_PORTAL_URL"):
        Settings.from_env({**BASE, "ODC_PORTAL_URL": given})


def test_ca_bundle_prefers_odc_variable_and_falls_back_to_requests_one():
    env = {**BASE, "ODC_PORTAL_URL": "acme.outsystems.app", "REQUESTS_CA_BUNDLE": "/etc/req.pem"}
    assert Settings.from_env(env).verify == "/etc/req.pem"
    assert Settings.from_env({**env, "ODC_CA_BUNDLE": "/etc/odc.pem"}).verify == "/etc/odc.pem"
    assert Settings.from_env({**BASE, "ODC_PORTAL_URL": "acme.outsystems.app"}).verify is True


def test_environment_is_read_with_odc_prefix(monkeypatch):
    monkeypatch.setenv("ODC_PORTAL_URL", "acme.outsystems.app")
    monkeypatch.setenv("ODC_CLIENT_ID", "from-env")
    monkeypatch.setenv("ODC_CLIENT_SECRET", "very-secret-value")
    monkeypatch.setenv("ODC_READ_TIMEOUT", "12.5")
    monkeypatch.setenv("ODC_CA_BUNDLE", "/etc/odc.pem")
    settings = Settings()
    assert settings.client_id == "from-env"
    assert settings.timeout == (10.0, 12.5)
    assert settings.verify == "/etc/odc.pem"


def test_secret_is_not_printed():
    settings = Settings.from_env({**BASE, "ODC_PORTAL_URL": "acme.outsystems.app"})
    assert "very-secret-value" not in repr(settings)
    assert "very-secret-value" not in str(settings.model_dump())
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({**BASE, "ODC_PORTAL_URL": "http://acme", "ODC_READ_TIMEOUT": "very-secret-value"})
    assert "very-secret-value" not in str(caught.value)
    assert "ODC_READ_TIMEOUT" in str(caught.value)
