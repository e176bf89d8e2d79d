"""OutSystems 11 through LifeTime behind the platform seam (:class:`LifetimePlatform`).

One module per concern, like the client: ``resolve`` (names, selectors, what runs),
``tagging`` (the build stage: reuse a tag or tag the source environment), ``plans`` (impact
analysis: one plan for all applications, deleted when blocked), ``deploy`` (queue, start, poll,
two-stage, continue, abort), ``statuses`` (verdicts), ``configure`` (site properties after the
deploy), ``options`` (the file's LifeTime keys), ``connect`` (client from LIFETIME_URL /
LIFETIME_TOKEN), which ``odc_pipeline.platforms.FACTORIES`` names.
"""

from odc_pipeline.platforms.lifetime.options import LifetimeOptions, SitePropertyValue
from odc_pipeline.platforms.lifetime.platform import LifetimePlatform

__all__ = ["LifetimeOptions", "LifetimePlatform", "SitePropertyValue"]

from odc_pipeline.platforms.lifetime import connect as _connect  # noqa: F401  registers platform: lifetime
