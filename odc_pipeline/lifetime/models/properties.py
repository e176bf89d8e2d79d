"""The Properties API's answer (``/PropertiesAPI/rest/v1``; UNDOC apart from OP's code, notes §3.4)."""

from __future__ import annotations

from enum import StrEnum

from odc_pipeline.lifetime.models.base import LtReadModel


class ConfigurationItemType(StrEnum):
    """The four item kinds OP's manifest names, each with its own path suffix."""

    SITE_PROPERTY = "SiteProperty"
    REST_ENDPOINT = "REST_Endpoint"
    SOAP_ENDPOINT = "SOAP_Endpoint"
    TIMER_SCHEDULE = "TimerSchedule"


class PropertyResult(LtReadModel):
    """``{"Success": bool, "Message": str}``; ``Success: false`` means the value was not applied."""

    success: bool
    message: str | None = None
