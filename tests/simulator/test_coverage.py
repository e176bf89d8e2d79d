"""README lists exactly the spec operations the simulator does not serve (and they answer 501)."""

from __future__ import annotations

import re
from pathlib import Path

from odc_pipeline.simulator.coverage import unserved_markdown, unserved_operations

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_lists_the_unserved_operations():
    text = README.read_text(encoding="utf-8")
    listed = re.search(r"<!-- unserved:start -->\n(.*?)<!-- unserved:end -->", text, re.S)
    assert listed is not None
    assert listed.group(1) == unserved_markdown()


def test_an_unserved_operation_answers_501_and_everything_the_client_calls_is_served(api):
    unserved = unserved_operations()
    assert ("/api/portfolios/v2", "GET", "/libraries") in unserved
    answer = api("GET", "/api/portfolios/v2/libraries")
    assert answer.status_code == 501
    from odc_pipeline.api.endpoints import ALL_DOMAINS

    client_bases = {d.base_path for d in ALL_DOMAINS}
    used = {
        ("/api/portfolios/v2", "GET", "/deployed-assets"),
        ("/api/deployments/v1", "POST", "/deployment-operations"),
        ("/api/builds/v1", "POST", "/build-operations"),
    }
    assert not used & set(unserved)
    assert {base for base, _, _ in unserved} - client_bases <= {
        "/api/portfolios/v1",
        "/api/native-mobile-builds/v1",
        "/api/environment-configurations/v1",
    }
