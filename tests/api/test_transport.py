"""What the HTTP layer hands to ``requests``: TLS verification, timeouts and proxies from the environment.

The stub transport records the options ``requests`` passes to it, so these tests see exactly
what a real adapter would get after ``requests`` merged the session and the environment.
"""

from __future__ import annotations

import logging

import requests

from odc_pipeline.api import OdcClient
from odc_pipeline.api.http import _new_session
from odc_pipeline.clock import ManualClock
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.settings import Settings

from .conftest import CLIENT_ID, CLIENT_SECRET
from .stub import PORTAL, Reply, StubOdc

ENVS = "/api/portfolios/v2/environments"
PROXY_VARIABLES = ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy")


def make_client(stub: StubOdc, **env: str) -> OdcClient:
    settings = Settings.from_env(
        {"ODC_PORTAL_URL": PORTAL, "ODC_CLIENT_ID": CLIENT_ID, "ODC_CLIENT_SECRET": CLIENT_SECRET, **env}
    )
    session = _new_session()  # the production session (trust_env on), with the stub as transport
    session.mount("https://", stub)
    stub.on("GET", ENVS, Reply(200, {"results": []}))
    return OdcClient(settings, clock=ManualClock(), secrets=SecretRegistry(), session=session)


def clear_proxies(monkeypatch) -> None:
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


def test_every_request_verifies_tls_with_the_configured_bundle(tmp_path, monkeypatch):
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")  # ODC_ wins
    stub = StubOdc()
    client = make_client(stub, ODC_CA_BUNDLE=str(bundle))
    client.portfolio.environments()
    assert client.http.session.verify == str(bundle)
    assert [s.options["verify"] for s in stub.seen] == [str(bundle)] * 3  # discovery, token, call


def test_without_a_bundle_tls_is_verified_against_the_default_store(monkeypatch):
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    stub = StubOdc()
    client = make_client(stub)
    client.portfolio.environments()
    assert client.http.session.verify is True
    assert all(s.options["verify"] is True for s in stub.seen)


def test_requests_ca_bundle_from_the_environment_is_honoured(tmp_path, monkeypatch):
    bundle = tmp_path / "env-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    stub = StubOdc()
    client = make_client(stub, REQUESTS_CA_BUNDLE=str(bundle))
    client.portfolio.environments()
    assert {s.options["verify"] for s in stub.seen} == {str(bundle)}


def test_connect_and_read_timeouts_are_sent_on_every_request():
    stub = StubOdc()
    client = make_client(stub, ODC_CONNECT_TIMEOUT="4", ODC_READ_TIMEOUT="33")
    client.portfolio.environments()
    assert [s.options["timeout"] for s in stub.seen] == [(4.0, 33.0)] * 3


def test_proxies_come_from_the_environment(monkeypatch):
    clear_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    stub = StubOdc()
    client = make_client(stub)
    assert client.http.session.trust_env is True
    client.portfolio.environments()
    assert all(s.options["proxies"].get("https") == "http://proxy.corp.example:3128" for s in stub.seen)


def test_no_proxy_exempts_the_portal(monkeypatch):
    clear_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp.example:3128")
    monkeypatch.setenv("NO_PROXY", "acme.example.com")
    stub = StubOdc()
    make_client(stub).portfolio.environments()
    assert all("https" not in s.options["proxies"] for s in stub.seen)


def test_keep_alive_session_is_shared_by_every_domain():
    stub = StubOdc()
    client = make_client(stub)
    assert isinstance(client.http.session, requests.Session)
    domains = (client.assets, client.builds, client.deployments, client.portfolio, client.code_quality)
    assert {id(domain._http) for domain in domains} == {id(client.http)}


def test_deprecation_and_sunset_headers_warn_once_per_endpoint(client, stub, caplog):
    headers = {"Deprecation": "@1783468800", "Sunset": "Fri, 08 Jan 2027 00:00:00 GMT"}
    stub.on("GET", ENVS, Reply(200, {"results": []}, headers))
    stub.on("GET", "/api/portfolios/v2/deployed-assets", Reply(200, {"results": []}, {"Sunset": "soon"}))
    caplog.set_level(logging.WARNING, logger="odc_pipeline")
    for _ in range(3):
        client.portfolio.environments()
        list(client.portfolio.deployed_assets())
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2
    assert "GET /api/portfolios/v2/environments" in warnings[0]
    assert "Sunset: Fri, 08 Jan 2027" in warnings[0]
    assert "deployed-assets" in warnings[1]


def test_no_deprecation_warning_without_the_headers(client, stub, caplog):
    stub.on("GET", ENVS, Reply(200, {"results": []}))
    caplog.set_level(logging.WARNING, logger="odc_pipeline")
    client.portfolio.environments()
    assert [r for r in caplog.records if r.levelno >= logging.WARNING] == []


def test_connection_pool_holds_every_parallel_deploy():
    """A pool smaller than deploy.max-parallel would reopen (and re-handshake) connections."""
    from odc_pipeline.api.http import _new_session
    from odc_pipeline.pipeline_file.models import DeployStage

    adapter = _new_session().get_adapter("https://acme.outsystems.app/")
    field = DeployStage.model_json_schema()["properties"]["max-parallel"]
    max_parallel = next(option["maximum"] for option in field["anyOf"] if "maximum" in option)
    assert max_parallel == 50
    assert adapter._pool_maxsize >= max_parallel
