"""Fixtures: a simulator on the example tenant, driven by a ManualClock shared with the client.

Nothing sleeps: ``ManualClock.sleep`` moves time instantly, so a 90 s deployment "passes" as
soon as the client's poller sleeps, and tests advance the clock by hand where they need to.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from odc_pipeline.clock import ManualClock
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.simulator import RunningSimulator, Tenant, load_tenant, start_simulator

EXAMPLE_TENANT = Path(__file__).resolve().parents[2] / "examples" / "tenant.yaml"


@pytest.fixture(scope="session")
def example_tenant() -> Tenant:
    return load_tenant(EXAMPLE_TENANT)


@pytest.fixture
def make_sim(clock: ManualClock) -> Iterator[Callable[..., RunningSimulator]]:
    """Start a simulator on a (possibly modified) tenant; stopped after the test."""
    started: list[RunningSimulator] = []

    def make(tenant: Tenant | Path | str = EXAMPLE_TENANT, **kwargs: Any) -> RunningSimulator:
        sim = start_simulator(tenant, clock=kwargs.pop("clock", clock), **kwargs)
        started.append(sim)
        return sim

    yield make
    for sim in started:
        sim.stop()


@pytest.fixture
def sim(make_sim: Callable[..., RunningSimulator]) -> RunningSimulator:
    return make_sim()


VIOLATIONS: list[str] = []


def check_against_spec(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A ``requests`` response hook: note every API answer the specs do not describe.

    Installed on every session the tests use (raw and through OdcClient), so behaviour tests
    double as contract tests. Injected 5xx faults are left out: no spec declares a 5xx.
    """
    from urllib.parse import urlsplit

    from odc_pipeline import openapi

    from .contract import check_response

    method = response.request.method or "GET"
    path = urlsplit(response.url).path
    operation = openapi.find_operation(method, path)
    if operation is None or response.status_code >= 500:
        return
    try:
        check_response(operation, response)
    except AssertionError as error:
        VIOLATIONS.append(f"{method} {path}: {error}")


@pytest.fixture(autouse=True)
def _answers_follow_the_specs() -> Iterator[None]:
    VIOLATIONS.clear()
    yield
    assert not VIOLATIONS, "answers the specs do not describe:\n" + "\n".join(VIOLATIONS)


class Api:
    """A minimal authenticated ``requests`` wrapper for checking raw HTTP behaviour."""

    def __init__(self, sim: RunningSimulator, client_id: str | None = None) -> None:
        self.sim = sim
        self.session = requests.Session()
        self.session.hooks["response"].append(check_against_spec)
        client_id, secret = sim.credentials(client_id or sim.client_id)
        self.token = token(sim, client_id, secret)
        self.session.headers["Authorization"] = f"Bearer {self.token}"

    def __call__(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.session.request(method, self.sim.url + path, timeout=10, **kwargs)


def token(sim: RunningSimulator, client_id: str, secret: str) -> str:
    discovery = requests.get(f"{sim.url}/identity/.well-known/openid-configuration", timeout=10).json()
    answer = requests.post(
        discovery["token_endpoint"],
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
        timeout=10,
    )
    answer.raise_for_status()
    return answer.json()["access_token"]


@pytest.fixture
def api(sim: RunningSimulator) -> Api:
    return Api(sim)


@pytest.fixture
def make_client(clock: ManualClock) -> Iterator[Callable[..., Any]]:
    """The real API client pointed at a simulator, sharing the test's clock."""
    from odc_pipeline.api import OdcClient
    from odc_pipeline.settings import Settings

    clients: list[Any] = []

    def make(sim: RunningSimulator, client_id: str | None = None, secret: str | None = None) -> Any:
        cid = client_id or sim.client_id
        settings = Settings(
            portal_url=sim.url,
            client_id=cid,
            client_secret=secret if secret is not None else sim.credentials(cid)[1],
        )
        client = OdcClient(settings, clock=clock, secrets=SecretRegistry())
        client.http.session.hooks["response"].append(check_against_spec)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def keys(sim: RunningSimulator) -> dict[str, str]:
    """Stage and asset names -> keys of the running tenant."""
    out = {s.name: s.key for s in sim.state.stages}
    out.update({a.name: a.key for a in sim.state.assets.values()})
    return out


def edited_tenant(edit: Callable[[dict[str, Any]], None]) -> Tenant:
    """The example tenant with ``edit`` applied to its YAML data (checked like a real file)."""
    import yaml

    from odc_pipeline.simulator import parse_tenant

    data = yaml.safe_load(EXAMPLE_TENANT.read_text(encoding="utf-8"))
    edit(data)
    return parse_tenant(yaml.safe_dump(data, sort_keys=False), file="edited-tenant.yaml")


def wait_for(
    clock: ManualClock, probe: Callable[[], Any], *, step: float = 5.0, limit: float = 3600.0
) -> Any:
    """Poll ``probe`` until it returns something truthy, moving the ManualClock instead of sleeping."""
    waited = 0.0
    while not (value := probe()):
        assert waited < limit, "operation never finished"
        clock.advance(step)
        waited += step
    return value
