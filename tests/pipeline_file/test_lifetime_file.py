"""Issue #14: the pipeline file for OutSystems 11 (``platform: lifetime``).

The keys that mean something on LifeTime only are accepted there and refused on ODC (and the
other way round) by the table in ``test_broken_files``; this file checks what a valid LifeTime
file reads as, the selectors per platform, and that its secrets are masked like ODC's.
"""

from __future__ import annotations

import pytest

from odc_pipeline.pipeline_file import PipelineFileError, RevisionKind, parse_pipeline
from odc_pipeline.pipeline_file.models import Platform
from odc_pipeline.pipeline_file.revisions import parse_revision
from odc_pipeline.redaction import SECRETS, redact

FILE = """\
version: 1
platform: lifetime
source: Development
target: Test
assets:
  - Customer Portal
  - {name: Core Services, revision: "tag:2.1", deployment-zone: Global}
  - {name: Orders Mobile, revision: modified}
  - {name: Legacy Reports, revision: "from:Development"}
stages:
  configure:
    Customer Portal:
      modules:
        CustomerPortal:
          site-properties:
            ApiBaseUrl: {key: fc7d3115-4dc4-535b-a338-c3fe666bceb8, value: "${PORTAL_API_URL}"}
            PageSize: {key: 726a3081-3356-59a7-a85f-0f5d0ad16f9f, value: 30}
  build: {bump: minor, change-log: Sprint 12}
  impact-analysis: {fail-on: warnings}
  deploy: {two-stage: true, allow-warnings: true, redeploy-outdated: false, deployment-zone: Internal}
  verify: {}
"""


def test_a_lifetime_file_reads_as_written() -> None:
    pipeline = parse_pipeline(FILE, env={"PORTAL_API_URL": "https://api.test.example.com/v2"})
    assert pipeline.platform is Platform.LIFETIME
    assert (pipeline.source, pipeline.target) == ("Development", "Test")
    kinds = [(a.ref, a.revision.kind, a.revision.value) for a in pipeline.assets]
    assert kinds == [
        ("Customer Portal", RevisionKind.LATEST_TAG, None),  # LifeTime's default, not ODC's latest
        ("Core Services", RevisionKind.TAG, "2.1"),
        ("Orders Mobile", RevisionKind.MODIFIED, None),
        ("Legacy Reports", RevisionKind.FROM_STAGE, "Development"),
    ]
    assert pipeline.assets[1].deployment_zone == "Global"
    deploy = pipeline.stages.deploy
    assert deploy is not None
    assert (deploy.two_stage, deploy.allow_warnings, deploy.redeploy_outdated) == (True, True, False)
    assert deploy.deployment_zone == "Internal"
    build = pipeline.stages.build
    assert build is not None
    assert (build.version, build.bump, build.change_log) == (None, "minor", "Sprint 12")
    portal = pipeline.configuration_for(pipeline.assets[0])
    assert portal is not None
    values = portal.modules["CustomerPortal"].site_properties
    assert values["ApiBaseUrl"].key == "fc7d3115-4dc4-535b-a338-c3fe666bceb8"
    assert values["ApiBaseUrl"].value.secret
    assert values["ApiBaseUrl"].value.text == "https://api.test.example.com/v2"
    assert not values["PageSize"].value.secret
    assert values["PageSize"].value.text == "30"


def test_lifetime_defaults_are_the_strict_ones() -> None:
    pipeline = parse_pipeline(
        "version: 1\nplatform: lifetime\nsource: Development\ntarget: Test\nassets: [Customer Portal]\n"
        "stages:\n  deploy: {}\n",
        env={},
    )
    deploy = pipeline.stages.deploy
    assert deploy is not None
    assert deploy.two_stage is False
    assert deploy.allow_warnings is False  # finished_with_warnings fails unless allowed
    assert deploy.redeploy_outdated is True  # what LifeTime's own UI and the official scripts do
    assert pipeline.assets[0].revision.kind is RevisionKind.LATEST_TAG


def test_an_odc_file_is_unchanged_by_the_platform_key() -> None:
    text = "version: 1\ntarget: QA\nassets: [Orders Portal]\nstages:\n  deploy: {}\n"
    pipeline = parse_pipeline(text, env={})
    assert pipeline.platform is Platform.ODC
    assert pipeline.assets[0].revision.kind is RevisionKind.LATEST
    explicit = parse_pipeline(
        "version: 1\nplatform: odc\ntarget: QA\nassets: [Orders Portal]\nstages:\n  deploy: {}\n", env={}
    )
    assert explicit == pipeline


def test_a_file_level_revision_is_the_lifetime_default_too() -> None:
    pipeline = parse_pipeline(
        "version: 1\nplatform: lifetime\ntarget: Production\nrevision: from:Test\n"
        "assets: [Customer Portal, {name: Core Services, revision: 'tag:2.0.0'}]\nstages:\n  deploy: {}\n",
        env={},
    )
    assert [str(a.revision) for a in pipeline.assets] == ["from:Test", "tag:2.0.0"]
    assert pipeline.source is None  # every revision comes from Test: the plan's source is Test


