"""The guarantees, on the stub transport: retries, at most once, auth errors, 200/201, the secret token."""

from __future__ import annotations

import logging

import pytest

from odc_pipeline.api import (
    ApiConnectionError,
    AuthenticationError,
    BadRequestError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    ServerError,
)
from odc_pipeline.errors import ExitCode
from odc_pipeline.lifetime import LifetimeClient, LifetimeSettings
from odc_pipeline.redaction import SECRETS

from .conftest import TOKEN
from .stub import BASE, Reply, Text, dropped, refused

ENV_DEV, ENV_PRD = "env-dev", "env-prd"
PLAN_KEY = "dce64ad4-2ddf-4e54-a639-3524bcd5b9a1"
STATUS = f"{BASE}/deployments/{PLAN_KEY}/status/"
PLANS = f"{BASE}/deployments/"
RUNNING = {"DeploymentStatus": "running", "Info": "", "DeploymentLog": []}


def err(status: int, *messages: str) -> dict:
    return {"Errors": list(messages), "StatusCode": status}


def plan(key: str, *, notes: str, created: str, versions=("ver-1",)) -> dict:
    return {
        "Key": key,
        "SourceEnvironmentKey": ENV_DEV,
        "TargetEnvironmentKey": ENV_PRD,
        "Notes": notes,
        "CreatedOn": created,
        "StartedOn": "1900-01-01T00:00:00",
        "ApplicationOperations": [{"ApplicationVersionKey": v, "DeploymentZoneKey": ""} for v in versions],
    }


def create(lt, notes="run 42"):
    return lt.deployments.create(
        source_environment_key=ENV_DEV, target_environment_key=ENV_PRD, operations=["ver-1"], notes=notes
    )


# ---------------------------------------------------------------- retries


@pytest.mark.parametrize("status", [500, 502, 503, 504])
def test_5xx_on_a_status_get_is_retried(lt, stub, clock, status):
    stub.on("GET", STATUS, Reply(status, err(status, "Failed to retrieve the status")), Reply(200, RUNNING))
    assert lt.deployments.status(PLAN_KEY).deployment_status == "running"
    assert len(stub.calls("GET", STATUS)) == 2
    assert [s for s in clock.sleeps if s > 0] == [1.0]  # backoff_initial, jitter off in tests


def test_429_honours_retry_after(lt, stub, clock):
    stub.on("GET", STATUS, Reply(429, None, {"Retry-After": "12"}), Reply(200, RUNNING))
    lt.deployments.status(PLAN_KEY)
    assert [s for s in clock.sleeps if s > 0] == [12.0]


def test_connection_errors_on_a_get_are_retried_with_growing_backoff(lt, stub, clock):
    stub.on("GET", STATUS, dropped(), refused(), dropped(), Reply(200, RUNNING))
    lt.deployments.status(PLAN_KEY)
    assert len(stub.calls("GET", STATUS)) == 4
    assert [s for s in clock.sleeps if s > 0] == [1.0, 2.0, 4.0]


def test_a_get_gives_up_after_max_attempts_naming_the_setting(lt_settings, clock, secrets, stub):
    import requests

    settings = lt_settings.model_copy(update={"max_attempts": 3})
    session = requests.Session()
    session.mount("https://", stub)
    client = LifetimeClient(settings, clock=clock, secrets=secrets, session=session)
    stub.on("GET", STATUS, refused())
    with pytest.raises(ApiConnectionError, match="LIFETIME_URL"):
        client.deployments.status(PLAN_KEY)
    assert len(stub.calls("GET", STATUS)) == 3


def test_500_on_a_post_is_not_retried(lt, stub):
    stub.on("POST", PLANS, Reply(500, err(500, "Failed to create deployment")))
    with pytest.raises(ServerError, match="Failed to create deployment"):
        create(lt)
    assert len(stub.calls("POST", PLANS)) == 1


