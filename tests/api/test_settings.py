"""Settings: portal URL forms, the loopback-only http rule, CA bundles and a secret that stays secret."""

from __future__ import annotations

import pytest

from odc_pipeline.errors import ConfigurationError, ExitCode
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


@pytest.fixture
def bundles(tmp_path):
    odc, req = tmp_path / "odc.pem", tmp_path / "req.pem"
    odc.write_text("odc ca")
    req.write_text("requests ca")
    return str(odc), str(req)


def test_ca_bundle_prefers_odc_variable_and_falls_back_to_requests_one(bundles):
    odc, req = bundles
    env = {**BASE, "ODC_PORTAL_URL": "acme.outsystems.app", "REQUESTS_CA_BUNDLE": req}
    assert Settings.from_env(env).verify == req
    assert Settings.from_env({**env, "ODC_CA_BUNDLE": odc}).verify == odc
    assert Settings.from_env({**BASE, "ODC_PORTAL_URL": "acme.outsystems.app"}).verify is True


@pytest.mark.parametrize("variable", ["ODC_CA_BUNDLE", "REQUESTS_CA_BUNDLE"])
@pytest.mark.parametrize("value", ["/no/such/ca.pem", "false", "0"])
def test_a_ca_bundle_that_does_not_exist_is_refused_never_read_as_no_verification(variable, value):
    with pytest.raises(ConfigurationError, match="ODC_CA_BUNDLE") as caught:
        Settings.from_env({**BASE, "ODC_PORTAL_URL": "acme.outsystems.app", variable: value})
    assert "does not exist" in str(caught.value)


def test_environment_is_read_with_odc_prefix(monkeypatch, bundles):
    monkeypatch.setenv("ODC_PORTAL_URL", "acme.outsystems.app")
    monkeypatch.setenv("ODC_CLIENT_ID", "from-env")
    monkeypatch.setenv("ODC_CLIENT_SECRET", "very-secret-value")
    monkeypatch.setenv("ODC_READ_TIMEOUT", "12.5")
    monkeypatch.setenv("ODC_CONNECT_TIMEOUT", "3")
    monkeypatch.setenv("ODC_CA_BUNDLE", bundles[0])
    settings = Settings()
    assert settings.client_id == "from-env"
    assert settings.timeout == (3.0, 12.5)
    assert settings.verify == bundles[0]
    monkeypatch.delenv("ODC_CA_BUNDLE")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", bundles[1])
    assert Settings.from_env().verify == bundles[1]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("ODC_PORTAL_URL", ""),
        ("ODC_CLIENT_ID", ""),
        ("ODC_CONNECT_TIMEOUT", "0"),
        ("ODC_READ_TIMEOUT", "soon"),
        ("ODC_MAX_ATTEMPTS", "0"),
    ],
)
def test_configuration_errors_name_the_variable(variable, value):
    env = {**BASE, "ODC_PORTAL_URL": "acme.outsystems.app", variable: value}
    with pytest.raises(ConfigurationError, match=variable) as caught:
        Settings.from_env(env)
    assert "very-secret-value" not in str(caught.value)
    assert caught.value.exit_code == ExitCode.USAGE


def test_missing_variables_are_all_named(monkeypatch):
    for name in ("ODC_PORTAL_URL", "ODC_CLIENT_ID", "ODC_CLIENT_SECRET"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env()
    for name in ("ODC_PORTAL_URL", "ODC_CLIENT_ID", "ODC_CLIENT_SECRET"):
        assert name in str(caught.value)
    assert "not set" in str(caught.value)
    assert "Field required" not in str(caught.value)


def test_secret_is_not_printed():
    settings = Settings.from_env({**BASE, "ODC_PORTAL_URL": "acme.outsystems.app"})
    assert "very-secret-value" not in repr(settings)
    assert "very-secret-value" not in str(settings.model_dump())
    with pytest.raises(ConfigurationError) as caught:
        Settings.from_env({**BASE, "ODC_PORTAL_URL": "http://acme", "ODC_READ_TIMEOUT": "very-secret-value"})
    assert "very-secret-value" not in str(caught.value)
    assert "ODC_READ_TIMEOUT" in str(caught.value)


def test_secret_is_not_in_the_repr_of_settings_or_of_a_client_built_from_them():
    settings = Settings.from_env({**BASE, "ODC_PORTAL_URL": "acme.outsystems.app"})
    for text in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.client_secret)):
        assert "very-secret-value" not in text
    assert settings.client_secret.get_secret_value() == "very-secret-value"
