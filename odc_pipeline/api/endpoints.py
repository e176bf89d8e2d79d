"""The ODC API domains the client talks to: base paths, spec files and rate-limit rules.

Kept as data in one place because three things key on it: URL building, ``call_counts`` names
(``"POST /api/builds/v1/build-operations"``) and the documented per-organization limits
(odc-api-notes §5.1).
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ApiDomain:
    """One API domain (``/api/<slug>/<version>``) and its limits."""

    slug: str
    version: str
    spec_file: str
    per_minute: int = 100
    # POST endpoints with their own 10/min limit; "*" = every POST of the domain.
    limited_posts: frozenset[str] = field(default_factory=frozenset)
    post_per_minute: int = 10

    @property
    def base_path(self) -> str:
        return f"/api/{self.slug}/{self.version}"

    def post_limited(self, template: str) -> bool:
        return "*" in self.limited_posts or template in self.limited_posts

    @property
    def bucket(self) -> str:
        """The rate limiter's key of the domain's window (every request of the domain counts)."""
        return f"domain:{self.base_path}"

    def post_bucket(self, template: str) -> str:
        """The rate limiter's key of one POST endpoint's own window (when ``post_limited``)."""
        return f"post:POST {self.base_path}{template}"


ASSET_REPOSITORY = ApiDomain(
    "asset-repository", "v1", "asset-repository-api-v1.json", limited_posts=frozenset({"/assets"})
)
BUILDS = ApiDomain("builds", "v1", "build-operations-api-v1.json", limited_posts=frozenset({"*"}))
DEPENDENCY_MANAGEMENT = ApiDomain("dependency-management", "v1", "dependency-management-api-v1.json")
ASSET_CONFIGURATIONS = ApiDomain("asset-configurations", "v1", "asset-configurations-api-v1.json")
DEPLOYMENTS = ApiDomain("deployments", "v1", "deployments-api-v1.json", limited_posts=frozenset({"*"}))
CODE_QUALITY = ApiDomain(
    "code-quality", "v1", "code-quality-api-v1.json", limited_posts=frozenset({"/code-analyses"})
)
EXTERNAL_LIBRARIES = ApiDomain(
    "external-libraries", "v1", "external-library-generation-api-v1.json", limited_posts=frozenset({"*"})
)
PORTFOLIO = ApiDomain("portfolios", "v2", "portfolio-api-v2.json")

ALL_DOMAINS = (
    ASSET_REPOSITORY,
    BUILDS,
    DEPENDENCY_MANAGEMENT,
    ASSET_CONFIGURATIONS,
    DEPLOYMENTS,
    CODE_QUALITY,
    EXTERNAL_LIBRARIES,
    PORTFOLIO,
)