def test_4xx_is_not_retried_and_carries_the_errors(lt, stub):
    stub.on(
        "POST",
        f"{BASE}/deployments/{PLAN_KEY}/start/",
        Reply(400, err(400, "Command start can't be executed")),
    )
    with pytest.raises(BadRequestError) as caught:
        lt.deployments.start(PLAN_KEY)
    assert caught.value.status == 400
    assert caught.value.problem.detail == "Command start can't be executed"
    assert len(stub.calls("POST", f"{BASE}/deployments/{PLAN_KEY}/start/")) == 1


# ---------------------------------------------------------------- at most once


def test_a_dropped_create_is_looked_up_and_not_sent_again(lt, stub, clock):
    """The plan was created before the connection dropped: found by notes/target/time, one plan."""
    created = clock.now().replace(tzinfo=None).isoformat(timespec="seconds")
    stub.on("POST", PLANS, dropped())
    stub.on(
        "GET",
        PLANS,
        Reply(
            200,
            [
                plan("other-notes", notes="someone else", created=created),
                plan(PLAN_KEY, notes="run 42", created=created),
                plan("older", notes="run 42", created="2025-12-31T10:00:00"),
            ],
        ),
    )
    assert create(lt) == PLAN_KEY
    assert len(stub.calls("POST", PLANS)) == 1
    lookup = stub.calls("GET", PLANS)[0]
    assert dict(lookup.query) == {"MinDate": "2025-12-30", "TargetEnvironmentKey": ENV_PRD}


def test_a_dropped_create_not_found_within_the_grace_window_is_never_sent_again(lt, stub):
    """The server may still be processing it: a second POST could make a second plan (issue 10)."""
    stub.on("POST", PLANS, dropped(), Text(201, PLAN_KEY))
    stub.on("GET", PLANS, Reply(204))
    with pytest.raises(OutcomeUnknownError, match="not re-sending"):
        create(lt)
    assert len(stub.calls("POST", PLANS)) == 1
    assert len(stub.calls("GET", PLANS)) > 1  # looked up again and again for the window


def test_an_older_identical_plan_is_not_mistaken_for_the_lost_one(lt, stub):
    stub.on("POST", PLANS, Reply(504), Text(201, PLAN_KEY))
    stub.on("GET", PLANS, Reply(200, [plan("yesterday", notes="run 42", created="2025-12-31T23:59:00")]))
    with pytest.raises(OutcomeUnknownError):  # yesterday's plan is not the one just sent
        create(lt)
    assert len(stub.calls("POST", PLANS)) == 1


def test_a_dropped_tag_is_found_by_its_version(lt, stub):
    tag = f"{BASE}/environments/{ENV_DEV}/applications/app-1/versions/"
    stub.on("POST", tag, dropped())
    stub.on(
        "GET",
        f"{BASE}/applications/app-1/versions/",
        Reply(200, [{"Key": "v-old", "Version": "1.2.0"}, {"Key": "v-new", "Version": "1.3.0"}]),
    )
    assert lt.versions.tag(ENV_DEV, "app-1", version="1.3.0") == "v-new"
    assert len(stub.calls("POST", tag)) == 1


def test_a_dropped_tag_still_processing_is_found_as_the_base_version(lt, stub):
    tag = f"{BASE}/environments/{ENV_DEV}/applications/app-1/versions/"
    stub.on("POST", tag, dropped())
    stub.on("GET", f"{BASE}/applications/app-1/versions/", Reply(200, [{"Key": "v-old", "Version": "1.2.0"}]))
    stub.on(
        "GET",
        f"{BASE}/environments/{ENV_DEV}/applications/app-1/",
        Reply(
            200,
            {
                "Key": "app-1",
                "Name": "Orders",
                "Kind": "WebResponsive",
                "AppStatusInEnvs": [
                    {
                        "EnvironmentKey": ENV_DEV,
                        "BaseApplicationVersionKey": "v-new",
                        "BaseApplicationVersionLabel": "1.3.0",
                    }
                ],
            },
        ),
    )
    assert lt.versions.tag(ENV_DEV, "app-1", version="1.3.0") == "v-new"
    assert len(stub.calls("POST", tag)) == 1