def test_revisions_from_two_environments_need_a_source() -> None:
    with pytest.raises(PipelineFileError) as caught:
        parse_pipeline(
            "version: 1\nplatform: lifetime\ntarget: Production\n"
            "assets: [{name: A, revision: 'from:Test'}, {name: B, revision: 'from:Development'}]\n"
            "stages:\n  deploy: {}\n",
            env={},
        )
    (problem,) = caught.value.problems
    assert "several environments" in problem.message
    assert problem.line == 4


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("latest-tag", RevisionKind.LATEST_TAG, None),
        ("modified", RevisionKind.MODIFIED, None),
        ("tag:1.4.0", RevisionKind.TAG, "1.4.0"),
        ("tag:2.1", RevisionKind.TAG, "2.1"),
        ("tag: 3", RevisionKind.TAG, "3"),
        ("tag:1.0.0.12", RevisionKind.TAG, "1.0.0.12"),
        ("from:Test", RevisionKind.FROM_STAGE, "Test"),
        ({"tag": 1.4}, RevisionKind.TAG, "1.4"),
        ({"from": "Development"}, RevisionKind.FROM_STAGE, "Development"),
    ],
)
def test_lifetime_selectors(text: object, kind: RevisionKind, value: object) -> None:
    selector = parse_revision(text, platform="lifetime")
    assert (selector.kind, selector.value) == (kind, value)
    assert parse_revision(str(selector), platform="lifetime") == selector


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("latest", "latest is an ODC selector"),
        ("highest-tag", "highest-tag is an ODC selector"),
        ("7", "7 is an ODC selector"),
        (7, "no revision numbers"),
        ("tag:1.2.3.4.5", "not a LifeTime version"),
        ("tag:v1", "not a LifeTime version"),
        ("tag:", "needs a value"),
        ("from:", "needs a value"),
        ("newest", "latest-tag, tag:<version>, from:<environment> or modified"),
        (True, "no revision numbers"),
    ],
)
def test_lifetime_refuses_other_selectors(text: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_revision(text, platform="lifetime")


@pytest.mark.parametrize("text", ["latest-tag", "modified"])
def test_odc_refuses_lifetime_selectors(text: str) -> None:
    with pytest.raises(ValueError, match="is a LifeTime selector"):
        parse_revision(text)


def test_site_property_values_from_the_environment_are_secret() -> None:
    secret = "lt-site-secret-0f9e8d7c"
    parse_pipeline(FILE.replace("${PORTAL_API_URL}", "${PORTAL_API_KEY}"), env={"PORTAL_API_KEY": secret})
    assert secret in SECRETS
    assert redact(f"value {secret}") == "value ***"


def test_a_site_property_secret_is_registered_even_when_the_file_is_invalid() -> None:
    secret = "lt-site-secret-invalid-1a2b"
    broken = FILE.replace("${PORTAL_API_URL}", "${PORTAL_API_KEY}").replace("two-stage: true", "two-stage: 3")
    with pytest.raises(PipelineFileError) as caught:
        parse_pipeline(broken, env={"PORTAL_API_KEY": secret})
    assert secret in SECRETS
    assert secret not in str(caught.value)


def test_a_secret_in_a_refused_key_never_reaches_the_message() -> None:
    """An ODC file with a LifeTime section whose value came from the environment: the problem
    names the key, never the value."""
    secret = "lt-token-like-value-77aa"
    text = (
        "version: 1\ntarget: QA\nassets: [Orders Portal]\nstages:\n  deploy: {}\n"
        "  configure:\n    Orders Portal:\n      modules:\n        M: {site-properties: {K: '${LT_VALUE}'}}\n"
    )
    with pytest.raises(PipelineFileError) as caught:
        parse_pipeline(text, env={"LT_VALUE": secret})
    assert "a LifeTime key" in str(caught.value)
    assert secret not in str(caught.value)
    assert secret in SECRETS


def test_credentials_under_lifetime_point_at_the_lifetime_variables() -> None:
    with pytest.raises(PipelineFileError) as caught:
        parse_pipeline(
            "version: 1\nplatform: lifetime\nsource: Development\ntarget: Test\nassets: [A]\n"
            "stages:\n  deploy: {}\ntoken: ${LIFETIME_TOKEN}\n",
            env={"LIFETIME_TOKEN": "lt-real-token-value-xyz"},
        )
    (problem,) = caught.value.problems
    assert "set LIFETIME_TOKEN" in problem.message
    assert "ODC_CLIENT_SECRET" not in problem.message
    assert "lt-real-token-value-xyz" not in str(caught.value)
