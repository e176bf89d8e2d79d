"""The two APIs a LifeTime exposes to a pipeline: base paths, names, contracts.

Kept as data in one place because URL building, ``call_counts`` keys
(``"GET /lifetimeapi/rest/v2/deployments/{DeploymentKey}/status/"``), error messages ("the
LifeTime API v2 refused …") and the query serializer (which reads the swagger's declarations)
all key on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from odc_pipeline.swagger import LIFETIME_BASE_PATH, PROPERTIES_BASE_PATH, SPEC_FILES


@dataclass(frozen=True)
class LifetimeApi:
    """One API of a LifeTime installation."""

    name: str  # how messages name it
    base_path: str

    @property
    def spec_file(self) -> str:
        """The document the client is held to (``odc_pipeline.swagger.SPEC_FILES``)."""
        return SPEC_FILES[self.base_path]


LIFETIME_V2 = LifetimeApi("LifeTime API v2", LIFETIME_BASE_PATH)
PROPERTIES_V1 = LifetimeApi("LifeTime Properties API", PROPERTIES_BASE_PATH)
"""Site properties, REST/SOAP URLs, timers: no public contract;
``specs/lifetime-properties-api-v1.undoc.json`` reconstructs it from OP's calls (notes §3.4)."""
