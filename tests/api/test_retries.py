"""Retries: what is retried, how long the client waits, and what is never re-sent blindly."""

from __future__ import annotations

from datetime import timedelta
from email.utils import format_datetime

import pytest

from odc_pipeline.api import (
    ApiConnectionError,
    BadRequestError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitedError,
    ServerError,
)
from odc_pipeline.errors import ExitCode

from .stub import Reply, dropped, refused, timed_out

BUILD_KEY = "0f4c2a5e-0000-4000-8000-000000000001"
BUILD = {
    "buildKey": BUILD_KEY,
    "assetKey": "a1",
    "assetRevision": 3,
    "buildType": "Release",
    "status": "Running",
}
GET_BUILD = f"/api/builds/v1/build-operations/{BUILD_KEY}"
POST_BUILD = "/api/builds/v1/build-operations"
POST_DEPLOY = "/api/deployments/v1/deployment-operations"


def api_sleeps(clock):
    return [s for s in clock.sleeps if s > 0]


def test_429_honours_retry_after_seconds(client, stub, clock):
    stub.on(
        "GET", GET_BUILD, Reply(429, {"title": "Too Many Requests"}, {"Retry-After": "17"}), Reply(200, BUILD)
    )
    assert client.builds.get(BUILD_KEY).status == "Running"
    assert api_sleeps(clock) == [17.0]
    assert len(stub.calls("GET", GET_BUILD)) == 2


def test_429_honours_retry_after_http_date(client, stub, clock):
    when = clock.now() + timedelta(seconds=42)
    stub.on(
        "GET",
        GET_BUILD,
        Reply(429, None, {"Retry-After": format_datetime(when, usegmt=True)}),
        Reply(200, BUILD),
    )
    client.builds.get(BUILD_KEY)
    assert api_sleeps(clock) == [pytest.approx(42.0)]


def test_429_without_retry_after_backs_off_exponentially_from_the_rate_limit_floor(client, stub, clock):
    stub.on("GET", GET_BUILD, Reply(429), Reply(429), Reply(429), Reply(200, BUILD))
    client.builds.get(BUILD_KEY)
    # jitter is identity in tests: floor 5 s + expo ceiling 1, 2, 4
    assert api_sleeps(clock) == [6.0, 7.0, 9.0]


def test_backoff_is_jittered_with_full_jitter(client, stub, clock):
    seen = []
    client.http.jitter = lambda v: seen.append(v) or v / 2
    stub.on("GET", GET_BUILD, Reply(503), Reply(503), Reply(200, BUILD))
    client.builds.get(BUILD_KEY)
    assert seen == [1.0, 2.0]
    assert api_sleeps(clock) == [0.5, 1.0]


def test_persistent_429_ends_as_rate_limited_error(client, stub, settings):
    stub.on("GET", GET_BUILD, Reply(429, {"title": "Too Many Requests", "status": 429}))
    with pytest.raises(RateLimitedError) as caught:
        client.builds.get(BUILD_KEY)
    assert caught.value.status == 429
    assert len(stub.calls("GET", GET_BUILD)) == settings.max_attempts


def test_503_is_retried_then_succeeds(client, stub, clock):
    stub.on("GET", GET_BUILD, Reply(503), Reply(502), Reply(504), Reply(200, BUILD))
    assert client.builds.get(BUILD_KEY).build_key == BUILD_KEY
    assert api_sleeps(clock) == [1.0, 2.0, 4.0]


def test_dropped_connection_on_get_is_retried(client, stub):
    stub.on("GET", GET_BUILD, dropped(), refused(), Reply(200, BUILD))
    assert client.builds.get(BUILD_KEY).build_key == BUILD_KEY
    assert len(stub.calls("GET", GET_BUILD)) == 3
    assert client.http.call_counts["GET /api/builds/v1/build-operations/{operationKey}"] == 3


