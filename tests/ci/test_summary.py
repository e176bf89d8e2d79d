from __future__ import annotations

from odc_pipeline.reporting.summary import render_summary

from .conftest import HOSTILE, SECRET, make_report


def _table_rows(markdown: str) -> list[list[str]]:
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    return [[c.strip() for c in row.strip("|").split(" | ")] for row in rows]


def test_summary_table_is_assets_by_stages_with_revisions_and_links(secrets) -> None:
    md = render_summary(make_report(), secrets=secrets)
    rows = _table_rows(md)
    assert rows[0] == ["Asset", "build", "deploy", "Revision", "App"]
    by_asset = {r[0]: r for r in rows[1:]}
    assert by_asset["Orders API"][1] == "✅ succeeded"
    assert by_asset["Orders API"][3] == "r11 → r12"
    assert by_asset["Orders API"][4] == "[open](https://qa.example.com/OrdersAPI)"
    assert by_asset["Orders Core"][2] == "⏭️ skipped"
    assert by_asset["Orders Core"][3] == "bundled r7"  # a library is bundled, never deployed
    assert "Exit code **0**" in md


def test_summary_of_hostile_failure_keeps_table_shape_and_no_secret(secrets) -> None:
    md = render_summary(make_report(failed=True, hostile=HOSTILE), secrets=secrets)
    assert SECRET not in md
    rows = _table_rows(md)
    assert all(len(r) == 5 for r in rows)
    assert "<details>" in md
    assert "pwned" in md
    assert "##vso[" not in md
    assert all(not line.lstrip().startswith("::") for line in md.splitlines())


def test_summary_drops_details_rather_than_exceed_limit(secrets) -> None:
    md = render_summary(make_report(failed=True, hostile="x" * 5000), secrets=secrets, limit_bytes=3000)
    assert len(md.encode()) <= 3000
    assert "Messages omitted" in md


def test_unsafe_links_are_not_rendered(secrets) -> None:
    from dataclasses import replace

    report = make_report()
    assets = tuple(replace(a, url="javascript:alert(1)") for a in report.assets)
    md = render_summary(replace(report, assets=assets), secrets=secrets)
    assert "javascript" not in md