@pytest.mark.parametrize(
    ("command", "status_after", "happened"),
    [
        ("start", "running", True),
        ("start", "saved", False),
        ("continue", "running", True),
        ("continue", "needs_user_intervention", False),
        ("abort", "aborting", True),
        ("abort", "running", False),
    ],
)
def test_a_dropped_command_is_found_by_the_status_and_never_sent_twice(
    lt, stub, command, status_after, happened
):
    """The status shows whether the command took effect; if it never does, it is not re-sent."""
    path = f"{BASE}/deployments/{PLAN_KEY}/{command}/"
    stub.on("POST", path, dropped(), Reply(202))
    stub.on("GET", STATUS, Reply(200, {**RUNNING, "DeploymentStatus": status_after}))
    send = getattr(lt.deployments, "continue_" if command == "continue" else command)
    if happened:
        send(PLAN_KEY)
    else:
        with pytest.raises(OutcomeUnknownError):
            send(PLAN_KEY)
    assert len(stub.calls("POST", path)) == 1


# ---------------------------------------------------------------- authentication and permissions


def test_a_refused_token_is_an_authentication_error_naming_the_api(lt, stub):
    stub.on("GET", f"{BASE}/environments/", Reply(401, err(401, f"token {TOKEN} is invalid")))
    with pytest.raises(AuthenticationError) as caught:
        lt.environments.list()
    message = str(caught.value)
    assert "LifeTime API v2 refused the service account token" in message
    assert "LIFETIME_TOKEN" in message
    assert TOKEN not in message
    assert TOKEN not in str(caught.value.problem.model_dump())
    assert caught.value.exit_code == ExitCode.AUTH
    assert len(stub.calls("GET", f"{BASE}/environments/")) == 1  # a static token: nothing to renew


def test_a_401_without_a_json_body_is_still_an_authentication_error(lt, stub):
    stub.on("GET", f"{BASE}/environments/", Text(401, "<html>Unauthorized</html>"))
    with pytest.raises(AuthenticationError, match="Unauthorized"):
        lt.environments.list()


def test_the_properties_api_is_named_when_it_refuses_the_token(lt, stub):
    path = "/PropertiesAPI/rest/v1/Modules/m1/Environments/e1/SiteProperties/sp1/Value/"
    stub.on("PUT", path, Reply(401, None))
    with pytest.raises(AuthenticationError, match="LifeTime Properties API refused"):
        lt.properties.set_site_property("m1", "e1", "sp1", "42")


def test_403_names_what_was_refused(lt, stub):
    stub.on("POST", PLANS, Reply(403, err(403, "no access to Production")))
    with pytest.raises(PermissionDeniedError) as caught:
        create(lt)
    message = str(caught.value)
    assert f"POST {PLANS}" in message
    assert "Invalid user permissions." in message  # the swagger's meaning of 403 here
    assert "no access to Production" in message
    assert caught.value.permissions == ("Invalid user permissions.",)
    assert caught.value.exit_code == ExitCode.AUTH


