"""Asset Repository models (``/api/asset-repository/v1``)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from odc_pipeline.api.models.base import OptionalTime, ReadModel, RequestModel


class AssetRevision(ReadModel):
    """``AssetRevisionV1``: one revision of an asset (``GET /assets`` lists latest revisions)."""

    asset_key: str
    name: str
    portfolio_key: str | None = None
    revision: int = 0
    description: str | None = None
    is_external: bool = False
    tag: str | None = None
    model_digest: str | None = None
    cloned_from_template_key: str | None = None
    asset_type: str | None = None
    created_by: str | None = None
    created_at: OptionalTime = None
    commit_message: str | None = None
    tagged_by: str | None = None
    tagged_at: OptionalTime = None
    embedded: dict[str, Any] | None = Field(default=None, alias="_embedded")


class AssetRevisionPatch(RequestModel):
    """``AssetVersionPatchRequest``: release notes need a tag (the server refuses them alone)."""

    tag: str | None = None
    release_notes: str | None = None
    commit_message: str | None = None
