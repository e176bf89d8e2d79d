from __future__ import annotations

import xml.etree.ElementTree as ET

from odc_pipeline.reporting.junit import render_junit

from .conftest import HOSTILE, SECRET, make_report


def test_one_testcase_per_asset_and_stage(secrets) -> None:
    root = ET.fromstring(render_junit(make_report(failed=True), secrets=secrets).encode())
    cases = root.findall("./testsuite/testcase")
    assert sorted((c.get("classname"), c.get("name")) for c in cases) == sorted(
        (f"odc-pipeline.{stage}", asset)
        for stage in ("build", "deploy")
        for asset in ("Orders Core", "Orders API", "Orders Portal")
    )
    failed = [c for c in cases if c.find("failure") is not None]
    assert [(c.get("classname"), c.get("name")) for c in failed] == [("odc-pipeline.deploy", "Orders Portal")]
    skipped = [c.get("name") for c in cases if c.find("skipped") is not None]
    assert skipped == ["Orders Core"]
    assert root.get("tests") == "6"
    assert root.get("failures") == "1"
    assert root.get("skipped") == "1"


def test_junit_is_well_formed_with_hostile_text_and_has_no_secret(secrets) -> None:
    xml = render_junit(make_report(failed=True, hostile=HOSTILE + "\x00\x1b"), secrets=secrets)
    assert SECRET not in xml
    root = ET.fromstring(xml.encode())
    failure = root.find("./testsuite/testcase/failure")
    assert failure is not None
    assert "pwned" in (failure.text or "")
