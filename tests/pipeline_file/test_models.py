"""The typed API the engine consumes: defaults, absent stages, selectors, config values."""

from __future__ import annotations

import pytest

from odc_pipeline.pipeline_file import (
    STAGE_ORDER,
    ConfigValue,
    FailOn,
    OnUnavailable,
    PipelineFile,
    RevisionKind,
    ValueSource,
    parse_pipeline,
)

from .helpers import MINIMAL


def test_absent_stages_are_none_and_empty_stages_get_defaults() -> None:
    pipeline = parse_pipeline(MINIMAL + "  build:\n  verify: {}\n", env={})
    stages = pipeline.stages
    assert stages.configure is None
    assert stages.impact_analysis is None
    assert stages.deploy is not None
    assert stages.deploy.max_parallel is None  # the platform's own limit (ODC: 50)
    assert stages.deploy.on_failure == "stop-all"
    assert stages.deploy.rollback_on_failure is False
    assert stages.deploy.force is False
    assert stages.build is not None
    assert stages.build.force_rebuild is False
    assert stages.verify is not None
    assert stages.verify.deployed_revision is True
    assert stages.verify.http == []
    assert stages.verify.code_quality is None
    assert stages.enabled == ("build", "deploy", "verify")


def test_stage_order_is_the_products_not_the_files() -> None:
    text = (
        "version: 1\nassets: [A]\nstages:\n  verify: {}\n  deploy: {}\n  impact-analysis: {}\n  build: {}\n"
    )
    assert parse_pipeline(text, env={}).stages.enabled == ("build", "impact-analysis", "deploy", "verify")
    assert STAGE_ORDER == ("configure", "build", "impact-analysis", "deploy", "verify", "release")


def test_defaults_of_every_stage() -> None:
    text = (
        "version: 1\nassets: [A]\nstages:\n  impact-analysis:\n"
        "  verify:\n    http: [{asset: A}]\n    code-quality: {}\n"
    )
    pipeline = parse_pipeline(text, env={})
    analysis = pipeline.stages.impact_analysis
    assert analysis is not None
    assert (analysis.fail_on, analysis.on_unavailable) == (FailOn.ERRORS, OnUnavailable.WARN)
    verify = pipeline.stages.verify
    assert verify is not None
    check = verify.http[0]
    assert (check.asset, check.path, check.expect_status, check.timeout, check.retries, check.interval) == (
        "A",
        "/",
        200,
        10.0,
        3,
        5.0,
    )
    assert check.contains is None
    assert verify.code_quality is not None
    assert verify.code_quality.max_critical is None
    assert verify.code_quality.on_unavailable is OnUnavailable.WARN


def test_timeouts_are_seconds_with_defaults() -> None:
    pipeline = parse_pipeline(MINIMAL + "timeouts: {build: 1h30m, verify: 90}\n", env={})
    timeouts = pipeline.timeouts
    assert (timeouts.build, timeouts.verify, timeouts.deploy) == (5400.0, 90.0, 1800.0)
    assert timeouts.for_stage("impact-analysis") == 600.0
    assert timeouts.describe()["build"] == "1h30m"
    assert parse_pipeline(MINIMAL, env={}).timeouts.configure == 300.0


def test_revisions_default_to_latest_or_the_file_level_selector() -> None:
    assert parse_pipeline(MINIMAL, env={}).assets[0].revision.kind is RevisionKind.LATEST
    text = (
        "version: 1\ntarget: Production\nrevision: from:QA\n"
        "assets:\n  - A\n  - {name: B, revision: 7}\n  - {name: C, revision: latest}\nstages: {deploy: {}}\n"
    )
    a, b, c = parse_pipeline(text, env={}).assets
    assert (a.revision.kind, a.revision.value) == (RevisionKind.FROM_STAGE, "QA")
    assert (b.revision.kind, b.revision.value) == (RevisionKind.NUMBER, 7)
    assert c.revision.kind is RevisionKind.LATEST


def test_assets_by_name_or_key_and_lookups() -> None:
    key = "8f1c4d8e-2b7a-4c1e-9a51-0c2d3e4f5a6b"
    text = (
        f"version: 1\nassets:\n  - Orders Core\n  - {{key: {key}, type: WebApplication}}\n"
        f"stages:\n  configure:\n    {key}: {{settings: {{A: 1}}}}\n"
    )
    pipeline = parse_pipeline(text, env={})
    core, by_key = pipeline.assets
    assert (core.name, core.key, core.ref) == ("Orders Core", None, "Orders Core")
    assert (by_key.name, by_key.key, by_key.ref, by_key.type) == (None, key, key, "WebApplication")
    assert pipeline.asset("Orders Core") is core
    assert pipeline.asset("nope") is None
    configuration = pipeline.configuration_for(by_key)
    assert configuration is not None
    assert configuration.settings["A"].value == 1
    assert pipeline.configuration_for(core) is None


def test_config_values_keep_value_text_and_source() -> None:
    text = MINIMAL + (
        "  configure:\n    Orders Portal:\n"
        "      settings: {EnableBetaFeatures: yes, MaxItemsPerPage: 010, ApiToken: '${TOKEN}', Url: https://x}\n"
        "      timers: {NightlySync: {IsActive: false}}\n"
        "      integrations: {PaymentsGateway: {BaseUrl: 'https://${HOST}/pay'}}\n"
    )
    pipeline = parse_pipeline(text, env={"TOKEN": "tok-123456", "HOST": "pay.example.com"})
    configuration = pipeline.configuration_for(pipeline.assets[0])
    assert configuration is not None
    settings = configuration.settings
    assert (settings["EnableBetaFeatures"].value, settings["EnableBetaFeatures"].text) == (True, "yes")
    assert settings["MaxItemsPerPage"].text == "010"
    assert settings["Url"] == ConfigValue(value="https://x", text="https://x", source=ValueSource.LITERAL)
    assert not settings["Url"].secret
    token = settings["ApiToken"]
    assert (token.value, token.source, token.secret) == ("tok-123456", ValueSource.ENV, True)
    assert "tok-123456" not in repr(token)
    timer = configuration.timers["NightlySync"]["IsActive"]
    assert (timer.value, timer.text) == (False, "false")
    gateway = configuration.integrations["PaymentsGateway"]["BaseUrl"]
    assert (gateway.text, gateway.secret) == ("https://pay.example.com/pay", True)


def test_portal_url_adds_https() -> None:
    assert parse_pipeline("portal: acme.outsystems.app\n" + MINIMAL, env={}).portal_url == (
        "https://acme.outsystems.app"
    )
    assert parse_pipeline("portal: https://acme.outsystems.app/\n" + MINIMAL, env={}).portal_url == (
        "https://acme.outsystems.app"
    )
    assert parse_pipeline(MINIMAL, env={}).portal_url is None


def test_models_are_frozen() -> None:
    pipeline = parse_pipeline(MINIMAL, env={})
    with pytest.raises(ValueError, match="frozen"):
        pipeline.target = "Production"  # type: ignore[misc]


def test_models_validate_programmatic_input_by_kebab_case_keys() -> None:
    pipeline = PipelineFile.model_validate(
        {
            "version": 1,
            "assets": ["A"],
            "stages": {"deploy": {"max-parallel": 2}, "configure": {"A": {"settings": {"X": 1}}}},
        }
    )
    assert pipeline.stages.deploy is not None
    assert pipeline.stages.deploy.max_parallel == 2
    assert pipeline.stages.configure is not None
    assert pipeline.stages.configure["A"].settings["X"] == ConfigValue.literal(1)
