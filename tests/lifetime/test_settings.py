"""LifeTime settings: from the environment, named clearly when wrong, never TLS-off, token secret."""

from __future__ import annotations

import pytest

from odc_pipeline.errors import ConfigurationError, ExitCode
from odc_pipeline.lifetime import LifetimeSettings

TOKEN = "s3cret-token-value"


def settings(**env: str) -> LifetimeSettings:
    return LifetimeSettings.from_env({"LIFETIME_TOKEN": TOKEN, **env})


def test_missing_settings_are_named():
    with pytest.raises(ConfigurationError) as caught:
        LifetimeSettings.from_env({})
    message = str(caught.value)
    assert "LIFETIME_URL, LIFETIME_TOKEN not set" in message
    assert caught.value.exit_code == ExitCode.USAGE


def test_the_url_is_normalised_to_the_host():
    assert settings(LIFETIME_URL="lifetime.acme.com").url == "https://lifetime.acme.com"
    pasted = settings(LIFETIME_URL="https://lifetime.acme.com:8443/lifetimeapi/rest/v2/")
    assert pasted.url == "https://lifetime.acme.com:8443"


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"])
def test_plain_http_only_for_loopback(url):
    assert settings(LIFETIME_URL=url).url.startswith("http://")


def test_plain_http_to_a_network_host_is_refused():
    with pytest.raises(ConfigurationError) as caught:
        settings(LIFETIME_URL="http://lifetime.acme.com")
    assert "LIFETIME_URL" in str(caught.value)
    assert "https://lifetime.acme.com" in str(caught.value)


def test_credentials_in_the_url_are_refused_without_echoing_them():
    with pytest.raises(ConfigurationError) as caught:
        settings(LIFETIME_URL="https://svc:hunter22@lifetime.acme.com")
    assert "the LifeTime URL must not contain credentials" in str(caught.value)
    assert "hunter22" not in str(caught.value)


def test_tls_verification_is_never_off(tmp_path):
    assert settings(LIFETIME_URL="lt.acme.com").verify is True
    bundle = tmp_path / "ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    assert settings(LIFETIME_URL="lt.acme.com", LIFETIME_CA_BUNDLE=str(bundle)).verify == str(bundle)
    assert settings(LIFETIME_URL="lt.acme.com", REQUESTS_CA_BUNDLE=str(bundle)).verify == str(bundle)
    with pytest.raises(ConfigurationError) as caught:
        settings(LIFETIME_URL="lt.acme.com", LIFETIME_CA_BUNDLE="false")
    assert "LIFETIME_CA_BUNDLE" in str(caught.value)
    assert "cannot be switched off" in str(caught.value)


def test_timeouts_and_retries_come_from_the_environment():
    tuned = settings(
        LIFETIME_URL="lt.acme.com",
        LIFETIME_CONNECT_TIMEOUT="3",
        LIFETIME_READ_TIMEOUT="7",
        LIFETIME_MAX_ATTEMPTS="2",
    )
    assert tuned.timeout == (3.0, 7.0)
    assert tuned.max_attempts == 2
    with pytest.raises(ConfigurationError) as caught:
        settings(LIFETIME_URL="lt.acme.com", LIFETIME_READ_TIMEOUT="0")
    assert "LIFETIME_READ_TIMEOUT" in str(caught.value)


@pytest.mark.parametrize("token", ["", "   ", "two words", "line\nbreak"])
def test_a_token_unfit_for_a_header_is_refused_without_echoing_it(token):
    with pytest.raises(ConfigurationError) as caught:
        LifetimeSettings.from_env({"LIFETIME_URL": "lt.acme.com", "LIFETIME_TOKEN": token})
    assert "LIFETIME_TOKEN" in str(caught.value)
    if token.strip():
        assert token not in str(caught.value)


def test_the_token_is_a_secret_string():
    loaded = settings(LIFETIME_URL="lt.acme.com")
    assert TOKEN not in repr(loaded)
    assert TOKEN not in str(loaded.model_dump())
    assert loaded.token.get_secret_value() == TOKEN


def test_from_os_environ(monkeypatch):
    monkeypatch.setenv("LIFETIME_URL", "lt.acme.com")
    monkeypatch.setenv("LIFETIME_TOKEN", TOKEN)
    assert LifetimeSettings.from_env().url == "https://lt.acme.com"
