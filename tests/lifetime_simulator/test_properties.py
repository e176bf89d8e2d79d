"""The Properties API (UNDOC, reconstructed from the official scripts): raw-text values, 201 answers."""

from __future__ import annotations

import requests


def put(
    sim, module: str, env: str, suffix: str, value: str, *, token: str | None = None
) -> requests.Response:
    return requests.put(
        f"{sim.url}/PropertiesAPI/rest/v1/Modules/{module}/Environments/{env}/{suffix}",
        data=value.encode(),
        headers={"Authorization": f"Bearer {token or sim.token}", "Content-Type": "application/json"},
        timeout=10,
    )


def test_site_property_value_is_the_raw_body(sim):
    items = {i.name: i for i in sim.state.config.values()}
    prod = sim.state.env_by_name["Production"].key
    item = items["PageSize"]
    answer = put(sim, item.module_key, prod, f"SiteProperties/{item.key}/Value", '"50"')
    assert (answer.status_code, answer.json()) == (201, {"Success": True, "Message": ""})
    assert sim.state.config_value("CustomerPortal", "Production", "PageSize") == '"50"'  # not JSON-decoded
    assert sim.state.config_value("CustomerPortal", "Test", "PageSize") == "20"  # the default elsewhere


def test_a_wrong_kind_or_key_is_success_false_and_unknown_modules_404(sim):
    items = {i.name: i for i in sim.state.config.values()}
    prod = sim.state.env_by_name["Production"].key
    timer = items["NightlySync"]
    wrong = put(sim, timer.module_key, prod, f"SiteProperties/{timer.key}/Value/", "x")
    assert wrong.status_code == 201
    assert wrong.json()["Success"] is False
    assert "no SiteProperty" in wrong.json()["Message"]
    assert put(sim, "nope", prod, f"Timers/{timer.key}/Schedule/", "x").status_code == 404
    assert put(sim, timer.module_key, "nope", f"Timers/{timer.key}/Schedule/", "x").status_code == 404
    assert (
        put(sim, timer.module_key, prod, f"Timers/{timer.key}/Schedule/", "x", token="bad").status_code == 401
    )
    assert sim.state.config_value("CoreServices_CS", "Production", "NightlySync") == "03:30"
