"""Every example validates, uses only the shared portfolio's names, and matches the schema."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from odc_pipeline.cli import main
from odc_pipeline.pipeline_file import RevisionKind, load_pipeline
from odc_pipeline.redaction import SECRETS

from .helpers import EXAMPLE_FILES, EXAMPLES, ROOT

PORTFOLIO_ASSETS = {"Orders Core", "Orders API", "Orders Portal", "Orders Backoffice", "Orders Assistant"}
PORTFOLIO_STAGES = {"Development", "QA", "Production"}
EXAMPLE_ENV = {"ORDERS_API_TOKEN": "example-token-123", "PAYMENTS_API_KEY": "example-key-456"}


def test_the_four_examples_exist() -> None:
    names = {path.name for path in EXAMPLE_FILES}
    assert {
        "single-app.yml",
        "promote-qa-to-production.yml",
        "multi-asset-release.yml",
        "configuration-only.yml",
    } <= names


LIFETIME_TENANT = yaml.safe_load((EXAMPLES / "lifetime-tenant.yaml").read_text(encoding="utf-8"))
LIFETIME_APPS = {app["name"] for app in LIFETIME_TENANT["applications"]}
LIFETIME_ENVIRONMENTS = {env["name"] for env in LIFETIME_TENANT["environments"]}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[path.name for path in EXAMPLE_FILES])
def test_example_validates_and_names_only_portfolio_assets(path: Path) -> None:
    pipeline = load_pipeline(path, env=EXAMPLE_ENV)
    if pipeline.platform == "lifetime":  # the LifeTime simulator's infrastructure, not ODC's portfolio
        assert pipeline.target in LIFETIME_ENVIRONMENTS
        assert pipeline.source is None or pipeline.source in LIFETIME_ENVIRONMENTS
        assert {asset.ref for asset in pipeline.assets} <= LIFETIME_APPS
        return
    assert pipeline.target in PORTFOLIO_STAGES
    # An asset with a package may create its library, so it need not be in the portfolio yet.
    assert {asset.ref for asset in pipeline.assets if asset.package is None} <= PORTFOLIO_ASSETS
    for asset in pipeline.assets:
        if asset.revision.kind is RevisionKind.FROM_STAGE:
            assert asset.revision.value in PORTFOLIO_STAGES


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[path.name for path in EXAMPLE_FILES])
def test_example_conforms_to_the_committed_schema(path: Path) -> None:
    schema = json.loads((ROOT / "schema" / "odc-pipeline.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(yaml.safe_load(path.read_text(encoding="utf-8")), schema)


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=[path.name for path in EXAMPLE_FILES])
def test_validate_command_accepts_example(path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name, value in EXAMPLE_ENV.items():
            patch.setenv(name, value)
        assert main(["validate", str(path)]) == 0
    assert f"{path}: valid" in capsys.readouterr().out


def test_demo_runs_every_stage_with_no_environment() -> None:
    pipeline = load_pipeline(EXAMPLES / "multi-asset-release.yml", env={})
    assert pipeline.stages.enabled == ("configure", "build", "impact-analysis", "deploy", "verify")
    assert [asset.ref for asset in pipeline.assets] == [
        "Orders Core",
        "Orders API",
        "Orders Portal",
        "Orders Backoffice",
    ]
    assert pipeline.target == "QA"
    assert pipeline.stages.verify is not None
    assert pipeline.stages.verify.http
    portal = pipeline.configuration_for(pipeline.assets[2])
    assert portal is not None
    token = portal.settings["ApiToken"]
    assert token.secret
    assert token.text in SECRETS  # the demo default is masked like a real secret


def test_promotion_takes_every_revision_from_qa_into_production() -> None:
    pipeline = load_pipeline(EXAMPLES / "promote-qa-to-production.yml", env=EXAMPLE_ENV)
    assert pipeline.target == "Production"
    assert {(a.revision.kind, a.revision.value) for a in pipeline.assets} == {(RevisionKind.FROM_STAGE, "QA")}
    assert pipeline.stages.configure
    assert pipeline.stages.build is None


def test_promotion_refuses_to_run_without_its_secrets(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.MonkeyPatch.context() as patch:
        for name in EXAMPLE_ENV:
            patch.delenv(name, raising=False)
        assert main(["validate", str(EXAMPLES / "promote-qa-to-production.yml")]) == 2
        assert main(["validate", "--ignore-missing-env", str(EXAMPLES / "promote-qa-to-production.yml")]) == 0
    assert "ORDERS_API_TOKEN is not set" in capsys.readouterr().err


def test_the_lifetime_example_tags_modified_apps_and_promotes_them() -> None:
    pipeline = load_pipeline(EXAMPLES / "lifetime-release.yml", env={})
    assert pipeline.platform == "lifetime"
    assert (pipeline.source, pipeline.target) == ("Development", "Test")
    assert {a.ref: a.revision.kind for a in pipeline.assets} == {
        "Core Services": RevisionKind.LATEST_TAG,
        "Customer Portal": RevisionKind.MODIFIED,
    }
    assert pipeline.stages.build is not None
    assert pipeline.stages.build.bump == "minor"


def test_configuration_only_runs_only_configure() -> None:
    pipeline = load_pipeline(EXAMPLES / "configuration-only.yml", env={})
    assert pipeline.stages.enabled == ("configure",)