def test_connection_that_never_answers_ends_as_connection_error(client, stub, settings):
    # A dropped connection may have reached the server: every attempt is used. (Refused
    # connections fail sooner, below: issue #11 changed that from max_attempts to a time budget.)
    stub.on("GET", GET_BUILD, dropped())
    with pytest.raises(ApiConnectionError, match="no answer"):
        client.builds.get(BUILD_KEY)
    assert len(stub.calls("GET", GET_BUILD)) == settings.max_attempts


@pytest.mark.parametrize("failure", ["refused", "unknown-host"])
def test_refused_or_unknown_host_fails_within_15_s_naming_odc_portal_url(client, stub, clock, failure):
    import requests

    def unknown_host(_seen):
        raise requests.ConnectionError(
            "HTTPSConnectionPool(host='acme.example.com', port=443): Max retries exceeded "
            "(Caused by NameResolutionError(\"Failed to resolve 'acme.example.com'\"))"
        )

    stub.on("GET", GET_BUILD, refused() if failure == "refused" else unknown_host)
    t0 = clock.monotonic()
    with pytest.raises(ApiConnectionError, match="ODC_PORTAL_URL") as caught:
        client.builds.get(BUILD_KEY)
    assert clock.monotonic() - t0 <= 15
    assert 1 < len(stub.calls("GET", GET_BUILD)) < 8  # a brief outage still gets a few attempts
    assert "cannot reach https://acme.example.com" in str(caught.value)


def test_every_retry_is_a_visible_line_with_attempt_and_wait(client, stub, caplog):
    import logging

    caplog.set_level(logging.WARNING, logger="odc_pipeline")
    stub.on("GET", GET_BUILD, Reply(503), Reply(502), Reply(200, BUILD))
    client.builds.get(BUILD_KEY)
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 2
    assert "HTTP 503" in lines[0]
    assert "attempt 1 of 8" in lines[0]
    assert "retrying in 1.0 s" in lines[0]
    assert "attempt 2 of 8" in lines[1]
    assert "retrying in 2.0 s" in lines[1]


@pytest.mark.parametrize(
    "case",
    [
        (400, BadRequestError, "OS-BLD-FE-40001"),
        (403, PermissionDeniedError, None),
        (404, NotFoundError, None),
    ],
)
def test_no_retry_on_client_errors(client, stub, clock, case):
    status, error, code = case
    stub.on(
        "POST",
        POST_BUILD,
        Reply(status, {"title": "nope", "status": status, "errorCode": code, "traceId": "t-1"}),
    )
    with pytest.raises(error) as caught:
        client.builds.start("a1", 3)
    assert len(stub.calls("POST", POST_BUILD)) == 1
    assert api_sleeps(clock) == []
    assert caught.value.status == status
    assert caught.value.problem.trace_id == "t-1"
    assert caught.value.problem.error_code == code
    assert caught.value.method == "POST"
    assert caught.value.path == POST_BUILD


def test_403_names_the_permission_from_the_spec(client, stub):
    stub.on("POST", POST_DEPLOY, Reply(403, {"title": "Forbidden", "status": 403}))
    with pytest.raises(PermissionDeniedError) as caught:
        client.deployments.start(
            operation="Deploy", asset_key="a1", environment_key="e1", revision=1, build_key="b"
        )
    assert caught.value.permissions == ("Release management > Deploy assets",)
    assert "Release management > Deploy assets" in str(caught.value)
    assert caught.value.exit_code == ExitCode.AUTH


def test_500_on_a_get_is_retried_because_reading_changes_nothing(client, stub):
    stub.on("GET", GET_BUILD, Reply(500, {"title": "boom"}), Reply(200, BUILD))
    assert client.builds.get(BUILD_KEY).status == "Running"
    assert len(stub.calls("GET", GET_BUILD)) == 2


def test_500_on_a_get_fails_after_the_last_attempt(client, stub, settings):
    stub.on("GET", GET_BUILD, Reply(500, {"title": "boom"}))
    with pytest.raises(ServerError):
        client.builds.get(BUILD_KEY)
    assert len(stub.calls("GET", GET_BUILD)) == settings.max_attempts


