"""The client secret and access tokens appear in no log record and no exception text."""

from __future__ import annotations

import logging

import pytest

from odc_pipeline.api import ApiError

from .conftest import CLIENT_SECRET
from .stub import Reply, dropped

GET_BUILD = "/api/builds/v1/build-operations/b1"


def test_secret_and_token_never_reach_logs_or_errors(client, stub, secrets, caplog):
    caplog.set_level(logging.DEBUG)
    failures: list[BaseException] = []

    # Hostile server: echoes the Authorization header back in every error body.
    def echo(status):
        return lambda seen: Reply(status, {"title": "echo", "detail": seen.headers.get("Authorization", "")})

    stub.on("GET", GET_BUILD, Reply(429), dropped(), Reply(401), echo(403))
    stub.on("POST", "/api/builds/v1/build-operations", echo(400))
    stub.on("GET", "/api/portfolios/v2/environments", echo(500))
    for call in (
        lambda: client.builds.get("b1"),
        lambda: client.builds.start("a1", 1),
        client.portfolio.environments,
    ):
        with pytest.raises(ApiError) as caught:
            call()
        failures.append(caught.value)
    stub.on(
        "POST",
        "/auth/realms/r1/protocol/openid-connect/token",
        lambda seen: Reply(401, {"error": "invalid_client", "error_description": seen.form["client_secret"]}),
    )
    client.http.auth.invalidate(stub.tokens_issued[-1])
    with pytest.raises(ApiError) as caught:
        client.portfolio.environments()
    failures.append(caught.value)

    tokens = stub.tokens_issued
    assert len(tokens) == 2
    assert all(token in secrets for token in tokens)
    assert CLIENT_SECRET in secrets
    texts = [record.getMessage() for record in caplog.records]
    texts += [str(exc) for exc in failures] + [repr(exc) for exc in failures]
    texts += [exc.problem.model_dump_json() for exc in failures if isinstance(exc, ApiError)]
    assert len(caplog.records) > 3  # the retries and token fetches were logged
    for text in texts:
        assert CLIENT_SECRET not in text
        for token in tokens:
            assert token not in text
    assert any("retrying" in t for t in texts)
