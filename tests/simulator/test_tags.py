"""Libraries are released by tagging revisions; tags must be Major.Minor.Patch and rise."""

from __future__ import annotations

import pytest

from odc_pipeline.api import BadRequestError, PermissionDeniedError

from .conftest import Api, keys


def test_highest_tag_revision_is_none_until_first_tagged(sim, make_client):
    client = make_client(sim)
    portal = keys(sim)["Orders Portal"]
    assert client.assets.highest_tag_revision(portal) is None
    client.assets.set_tag(portal, 19, tag="2.0.0", release_notes="First tagged release")
    tagged = client.assets.highest_tag_revision(portal)
    assert (tagged.revision, tagged.tag) == (19, "2.0.0")


def test_releasing_a_library_is_tagging_its_revision(sim, make_client):
    client = make_client(sim)
    core = keys(sim)["Orders Core"]
    assert client.assets.highest_tag_revision(core).tag == "1.3.0"
    client.assets.set_tag(
        core, 8, tag="1.4.0", release_notes="Totals refactor", commit_message="Release 1.4.0"
    )
    highest = client.assets.highest_tag_revision(core)
    assert (highest.revision, highest.tag, highest.commit_message) == (8, "1.4.0", "Release 1.4.0")
    assert highest.tagged_by == sim.client_id


@pytest.mark.parametrize(
    ("tag", "code"),
    [
        ("1.3.0", "OS-APPS-40021"),
        ("1.2.9", "OS-APPS-40022"),
        ("1.4", "OS-APPS-40020"),
        ("v1.4.0", "OS-APPS-40020"),
    ],
)
def test_tags_that_are_reused_lower_or_malformed_are_refused(sim, make_client, tag, code):
    client = make_client(sim)
    core = keys(sim)["Orders Core"]
    with pytest.raises(BadRequestError) as refused:
        client.assets.set_tag(core, 8, tag=tag)
    assert refused.value.status == 400
    assert refused.value.problem.error_code == code
    assert sim.state.assets[core].revisions[8].tag is None


def test_release_notes_need_a_tag(sim, api):
    core = keys(sim)["Orders Core"]
    refused = api("PATCH", f"/api/asset-repository/v1/assets/{core}/revisions/8", json={"releaseNotes": "x"})
    assert refused.status_code == 400
    accepted = api(
        "PATCH", f"/api/asset-repository/v1/assets/{core}/revisions/7", json={"releaseNotes": "Better"}
    )
    assert accepted.status_code == 204
    assert api("GET", f"/api/asset-repository/v1/assets/{core}/revisions/7/release-notes").json() == {
        "tag": "1.3.0",
        "content": "<p>Better</p>",
    }


def test_a_higher_tag_replaces_the_tag_of_an_already_tagged_revision(sim, api):
    core = keys(sim)["Orders Core"]
    assert (
        api("PATCH", f"/api/asset-repository/v1/assets/{core}/revisions/7", json={"tag": "1.3.1"}).status_code
        == 204
    )
    assert sim.state.assets[core].revisions[7].tag == "1.3.1"


def test_tagging_needs_change_or_release_permission(sim, make_client):
    client = make_client(sim, "read-only")
    with pytest.raises(PermissionDeniedError):
        client.assets.set_tag(keys(sim)["Orders Core"], 8, tag="1.4.0")


def test_unknown_fields_in_the_patch_are_refused(sim):
    api = Api(sim)
    core = keys(sim)["Orders Core"]
    refused = api(
        "PATCH", f"/api/asset-repository/v1/assets/{core}/revisions/8", json={"tag": "1.4.0", "labels": ["x"]}
    )
    assert refused.status_code == 400
    assert "labels" in refused.json()["detail"]
    assert sim.state.assets[core].revisions[8].tag is None
