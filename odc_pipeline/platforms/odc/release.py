"""ODC release: revision tags (Assets API), read at resolve and set by the release stage."""

from __future__ import annotations

from typing import Any

from odc_pipeline.platforms.base import AssetRef, TaggedRevision


def tagged_revisions(client: Any, asset: AssetRef) -> list[TaggedRevision]:
    """Every tagged revision, newest first (the API's default order)."""
    return [
        TaggedRevision(int(r.revision), str(r.tag))
        for r in client.assets.list_revisions(asset.key, is_tagged=True)
        if r.tag
    ]


def set_tag(client: Any, asset: AssetRef, revision: int, *, tag: str, notes: str | None) -> None:
    client.assets.set_tag(asset.key, revision, tag=tag, release_notes=notes)
