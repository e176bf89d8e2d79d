"""Token discovery, caching, refresh and the one transparent re-authentication on 401."""

from __future__ import annotations

import pytest

from odc_pipeline.api import AuthenticationError
from odc_pipeline.errors import ExitCode

from .conftest import CLIENT_ID, CLIENT_SECRET
from .stub import PORTAL, Reply

ENVS = "/api/portfolios/v2/environments"
TOKEN_PATH = "/auth/realms/r1/protocol/openid-connect/token"


def test_discovers_token_endpoint_and_sends_client_credentials_form(client, stub):
    stub.on("GET", ENVS, Reply(200, {"results": []}))
    client.portfolio.environments()

    assert [s.path for s in stub.seen[:2]] == ["/identity/.well-known/openid-configuration", TOKEN_PATH]
    token_request = stub.seen[1]
    assert token_request.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert token_request.form == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert stub.seen[2].headers["Authorization"] == f"Bearer {stub.tokens_issued[0]}"


def test_token_is_cached_across_calls(client, stub):
    stub.on("GET", ENVS, Reply(200, {"results": []}))
    for _ in range(5):
        client.portfolio.environments()
    assert len(stub.tokens_issued) == 1
    assert len(stub.calls("GET", "/identity/.well-known/openid-configuration")) == 1
    assert client.http.call_counts["GET /api/portfolios/v2/environments"] == 5


def test_token_is_renewed_shortly_before_it_expires(client, stub, clock):
    stub.on("GET", ENVS, Reply(200, {"results": []}))
    client.portfolio.environments()
    clock.advance(43200 - 301)  # still inside the lifetime minus the 5-minute margin
    client.portfolio.environments()
    assert len(stub.tokens_issued) == 1
    clock.advance(2)  # now within the margin: renew before the server would refuse it
    client.portfolio.environments()
    assert len(stub.tokens_issued) == 2
    assert stub.calls("GET", ENVS)[-1].headers["Authorization"] == f"Bearer {stub.tokens_issued[1]}"


def test_401_triggers_one_reauthentication_then_succeeds(client, stub):
    stub.on("GET", ENVS, Reply(401, {"title": "Unauthorized"}), Reply(200, {"results": [{"key": "e1"}]}))
    envs = client.portfolio.environments()
    assert [e.key for e in envs] == ["e1"]
    assert len(stub.tokens_issued) == 2
    calls = stub.calls("GET", ENVS)
    assert calls[0].headers["Authorization"] != calls[1].headers["Authorization"]


def test_second_401_raises_authentication_error_naming_the_client(client, stub):
    stub.on("GET", ENVS, Reply(401, {"title": "Unauthorized"}))
    with pytest.raises(AuthenticationError) as caught:
        client.portfolio.environments()
    assert len(stub.calls("GET", ENVS)) == 2  # exactly one re-authentication
    assert CLIENT_ID in str(caught.value)
    assert CLIENT_SECRET not in str(caught.value)
    assert caught.value.exit_code == ExitCode.AUTH


def test_refused_credentials_name_the_client_id_never_the_secret(client, stub):
    stub.on("POST", TOKEN_PATH, Reply(401, {"error": "invalid_client", "error_description": "bad secret"}))
    with pytest.raises(AuthenticationError) as caught:
        client.portfolio.environments()
    message = str(caught.value)
    assert CLIENT_ID in message
    assert "invalid_client" in message or "bad secret" in message
    assert CLIENT_SECRET not in message
    assert stub.api_calls() == []


def test_token_endpoint_answer_without_token_is_an_authentication_error(client, stub):
    stub.on("POST", TOKEN_PATH, Reply(200, {"token_type": "Bearer"}))
    with pytest.raises(AuthenticationError, match=CLIENT_ID):
        client.portfolio.environments()


def test_secret_is_never_sent_to_a_plain_http_token_endpoint(client, stub):
    stub.on(
        "GET",
        "/identity/.well-known/openid-configuration",
        Reply(200, {"token_endpoint": "http://evil.example.com/token"}),
    )
    with pytest.raises(AuthenticationError, match="non-https"):
        client.portfolio.environments()
    assert not any(s.path == "/token" for s in stub.seen)


def test_failed_discovery_points_at_the_portal_url(client, stub):
    stub.on("GET", "/identity/.well-known/openid-configuration", Reply(404, {"title": "nope"}))
    with pytest.raises(Exception, match="ODC_PORTAL_URL") as caught:
        client.portfolio.environments()
    assert PORTAL in str(caught.value)
