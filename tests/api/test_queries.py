"""Every request the client makes is one the specs describe: path, query names, query values.

The calls of ``calls.read_everything`` / ``calls.send_everything`` are recorded on the stub
and each is checked against its spec operation: the operation exists (and is not the
deprecated Portfolio v1), every query parameter is declared for it with exactly that spelling
(code-quality's are PascalCase), a scalar is sent once (repeated keys only for ``type:
array``), and every value fits the parameter's schema — its type, its enum, and the "Allowed: …"
lists the specs write into descriptions (``sort`` fields). The checker is ``tests/wire_contract``,
which also judges every request of every engine end-to-end test.
A misspelled ``byBuildtype`` or a ``sort=-created`` fails here rather than on a real tenant.
"""

from __future__ import annotations

import inspect

import pytest
from wire_contract import request_problems

from odc_pipeline import openapi

from .calls import EXERCISED, answer_with_samples, read_everything, send_everything, wire_success_answers
from .stub import Seen

DOMAINS = (
    "assets",
    "builds",
    "dependencies",
    "configurations",
    "deployments",
    "portfolio",
    "code_quality",
    "external_libraries",
)


@pytest.fixture
def recorded(client, stub) -> list[Seen]:
    answer_with_samples(stub)
    wire_success_answers(stub)
    read_everything(client)
    send_everything(client)
    return stub.api_calls()


def problems_of(seen: Seen) -> list[str]:
    """The shared wire check (tests/wire_contract.py) on one stub call, query and path only."""
    return request_problems(seen.method, seen.path, seen.query)


def test_every_query_parameter_is_declared_by_the_spec_with_a_valid_value(recorded):
    assert len(recorded) > 50
    assert sum(len(s.query) for s in recorded) > 50  # the optional filters were really sent
    problems = [problem for seen in recorded for problem in problems_of(seen)]
    assert problems == []


def test_the_query_check_catches_misspellings_wrong_case_and_bad_values():
    def seen(path: str, *query: tuple[str, str]) -> Seen:
        return Seen("GET", path, list(query), {}, None)

    builds = "/api/builds/v1/build-operations"
    assert problems_of(seen(builds, ("byBuildtype", "Release"))) == [
        "GET /api/builds/v1/build-operations: query 'byBuildtype' is not declared "
        "(the spec spells it 'byBuildType')"
    ]
    assert problems_of(seen(builds, ("byBuildType", "Relase")))
    assert problems_of(seen(builds, ("assetRevision", "three")))
    analysis = "/api/code-quality/v1/code-analyses/0f4c2a5e-0000-4000-8000-000000000001"
    assert problems_of(seen(analysis, ("Limit", "10"))) == []
    assert problems_of(seen(analysis, ("limit", "10")))  # PascalCase in this API
    revisions = "/api/asset-repository/v1/assets/a1/revisions"
    assert problems_of(seen(revisions, ("sort", "-revision"))) == []
    assert problems_of(seen(revisions, ("sort", "-createdAt")))
    deployments = "/api/deployments/v1/deployment-operations"
    assert problems_of(seen(deployments, ("operations", "Deploy"), ("operations", "ApplyConfigs"))) == []
    assert problems_of(seen(deployments, ("operations", "Publish")))
    assert problems_of(seen(deployments, ("status", "FinishedWithErrors")))  # the build spelling
    assert problems_of(seen("/api/portfolios/v1/environments"))
    portfolio = "/api/portfolios/v2/deployed-assets"
    assert problems_of(seen(portfolio, ("key", "a,b"), ("type", "Agent"), ("type", "Workflow"))) == []
    assert problems_of(seen(portfolio, ("key", "a"), ("key", "b"))) == [
        "GET /api/portfolios/v2/deployed-assets: query 'key' sent 2 times, but the spec types it as "
        "one string (a server binds one of them); send it once, comma-joined"
    ]
    assert problems_of(seen(deployments, ("limit", "2147483648")))  # int32 overflow
    assert problems_of(seen("/api/builds/v1/build-operations/not-a-uuid"))  # path parameter type


def test_nothing_uses_portfolio_v1_or_an_undocumented_path(recorded):
    bases = {openapi.find_operation(s.method, s.path).base_path for s in recorded}
    assert "/api/portfolios/v1" not in bases
    assert "/api/portfolios/v2" in bases
    assert len(bases) == 8  # the eight domains of the client


def test_every_public_domain_method_is_exercised_by_the_contract_calls(client, recorded):
    public = {
        (domain, name)
        for domain in DOMAINS
        for name, member in inspect.getmembers(getattr(client, domain), inspect.ismethod)
        if not name.startswith("_")
    }
    # upload() PUTs to a pre-signed third-party URL, not to an ODC API: test_domains covers it.
    assert public - EXERCISED == {("external_libraries", "upload")}