def test_500_on_a_post_is_not_retried(client, stub):
    stub.on("POST", POST_BUILD, Reply(500, {"title": "boom"}))
    with pytest.raises(ServerError):
        client.builds.start("a1", 3, find_again=client.builds.finder("a1", 3))
    assert len(stub.calls("POST", POST_BUILD)) == 1


def test_post_with_dropped_connection_is_not_resent_without_find_again(client, stub):
    stub.on("POST", POST_BUILD, dropped(), Reply(201, {"buildKey": BUILD_KEY, "isSuccessful": True}))
    with pytest.raises(OutcomeUnknownError, match="not re-sending"):
        client.builds.start("a1", 3)
    assert len(stub.calls("POST", POST_BUILD)) == 1


@pytest.mark.parametrize("status", [502, 504])
def test_post_with_gateway_error_is_not_resent_without_find_again(client, stub, status):
    stub.on("POST", POST_BUILD, Reply(status), Reply(201, {"buildKey": BUILD_KEY, "isSuccessful": True}))
    with pytest.raises(OutcomeUnknownError):
        client.builds.start("a1", 3)
    assert len(stub.calls("POST", POST_BUILD)) == 1


def test_post_refused_before_connecting_is_resent(client, stub):
    stub.on("POST", POST_BUILD, refused(), Reply(201, {"buildKey": BUILD_KEY, "isSuccessful": True}))
    assert client.builds.start("a1", 3).build_key == BUILD_KEY
    assert len(stub.calls("POST", POST_BUILD)) == 2


@pytest.mark.parametrize("status", [429, 503])
def test_post_not_processed_is_retried(client, stub, status):
    stub.on("POST", POST_BUILD, Reply(status), Reply(201, {"buildKey": BUILD_KEY, "isSuccessful": True}))
    assert client.builds.start("a1", 3).build_key == BUILD_KEY
    assert len(stub.calls("POST", POST_BUILD)) == 2


def test_post_found_again_after_dropped_connection_is_not_resent(client, stub):
    stub.on("POST", POST_BUILD, dropped())
    stub.on("GET", POST_BUILD, Reply(200, {"builds": [BUILD]}))
    started = client.builds.start("a1", 3, find_again=client.builds.finder("a1", 3))
    assert started.build_key == BUILD_KEY
    assert len(stub.calls("POST", POST_BUILD)) == 1
    listing = stub.calls("GET", POST_BUILD)[0]
    assert ("assetKey", "a1") in listing.query
    assert ("assetRevision", "3") in listing.query
    assert ("byBuildType", "Release") in listing.query


@pytest.mark.parametrize("lost", [Reply(502), Reply(504), dropped(), timed_out()], ids=str)
def test_post_never_found_again_is_not_resent_and_names_the_unknown_outcome(client, stub, clock, lost):
    stub.on("POST", POST_BUILD, lost, Reply(201, {"buildKey": BUILD_KEY, "isSuccessful": True}))
    stub.on("GET", POST_BUILD, Reply(200, {"builds": [{**BUILD, "status": "Finished"}]}))
    started_at = clock.monotonic()
    with pytest.raises(OutcomeUnknownError, match="outcome unknown") as caught:
        client.builds.start("a1", 3, find_again=client.builds.finder("a1", 3))
    assert "not re-sending" in str(caught.value)
    assert len(stub.calls("POST", POST_BUILD)) == 1
    looked = clock.monotonic() - started_at
    assert looked >= client.http.settings.read_timeout  # the grace window outlasts the read timeout
    assert len(stub.calls("GET", POST_BUILD)) >= 10  # looked up again and again, not once


def test_post_recorded_late_by_a_slow_server_is_found_within_the_grace_window(client, stub, clock):
    """The server records the build only after our read timeout fired (finding 2 of issue 10)."""
    settings = client.http.settings
    recorded_at = clock.monotonic() + settings.read_timeout + 20

    def listing(seen):
        builds = [BUILD] if clock.monotonic() >= recorded_at else []
        return Reply(200, {"builds": builds})

    stub.on("POST", POST_BUILD, timed_out(), Reply(201, {"buildKey": "second", "isSuccessful": True}))
    stub.on("GET", POST_BUILD, listing)
    started = client.builds.start("a1", 3, find_again=client.builds.finder("a1", 3))
    assert started.build_key == BUILD_KEY
    assert len(stub.calls("POST", POST_BUILD)) == 1
    assert clock.monotonic() >= recorded_at