def test_the_token_goes_out_as_bearer_and_is_registered_as_secret(lt, stub, secrets, caplog):
    stub.on("GET", f"{BASE}/environments/", Reply(200, []))
    with caplog.at_level(logging.DEBUG):
        lt.environments.list()
    assert stub.seen[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN in secrets
    assert TOKEN not in caplog.text


def test_the_default_registry_is_the_process_wide_one():
    token = "lt-token-only-this-test-registers-9f3"
    assert token not in SECRETS
    LifetimeClient(LifetimeSettings.from_env({"LIFETIME_URL": "lt.acme.example", "LIFETIME_TOKEN": token}))
    assert token in SECRETS


def test_tls_settings_reach_every_request(tmp_path, clock, secrets, stub):
    import requests

    bundle = tmp_path / "ca.pem"
    bundle.write_text("pem")
    settings = LifetimeSettings.from_env(
        {
            "LIFETIME_URL": "https://lifetime.acme.example",
            "LIFETIME_TOKEN": TOKEN,
            "LIFETIME_CA_BUNDLE": str(bundle),
        }
    )
    session = requests.Session()
    session.mount("https://", stub)
    client = LifetimeClient(settings, clock=clock, secrets=secrets, session=session)
    stub.on("GET", f"{BASE}/environments/", Reply(200, []))
    client.environments.list()
    assert stub.seen[-1].options["verify"] == str(bundle)
    assert stub.seen[-1].options["timeout"] == (10.0, 60.0)
    assert client.http.session.verify == str(bundle)


# ---------------------------------------------------------------- 200/201, bodies, unset dates


@pytest.mark.parametrize(
    "answer",
    [
        Text(201, PLAN_KEY),
        Text(200, PLAN_KEY),
        Text(201, f'"{PLAN_KEY}"'),
        Reply(201, PLAN_KEY),
        Reply(200, {"DeploymentKey": PLAN_KEY}),
        Text(201, f"  {PLAN_KEY}\n"),
    ],
    ids=["201-text", "200-text", "201-quoted", "201-json-string", "200-object", "201-padded"],
)
def test_a_new_plans_key_is_read_from_every_shape(lt, stub, answer):
    stub.on("POST", PLANS, answer)
    assert create(lt) == PLAN_KEY


def test_a_create_answer_without_a_key_is_an_error(lt, stub):
    stub.on("POST", PLANS, Text(201, ""))
    with pytest.raises(Exception, match="without a deployment key"):
        create(lt)


@pytest.mark.parametrize("status", [200, 201])
def test_tag_accepts_200_and_201(lt, stub, status):
    stub.on(
        "POST",
        f"{BASE}/environments/{ENV_DEV}/applications/app-1/versions/",
        Reply(status, {"ApplicationVersionKey": "v9"}),
    )
    assert lt.versions.tag(ENV_DEV, "app-1", version="2.0.0") == "v9"


def test_unset_dates_mean_not_set(lt, stub):
    stub.on(
        "GET",
        f"{BASE}/deployments/{PLAN_KEY}/",
        Reply(
            200,
            {
                "Deployment": {
                    **plan(PLAN_KEY, notes="n", created="2026-01-01T09:30:00"),
                    "SavedOn": "2026-01-01T09:30:00Z",
                    "AbortedOn": "1900-01-01T00:00:00",
                },
                "ApplicationConflicts": None,
            },
        ),
    )
    details = lt.deployments.get(PLAN_KEY)
    deployment = details.deployment
    assert deployment.started_on is None
    assert deployment.aborted_on is None
    assert deployment.created_on.isoformat() == "2026-01-01T09:30:00+00:00"  # zone-less read as UTC
    assert deployment.saved_on.isoformat() == "2026-01-01T09:30:00+00:00"
    assert details.application_conflicts == []


def test_204_lists_are_empty(lt, stub):
    for path in (f"{BASE}/environments/", f"{BASE}/applications/", PLANS):
        stub.on("GET", path, Reply(204))
    assert lt.environments.list() == []
    assert lt.applications.list() == []
    assert lt.deployments.list() == []


def test_a_404_is_a_not_found_error(lt, stub):
    stub.on("GET", STATUS, Reply(404, err(404, f"Deployment with key {PLAN_KEY} not found.")))
    with pytest.raises(NotFoundError, match="not found"):
        lt.deployments.status(PLAN_KEY)


def test_without_a_finder_a_lost_post_is_an_unknown_outcome_naming_lifetime(lt, stub):
    from odc_pipeline.lifetime import LIFETIME_V2

    stub.on("POST", f"{BASE}/deployments/{PLAN_KEY}/start/", dropped())
    with pytest.raises(OutcomeUnknownError, match="Check LifeTime before running again"):
        lt.http.request(
            "POST",
            LIFETIME_V2,
            "/deployments/{DeploymentKey}/{Command}/",
            path_params={"DeploymentKey": PLAN_KEY, "Command": "start"},
        )
    assert len(stub.calls("POST", f"{BASE}/deployments/{PLAN_KEY}/start/")) == 1


def test_call_counts_name_the_swagger_template(lt, stub):
    stub.on("GET", STATUS, Reply(503), Reply(200, RUNNING))
    lt.deployments.status(PLAN_KEY)
    assert lt.http.call_counts == {f"GET {BASE}/deployments/{{DeploymentKey}}/status/": 2}
