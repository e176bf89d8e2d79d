"""``Platform.reserve_start``: the seam through which the engine keeps a start slot for the
critical path. ODC reserves the bucket the start's POST really counts against (proved by the
owner's own start using the reservation up); other platforms hold nothing."""

from __future__ import annotations

import pytest
import requests

from odc_pipeline import dispatch
from odc_pipeline.api import OdcClient
from odc_pipeline.clock import ManualClock
from odc_pipeline.platforms.base import Platform
from odc_pipeline.platforms.lifetime.platform import LifetimePlatform
from odc_pipeline.platforms.odc import OdcPlatform
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.settings import Settings
from tests.api.stub import PORTAL, Reply, StubOdc
from tests.engine.fakes import FakeOdc

from .test_base import Memory

BUILD_KEY = "post:POST /api/builds/v1/build-operations"
DEPLOY_KEY = "post:POST /api/deployments/v1/deployment-operations"
ANALYSIS_KEY = "domain:/api/dependency-management/v1"
UUID = "0a6c3e1e-4a8b-4b1e-9f3e-2b8c7d6e5f40"


@pytest.fixture
def odc() -> tuple[OdcPlatform, OdcClient, ManualClock, StubOdc]:
    stub = StubOdc()
    stub.on("POST", "/api/builds/v1/build-operations", Reply(201, {"buildKey": UUID, "isSuccessful": True}))
    stub.on("GET", "/api/builds/v1/build-operations", Reply(200, {"builds": []}))
    stub.on(
        "POST", "/api/deployments/v1/deployment-operations", Reply(201, {"key": UUID, "status": "Running"})
    )
    stub.on("POST", "/api/dependency-management/v1/deployment-analyses", Reply(201, {"analysisKey": UUID}))
    session = requests.Session()
    session.mount("https://", stub)
    settings = Settings.from_env(
        {"ODC_PORTAL_URL": PORTAL, "ODC_CLIENT_ID": "ci", "ODC_CLIENT_SECRET": "s3cret"}
    )
    clock = ManualClock()
    client = OdcClient(settings, clock=clock, secrets=SecretRegistry(), session=session)
    return OdcPlatform(client), client, clock, stub


def _start(client: OdcClient, kind: str) -> None:
    if kind == "Build":
        client.builds.start("a1", 1)
    elif kind == "Deploy":
        client.deployments.start(
            operation="Deploy", asset_key="a1", environment_key="e", revision=1, build_key="b"
        )
    else:
        client.dependencies.start_deployment_analysis("a1", 1, "e")


@pytest.mark.parametrize(
    ("kind", "key"), [("Build", BUILD_KEY), ("Deploy", DEPLOY_KEY), ("Analysis", ANALYSIS_KEY)]
)
def test_odc_reserves_the_bucket_its_start_counts_against(odc, kind, key):
    platform, client, _, _ = odc
    limiter = client.http.rate_limiter
    platform.reserve_start(kind, priority=300.0, owner="critical", at=30.0)
    assert limiter.holding(key) == 1
    with dispatch.working(300.0, "critical"):
        _start(client, kind)
    assert limiter.holding(key) == 0  # the owner's start used it: same bucket as the request's
    assert limiter.reservations_consumed == 1


def test_odc_cancel_releases_the_reservation(odc):
    platform, client, _, _ = odc
    cancel = platform.reserve_start("Deploy", priority=300.0, owner="critical", at=30.0)
    assert client.http.rate_limiter.holding(DEPLOY_KEY) == 1
    cancel()
    cancel()
    assert client.http.rate_limiter.holding(DEPLOY_KEY) == 0


def test_odc_a_reserved_deploy_slot_makes_a_leaf_wait_and_lets_the_critical_app_through(odc):
    platform, client, clock, stub = odc
    for _ in range(8):
        _start(client, "Deploy")
    platform.reserve_start("Deploy", priority=300.0, owner="critical", at=30.0)
    platform.reserve_start("Deploy", priority=300.0, owner="late", at=30.0)
    with dispatch.working(120.0, "critical"):  # even at a lower priority: the slot is the owner's
        _start(client, "Deploy")
    assert clock.monotonic() == 0.0
    with dispatch.working(20.0, "leaf"):
        client.builds.start("a1", 1)  # another endpoint's window: not held
        assert clock.monotonic() == 0.0
        _start(client, "Deploy")  # 9 taken + 1 held for "late": waits until that lapses at at + 10
    assert clock.monotonic() == 40.0
    assert len(stub.calls("POST", "/api/deployments/v1/deployment-operations")) == 10


def test_odc_an_owners_read_does_not_use_the_reservation_of_its_start(odc):
    platform, client, _, _ = odc
    platform.reserve_start("Build", priority=300.0, owner="critical", at=30.0)
    with dispatch.working(300.0, "critical"):
        client.builds.list("a1")  # a poll of the same asset
    assert client.http.rate_limiter.holding(BUILD_KEY) == 1


def test_odc_refuses_an_unknown_kind(odc):
    platform, _, _, _ = odc
    with pytest.raises(ValueError, match="Publish"):
        platform.reserve_start("Publish", priority=1.0, owner="a", at=0.0)


def test_a_client_without_a_rate_limiter_holds_nothing():
    release = OdcPlatform(FakeOdc()).reserve_start("Deploy", priority=1.0, owner="a", at=0.0)
    assert release() is None


def test_platforms_without_start_limits_keep_the_no_op_default():
    assert LifetimePlatform.reserve_start is Platform.reserve_start
    release = Memory([]).reserve_start("Build", priority=10.0, owner="a", at=5.0)
    assert callable(release)
    assert release() is None
    assert release() is None
