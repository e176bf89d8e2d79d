"""A table of broken pipeline files: each exits 2, points at the right place, never crashes.

Each case runs twice: through the loader (the problem's line and column) and through the CLI
(``odc-pipeline validate``: exit code 2, the ``file:line:column:`` text, no traceback).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from odc_pipeline.cli import main
from odc_pipeline.pipeline_file import PipelineFileError, load_pipeline

SITE_KEY = "726a3081-3356-59a7-a85f-0f5d0ad16f9f"
HEAD = "version: 1\ntarget: QA\nassets:\n  - Orders Portal\n"  # lines 1-4
OK_STAGES = "stages:\n  deploy: {}\n"
LT_HEAD = (
    "version: 1\nplatform: lifetime\nsource: Development\ntarget: Test\nassets:\n  - Customer Portal\n"  # 1-6
)


@dataclass(frozen=True)
class Case:
    id: str
    content: str | bytes
    line: int
    column: int
    message: str
    field: str | None = None


CASES = [
    Case("empty file", "", 1, 1, "the file is empty"),
    Case("only comments", "# nothing yet\n\n", 1, 1, "the file is empty"),
    Case("binary file", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", 3, 1, "not a text file"),
    Case("not utf-8", b"version: 1\ntarget: Q\xe9A\n", 2, 10, "not valid UTF-8"),
    Case("control character", "version: 1\ntarget: Q\x07A\n", 2, 10, "invalid character"),
    Case("unclosed flow mapping", HEAD + "stages: {deploy: {}\n", 6, 1, "invalid YAML"),
    Case("tab indentation", HEAD + "stages:\n\tdeploy: {}\n", 6, 1, "tabs"),
    Case("colon in plain value", HEAD.replace("target: QA", "target: from: QA") + OK_STAGES, 2, 13, "quote"),
    Case("two documents", HEAD + OK_STAGES + "---\nversion: 1\n", 7, 1, "expected a single document"),
    Case("top level is a list", "- version: 1\n", 1, 1, "must be a mapping"),
    Case("top level is text", "hello\n", 1, 1, "must be a mapping"),
    Case(
        "duplicate top-level key", HEAD + "target: Production\n" + OK_STAGES, 5, 1, "duplicate key 'target'"
    ),
    Case("duplicate stage", HEAD + OK_STAGES + "  deploy: {force: true}\n", 7, 3, "duplicate key 'deploy'"),
    Case(
        "missing version",
        "assets: [A]\n" + OK_STAGES,
        1,
        1,
        "a pipeline file starts with version: 1",
        "version",
    ),
    Case(
        "unsupported version",
        HEAD.replace("version: 1", "version: 2") + OK_STAGES,
        1,
        10,
        "unsupported version",
    ),
    Case("missing stages", HEAD, 1, 1, "required", "stages"),
    Case("unknown top-level key", HEAD + "stagse:\n  deploy: {}\n", 5, 1, "did you mean 'stages'?"),
    Case("unknown stage", HEAD + "stages:\n  deploi: {}\n", 6, 3, "did you mean 'deploy'?", "stages.deploi"),
    Case(
        "snake_case key",
        HEAD + "stages:\n  deploy: {max_parallel: 2}\n",
        6,
        12,
        "did you mean 'max-parallel'?",
        "stages.deploy.max_parallel",
    ),
    Case(
        "max-parallel too high",
        HEAD + "stages:\n  deploy:\n    max-parallel: 51\n",
        7,
        19,
        "must be between 1 and 50",
        "stages.deploy.max-parallel",
    ),
    Case(
        "max-parallel not a number", HEAD + "stages:\n  deploy: {max-parallel: four}\n", 6, 26, "whole number"
    ),
    Case("max-parallel boolean", HEAD + "stages:\n  deploy: {max-parallel: true}\n", 6, 26, "not true/false"),
    Case("boolean expected", HEAD + "stages:\n  deploy: {force: maybe}\n", 6, 19, "must be true or false"),
    Case(
        "stage is a list", HEAD + "stages:\n  deploy: [fast]\n", 6, 11, "must be a mapping", "stages.deploy"
    ),
    Case(
        "bad enum value",
        HEAD + "stages:\n  impact-analysis: {fail-on: error}\n",
        6,
        30,
        "did you mean 'errors'?",
        "stages.impact-analysis.fail-on",
    ),
    Case("bad duration", HEAD + OK_STAGES + "timeouts:\n  deploy: 30 minutes\n", 8, 11, "must be a duration"),
    Case("zero duration", HEAD + OK_STAGES + "timeouts: {build: 0s}\n", 7, 19, "longer than zero"),
    Case("huge duration", HEAD + OK_STAGES + "timeouts: {build: 48h}\n", 7, 19, "at most 24h"),
    Case("unknown timeout", HEAD + OK_STAGES + "timeouts: {deploi: 5m}\n", 7, 12, "did you mean 'deploy'?"),
    Case(
        "bad revision",
        "version: 1\nassets:\n  - name: A\n    revision: newest\n" + OK_STAGES,
        4,
        15,
        "must be latest, highest-tag",
        "assets[0].revision",
    ),
    Case(
        "revision zero", "version: 1\nassets:\n  - {name: A, revision: 0}\n" + OK_STAGES, 3, 25, "1 or more"
    ),
    Case(
        "empty tag",
        "version: 1\nassets:\n  - {name: A, revision: 'tag:'}\n" + OK_STAGES,
        3,
        25,
        "needs a value",
    ),
    Case("no assets", "version: 1\nassets: []\n" + OK_STAGES, 2, 9, "must not be empty", "assets"),
    Case("assets not a list", "version: 1\nassets: {name: A}\n" + OK_STAGES, 2, 9, "must be a list"),
    Case("asset is a number", "version: 1\nassets:\n  - 42\n" + OK_STAGES, 3, 5, "asset name or a mapping"),
    Case(
        "asset without name or key",
        "version: 1\nassets:\n  - revision: 3\n" + OK_STAGES,
        3,
        5,
        "name or its key",
    ),
    Case(
        "asset with name and key",
        "version: 1\nassets:\n  - {name: A, key: 8f1c4d8e-2b7a-4c1e-9a51-0c2d3e4f5a6b}\n" + OK_STAGES,
        3,
        5,
        "not both",
    ),
    Case("asset key not a uuid", "version: 1\nassets:\n  - key: Orders Portal\n" + OK_STAGES, 3, 5, "a UUID"),
    Case(
        "bad asset type",
        "version: 1\nassets:\n  - {name: A, type: WebApp}\n" + OK_STAGES,
        3,
        21,
        "WebApplication",
    ),
    Case(
        "duplicate assets", HEAD + "  - Orders Portal\n" + OK_STAGES, 5, 5, "listed twice (first at line 4)"
    ),
    Case(
        "duplicate assets by name",
        "version: 1\nassets:\n  - name: A\n  - name: A\n" + OK_STAGES,
        4,
        11,
        "listed twice",
        "assets[1].name",
    ),
    Case(
        "configure names an unknown asset",
        HEAD + "stages:\n  configure:\n    Orders Portl:\n      settings: {A: 1}\n",
        7,
        5,
        "did you mean 'Orders Portal'?",
        "stages.configure.Orders Portl",
    ),
    Case(
        "configure with an unknown section",
        HEAD + "stages:\n  configure:\n    Orders Portal:\n      setting: {A: 1}\n",
        8,
        7,
        "did you mean 'settings'?",
    ),
    Case(
        "configure value is a list",
        HEAD + "stages:\n  configure:\n    Orders Portal:\n      settings:\n        A: [1, 2]\n",
        9,
        12,
        "not a list or a mapping",
        "stages.configure.Orders Portal.settings.A",
    ),
    Case(
        "configure value is null",
        HEAD + "stages:\n  configure:\n    Orders Portal:\n      settings:\n        ApiToken:\n",
        9,
        9,
        "needs a value",
    ),
    Case(
        "http check on an unknown asset",
        HEAD + "stages:\n  verify:\n    http:\n      - {asset: Orders Portals, path: /}\n",
        8,
        17,
        "did you mean 'Orders Portal'?",
        "stages.verify.http[0].asset",
    ),
    Case(
        "http check without asset",
        HEAD + "stages:\n  verify:\n    http:\n      - path: /\n",
        8,
        9,
        "required",
        "stages.verify.http[0].asset",
    ),
    Case(
        "http path without slash",
        HEAD + "stages:\n  verify: {http: [{asset: Orders Portal, path: health}]}\n",
        6,
        48,
        "must start with /",
    ),
    Case(
        "http status out of range",
        HEAD + "stages:\n  verify: {http: [{asset: Orders Portal, expect-status: 700}]}\n",
        6,
        57,
        "between 100 and 599",
    ),
    Case(
        "negative code-quality limit",
        HEAD + "stages:\n  verify: {code-quality: {max-critical: -1}}\n",
        6,
        41,
        "at least 0",
    ),
    Case(
        "missing environment variable",
        HEAD
        + "stages:\n  configure:\n    Orders Portal:\n      settings: {ApiToken: '${ORDERS_API_TOKEN}'}\n",
        8,
        28,
        "ORDERS_API_TOKEN is not set",
    ),
    Case(
        "bad interpolation",
        HEAD.replace("target: QA", "target: ${TARGET STAGE}") + OK_STAGES,
        2,
        9,
        "invalid ${...}",
    ),
    Case(
        "client secret in the file", HEAD + "client-secret: abc\n" + OK_STAGES, 5, 1, "credentials never live"
    ),
    Case(
        "password in a stage", HEAD + "stages:\n  deploy: {password: abc}\n", 6, 12, "credentials never live"
    ),
    Case("no stages listed", HEAD + "stages: {}\n", 5, 9, "name at least one stage", "stages"),
    Case(
        "promote from the target",
        HEAD.replace("target: QA", "target: Production") + "revision: from:Production\n" + OK_STAGES,
        5,
        11,
        "target itself",
    ),
    Case(
        "custom tag", HEAD.replace("target: QA", "target: !Env QA") + OK_STAGES, 2, 9, "unsupported YAML tag"
    ),
    Case("merge key", HEAD + "base: &b {force: true}\nstages:\n  deploy:\n    <<: *b\n", 8, 5, "merge keys"),
    Case("list as a key", HEAD + OK_STAGES + "? [a, b]\n: 1\n", 7, 3, "a key must be plain text"),
    Case("bad portal", "portal: https://acme outsystems\n" + HEAD + OK_STAGES, 1, 9, "Portal host"),
    Case(
        "release version and bump",
        HEAD + "stages:\n  release: {version: 1.4.0, bump: patch}\n",
        6,
        12,
        "exactly one",
    ),
    Case("release without version", HEAD + "stages:\n  release: {notes: hi}\n", 6, 12, "exactly one"),
    Case(
        "release version not semver",
        HEAD + "stages:\n  release: {version: '1.4'}\n",
        6,
        22,
        "Major.Minor.Patch",
    ),
    Case(
        "release bump unknown",
        HEAD + "stages:\n  release: {bump: huge}\n",
        6,
        19,
        "one of: patch, minor, major",
    ),
    Case(
        "release notes and notes-file",
        HEAD + "stages:\n  release: {bump: patch, notes: a, notes-file: b.md}\n",
        6,
        12,
        "notes or notes-file, not both",
    ),
    Case(
        "package with a revision",
        "version: 1\nassets:\n  - {package: sdk.zip, revision: 3}\n" + OK_STAGES,
        3,
        5,
        "drop revision",
    ),
    Case(
        "package of a low-code library",
        "version: 1\nassets:\n  - {package: sdk.zip, type: LowCodeLibrary}\n" + OK_STAGES,
        3,
        5,
        "is an ExternalLibrary",
    ),
    Case(
        "unknown platform",
        "version: 1\nplatform: outsystems11\n" + HEAD[11:] + OK_STAGES,
        2,
        11,
        "one of: odc, lifetime",
    ),
    Case(
        "LifeTime key under ODC: two-stage",
        HEAD + "stages:\n  deploy: {two-stage: true}\n",
        6,
        12,
        "a LifeTime key, refused unless platform: lifetime",
        "stages.deploy.two-stage",
    ),
    Case("LifeTime key under ODC: source", HEAD + "source: Development\n" + OK_STAGES, 5, 1, "LifeTime key"),
    Case(
        "LifeTime key under ODC: deployment zone",
        "version: 1\nassets:\n  - {name: A, deployment-zone: Global}\n" + OK_STAGES,
        3,
        15,
        "LifeTime deployment zones",
        "assets[0].deployment-zone",
    ),
    Case(
        "LifeTime selector under ODC",
        "version: 1\nassets:\n  - {name: A, revision: latest-tag}\n" + OK_STAGES,
        3,
        25,
        "latest-tag is a LifeTime selector",
    ),
    Case(
        "ODC key under LifeTime: force-rebuild",
        LT_HEAD + "stages:\n  build: {force-rebuild: true}\n",
        8,
        11,
        "an ODC key, refused with platform: lifetime; LifeTime has no builds",
        "stages.build.force-rebuild",
    ),
    Case(
        "ODC key under LifeTime: release",
        LT_HEAD + "stages:\n  release: {bump: patch}\n",
        8,
        3,
        "build stage tags",
    ),
    Case(
        "ODC key under LifeTime: portal",
        LT_HEAD.replace("source:", "portal: acme.outsystems.dev\nsource:") + OK_STAGES,
        3,
        1,
        "LIFETIME_URL",
    ),
    Case(
        "ODC settings under LifeTime",
        LT_HEAD + "stages:\n  configure:\n    Customer Portal:\n      settings: {A: b}\n",
        10,
        7,
        "modules: {<module>: {site-properties",
    ),
    Case(
        "ODC selector under LifeTime",
        LT_HEAD.replace("  - Customer Portal\n", "  - {name: Customer Portal, revision: highest-tag}\n")
        + OK_STAGES,
        6,
        39,
        "highest-tag is an ODC selector",
    ),
    Case(
        "revision number under LifeTime",
        LT_HEAD.replace("  - Customer Portal\n", "  - {name: Customer Portal, revision: 7}\n") + OK_STAGES,
        6,
        39,
        "LifeTime has no revision numbers",
    ),
    Case(
        "LifeTime tag not a version",
        LT_HEAD.replace("  - Customer Portal\n", "  - {name: Customer Portal, revision: 'tag:v2'}\n")
        + OK_STAGES,
        6,
        39,
        "is not a LifeTime version",
    ),
    Case(
        "LifeTime without a source",
        LT_HEAD.replace("source: Development\n", "") + OK_STAGES,
        5,
        5,
        "latest-tag needs source: <environment>",
        "assets[0]",
    ),
    Case(
        "LifeTime modified without build",
        LT_HEAD.replace("  - Customer Portal\n", "  - {name: Customer Portal, revision: modified}\n")
        + OK_STAGES,
        6,
        39,
        "add stages.build",
    ),
    Case(
        "LifeTime build version and bump",
        LT_HEAD + "stages:\n  build: {version: 1.4.0, bump: patch}\n",
        8,
        10,
        "version or bump, not both",
    ),
    Case(
        "LifeTime build version not a version",
        LT_HEAD + "stages:\n  build: {version: 1.4-rc}\n",
        8,
        20,
        "must be a LifeTime version",
    ),
    Case(
        "LifeTime two-stage not a boolean",
        LT_HEAD + "stages:\n  deploy: {two-stage: sure}\n",
        8,
        23,
        "true or false",
    ),
    Case(
        "LifeTime token in the file",
        LT_HEAD + "lifetime-token: abc\n" + OK_STAGES,
        7,
        1,
        "set LIFETIME_TOKEN",
    ),
    Case(
        "LifeTime site property list",
        LT_HEAD
        + "stages:\n  configure:\n    Customer Portal:\n      modules:\n        CustomerPortal:\n"
        + f"          site-properties: {{PageSize: {{key: {SITE_KEY}, value: [1, 2]}}}}\n",
        12,
        90,
        "not a list or a mapping",
    ),
    Case(
        "LifeTime site property without a key",
        LT_HEAD
        + "stages:\n  configure:\n    Customer Portal:\n      modules:\n        CustomerPortal:\n"
        + "          site-properties: {PageSize: {value: 1}}\n",
        12,
        39,
        "required",
        "stages.configure.Customer Portal.modules.CustomerPortal.site-properties.PageSize.key",
    ),
    Case(
        "LifeTime site property key not a uuid",
        LT_HEAD
        + "stages:\n  configure:\n    Customer Portal:\n      modules:\n        CustomerPortal:\n"
        + "          site-properties: {PageSize: {key: PageSize, value: 1}}\n",
        12,
        45,
        "must be a key (a UUID)",
    ),
    Case(
        "LifeTime configure unknown module key",
        LT_HEAD
        + "stages:\n  configure:\n    Customer Portal:\n      modules:\n        CustomerPortal:\n"
        + f"          site-propertys: {{PageSize: {{key: {SITE_KEY}, value: 1}}}}\n",
        12,
        11,
        "did you mean 'site-properties'?",
    ),
    Case(
        "on-review without a package",
        "version: 1\nassets:\n  - {name: A, on-review: fail}\n" + OK_STAGES,
        3,
        5,
        "only to an asset with a package",
    ),
]


def _write(tmp_path: Path, case: Case) -> Path:
    path = tmp_path / "odc-pipeline.yml"
    if isinstance(case.content, bytes):
        path.write_bytes(case.content)
    else:
        path.write_text(case.content, encoding="utf-8")
    return path


def test_the_table_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_loader_reports_position(tmp_path: Path, case: Case) -> None:
    path = _write(tmp_path, case)
    with pytest.raises(PipelineFileError) as caught:
        load_pipeline(path, env={})
    assert caught.value.exit_code == 2
    found = [(p.line, p.column, p.field) for p in caught.value.problems if case.message in p.message]
    assert found, f"no problem mentions {case.message!r}: {caught.value}"
    assert (found[0][0], found[0][1]) == (case.line, case.column), str(caught.value)
    if case.field is not None:
        assert found[0][2] == case.field
    assert all(p.file == str(path) for p in caught.value.problems)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_validate_exits_2_without_traceback(
    tmp_path: Path, case: Case, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ORDERS_API_TOKEN", raising=False)
    path = _write(tmp_path, case)
    assert main(["validate", str(path)]) == 2
    out, err = capsys.readouterr()
    assert f"{path}:{case.line}:{case.column}: " in err
    assert case.message in err
    assert "Traceback" not in err
    assert out == ""


def test_validate_lists_every_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "odc-pipeline.yml"
    path.write_text(
        HEAD
        + "  - Orders Portal\n"  # 5: duplicate
        + "stages:\n"
        + "  deploy: {max-parallel: 0, forse: true}\n"  # 7: range and typo
        + "  verify: {http: [{asset: Nope}]}\n"  # 8: unknown asset
        + "timeouts: {build: soon}\n",  # 9: bad duration
        encoding="utf-8",
    )
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    pattern = re.compile(re.escape(str(path)) + r":(\d+):(\d+): ")
    positions = [match.groups() for line in err.splitlines() if (match := pattern.match(line))]
    assert positions == [("5", "5"), ("7", "26"), ("7", "29"), ("8", "27"), ("9", "19")]
    assert "invalid (5 problems)" in err


def test_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.yml")]) == 2
    assert "file not found" in capsys.readouterr().err


def test_directory_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path)]) == 2
    assert "is a directory" in capsys.readouterr().err