def test_a_failing_look_up_does_not_end_the_grace_window(client, stub):
    stub.on("POST", POST_BUILD, dropped())
    stub.on("GET", POST_BUILD, Reply(404, {"title": "nope"}), Reply(200, {"builds": [BUILD]}))
    assert client.builds.start("a1", 3, find_again=client.builds.finder("a1", 3)).build_key == BUILD_KEY
    assert len(stub.calls("POST", POST_BUILD)) == 1


def test_analyses_are_sent_again_after_a_lost_answer_since_they_change_nothing(client, stub):
    from odc_pipeline.api.http import resend_is_safe

    path = "/api/dependency-management/v1/deployment-analyses"
    stub.on("POST", path, dropped(), Reply(201, {"analysisKey": "an1"}))
    assert client.dependencies.start_deployment_analysis("a1", 3, "e1", find_again=resend_is_safe) == "an1"
    assert len(stub.calls("POST", path)) == 2


def test_library_generation_is_looked_up_by_default_and_never_sent_twice(client, stub, clock):
    path = "/api/external-libraries/v1/generation-operations"
    stub.on("POST", path, timed_out(), Reply(201, {"operationKey": "second"}))
    mine = {"key": "g1", "filename": "lib.zip", "createdAt": clock.now().isoformat(), "status": "Running"}
    old = {**mine, "key": "g0", "createdAt": (clock.now() - timedelta(hours=1)).isoformat()}
    stub.on("GET", path, Reply(200, {"results": [old]}), Reply(200, {"results": [mine, old]}))
    assert client.external_libraries.start_generation(file_name="lib.zip", binary_uri="https://x/y") == "g1"
    assert len(stub.calls("POST", path)) == 1


def test_deployment_finder_lists_running_operations_of_asset_and_stage(client, stub):
    op = {"key": "d1", "status": "Running", "assetKey": "a1", "operation": "Deploy", "revisions": [3]}
    stub.on("POST", POST_DEPLOY, dropped())
    stub.on("GET", POST_DEPLOY, Reply(200, {"results": [op], "page": {"count": 1, "limit": 10, "offset": 0}}))
    finder = client.deployments.finder(operation="Deploy", asset_key="a1", environment_key="e1")
    result = client.deployments.start(
        operation="Deploy",
        asset_key="a1",
        environment_key="e1",
        revision=3,
        build_key="b1",
        find_again=finder,
    )
    assert result.key == "d1"
    assert result.revision == 3
    query = stub.calls("GET", POST_DEPLOY)[0].query
    assert {
        ("status", "Running"),
        ("operations", "Deploy"),
        ("assetKey", "a1"),
        ("environmentKey", "e1"),
    } <= set(query)
    assert len(stub.calls("POST", POST_DEPLOY)) == 1


def test_patch_is_retried_after_a_dropped_connection(client, stub):
    path = "/api/asset-repository/v1/assets/a1/revisions/3"
    stub.on("PATCH", path, dropped(), Reply(204))
    client.assets.set_tag("a1", 3, tag="1.2.0")
    assert len(stub.calls("PATCH", path)) == 2


def test_retried_tag_patch_that_already_landed_counts_as_success(client, stub):
    path = "/api/asset-repository/v1/assets/a1/revisions/3"
    stub.on(
        "PATCH", path, dropped(), Reply(400, {"errorCode": "OS-APPS-40021", "title": "Tag already in use"})
    )
    stub.on("GET", path, Reply(200, {"assetKey": "a1", "name": "App", "revision": 3, "tag": "1.2.0"}))
    client.assets.set_tag("a1", 3, tag="1.2.0")
    stub.on("GET", path, Reply(200, {"assetKey": "a1", "name": "App", "revision": 3, "tag": "1.1.0"}))
    with pytest.raises(BadRequestError):
        client.assets.set_tag("a1", 3, tag="1.2.0")
