"""Fixtures for the LifeTime simulator: a simulator on the example tenant, raw HTTP, the contract check.

Every answer the simulator gives to a swagger operation (to these tests, to the official scripts
running in subprocesses, to anything) passes through a server-side hook that checks it against
the swagger (closed: no undeclared member, status or media type); a test fails at teardown if
any answer departed from it. Answers forced by injected faults are left out.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
import yaml

from odc_pipeline import swagger
from odc_pipeline.clock import ManualClock
from odc_pipeline.lifetime_simulator import (
    LifeTimeTenant,
    RunningLifeTimeSimulator,
    parse_lifetime_tenant,
    start_lifetime_simulator,
)
from odc_pipeline.lifetime_simulator.app import loopback_certificate

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "lifetime-tenant.yaml"
VIOLATIONS: list[str] = []


def check_against_swagger(
    operation: swagger.Operation, status: int, content_type: str, payload: bytes
) -> None:
    for problem in operation.check_response(status, content_type, payload):
        VIOLATIONS.append(f"{operation.endpoint} {status}: {problem}")
    schema = operation.response_schema(status)
    if schema is not None and content_type.startswith("application/json") and payload:
        # a second judge: jsonschema's reading of the same converted schema must agree with ours
        errors = jsonschema.Draft202012Validator(schema).iter_errors(json.loads(payload))
        VIOLATIONS.extend(f"{operation.endpoint} {status} (jsonschema): {e.message}" for e in errors)


@pytest.fixture(autouse=True)
def _answers_follow_the_swagger() -> Iterator[None]:
    VIOLATIONS.clear()
    yield
    assert not VIOLATIONS, "answers the swagger does not describe:\n" + "\n".join(VIOLATIONS)


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return loopback_certificate().write(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def make_sim(clock: ManualClock) -> Iterator[Callable[..., RunningLifeTimeSimulator]]:
    started: list[RunningLifeTimeSimulator] = []

    def make(tenant: LifeTimeTenant | Path | str = EXAMPLE, **kwargs: Any) -> RunningLifeTimeSimulator:
        kwargs.setdefault("clock", clock)
        sim = start_lifetime_simulator(tenant, on_response=check_against_swagger, **kwargs)
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., RunningLifeTimeSimulator]) -> RunningLifeTimeSimulator:
    return make_sim()


class Api:
    """Raw, authenticated HTTP against the simulator's LifeTime API (paths relative to the base)."""

    def __init__(self, sim: RunningLifeTimeSimulator, token: str | None = None, verify: Any = True) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.verify = verify  # per request: REQUESTS_CA_BUNDLE in the environment outranks session.verify
        self.session.headers["Authorization"] = f"Bearer {token or sim.token}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("verify", self.verify)
        return self.session.request(method, self.sim.api_url + path, timeout=10, **kwargs)

    def keys(self) -> dict[str, str]:
        """Environment and application names -> keys."""
        envs = {e["Name"]: e["Key"] for e in self("GET", "/environments").json()}
        apps = {a["Name"]: a["Key"] for a in self("GET", "/applications").json()}
        return {**envs, **apps}

    def running_key(self, env: str, app: str) -> str:
        keys = self.keys()
        body = self("GET", f"/environments/{keys[env]}/applications/{keys[app]}?IncludeEnvStatus=True").json()
        return body["AppStatusInEnvs"][0]["BaseApplicationVersionKey"]

    def plan(self, source: str, target: str, *apps: str, notes: str = "test") -> str:
        keys = self.keys()
        operations = [
            {"ApplicationVersionKey": self.running_key(source, a), "DeploymentZoneKey": ""} for a in apps
        ]
        body = {
            "Notes": notes,
            "SourceEnvironmentKey": keys[source],
            "TargetEnvironmentKey": keys[target],
            "ApplicationOperations": operations,
        }
        answer = self("POST", "/deployments", json=body)
        assert answer.status_code == 201, answer.text
        return answer.text

    def status(self, key: str) -> dict[str, Any]:
        answer = self("GET", f"/deployments/{key}/status")
        assert answer.status_code == 200, answer.text
        return answer.json()


@pytest.fixture
def api(sim: RunningLifeTimeSimulator) -> Api:
    return Api(sim)


def edited(edit: Callable[[dict[str, Any]], None]) -> LifeTimeTenant:
    """The example tenant with ``edit`` applied to its YAML data (checked like a real file)."""
    data = yaml.safe_load(EXAMPLE.read_text(encoding="utf-8"))
    edit(data)
    return parse_lifetime_tenant(yaml.safe_dump(data, sort_keys=False), file="edited-tenant.yaml")
