"""The two APIs a LifeTime exposes to a pipeline: base paths, names, contracts.

Kept as data in one place because URL building, ``call_counts`` keys
(``"GET /lifetimeapi/rest/v2/deployments/{DeploymentKey}/status/"``), error messages ("the
LifeTime API v2 refused …") and the query serializer (which reads the swagger's declarations)
all key on it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LifetimeApi:
    """One API of a LifeTime installation."""

    name: str  # how messages name it
    base_path: str
    spec_file: str | None  # the vendored swagger; None = no public contract (UNDOC)


LIFETIME_V2 = LifetimeApi("LifeTime API v2", "/lifetimeapi/rest/v2", "lifetime-api-v2.json")
PROPERTIES_V1 = LifetimeApi("LifeTime Properties API", "/PropertiesAPI/rest/v1", None)
"""Site properties, REST/SOAP URLs, timers: not in the swagger; OP's calls are the contract (notes §3.4)."""
