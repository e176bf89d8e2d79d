"""Portfolio v2 models (``/api/portfolios/v2``): stages and what is deployed on them."""

from __future__ import annotations

from pydantic import Field

from odc_pipeline.api.models.base import NullableList, OptionalTime, ReadModel


class Environment(ReadModel):
    """A stage; sort by ``order`` (values like 0 and 1000 — never do arithmetic on it)."""

    key: str | None = None
    name: str | None = None
    builtin_domain: str | None = None
    default_domain: str | None = None
    purpose: str | None = None
    order: int = 0
    region: str | None = None
    hosting: str | None = None
    status: str | None = None
    portfolio_key: str | None = None


class AssetDeployment(ReadModel):
    """``Deployment``: one asset on one stage (the specs require many nullable fields)."""

    environment_key: str | None = None
    name: str | None = None
    revision: int | None = None
    build_key: str | None = None
    deployment_key: str | None = None
    deployment_date_time: OptionalTime = None
    description: str | None = None
    icon_url: str | None = None
    deployment_user_id: str | None = None
    url: str | None = None
    tag: str | None = None
    tagging_user_key: str | None = None
    tagging_date_time: OptionalTime = None
    portfolio_key: str | None = None


class DeployedAsset(ReadModel):
    """``DeployedAsset``; ``deployments`` are sorted newest first by the server."""

    type: str | None = None
    key: str | None = None
    is_built_in: bool = False
    deployments: NullableList[AssetDeployment] = Field(default_factory=list)
