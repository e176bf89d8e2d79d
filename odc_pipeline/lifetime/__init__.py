"""The LifeTime (OutSystems 11) client: ``LifetimeClient(LifetimeSettings.from_env())``.

Same shape and guarantees as the ODC client (``odc_pipeline.api``), on the same HTTP core.
Failures raise the ODC client's ApiError classes (``odc_pipeline.api.errors``).
"""

from odc_pipeline.lifetime.client import LifetimeClient
from odc_pipeline.lifetime.endpoints import LIFETIME_V2, PROPERTIES_V1, LifetimeApi
from odc_pipeline.lifetime.errors import LifetimeErrorBody
from odc_pipeline.lifetime.http import Answer, LifetimeHttp
from odc_pipeline.lifetime.properties import PropertyNotAppliedError
from odc_pipeline.lifetime.query import QueryArgumentError
from odc_pipeline.lifetime.settings import LifetimeSettings

__all__ = [
    "LIFETIME_V2",
    "PROPERTIES_V1",
    "Answer",
    "LifetimeApi",
    "LifetimeClient",
    "LifetimeErrorBody",
    "LifetimeHttp",
    "LifetimeSettings",
    "PropertyNotAppliedError",
    "QueryArgumentError",
]
