"""Site properties, REST/SOAP endpoint URLs and timer schedules through the Properties API.

The LifeTime API v2 has none of these (notes §2.5); LifeTime's separate Properties API
(``/PropertiesAPI/rest/v1``) does, and its only public description is what OP 0.11.0 sends
(notes §3.4), which is what this module sends: ``PUT …/Modules/{ModuleKey}/Environments/
{EnvironmentKey}/<kind>/{Key}/<field>/`` with the raw value as the body (not JSON-encoded) and
``Content-Type: application/json``, answered by ``{"Success": bool, "Message": str}`` (OP
expects 201; any 2xx is accepted). ``Success: false`` raises :class:`PropertyNotAppliedError`
— OP only prints it and exits 0, which hides a failed configuration. A PUT is safe to repeat,
so it is retried like a GET on connection errors, 429 and 502–504.
"""

from __future__ import annotations

from odc_pipeline.api.errors import ApiError
from odc_pipeline.lifetime.endpoints import PROPERTIES_V1
from odc_pipeline.lifetime.http import LifetimeHttp, expect_json_object
from odc_pipeline.lifetime.models import ConfigurationItemType, PropertyResult

ITEM_PATHS: dict[ConfigurationItemType, tuple[str, str]] = {
    ConfigurationItemType.SITE_PROPERTY: ("SiteProperties/{SitePropertyKey}/Value/", "SitePropertyKey"),
    ConfigurationItemType.REST_ENDPOINT: (
        "RESTReferences/{RESTReferenceKey}/EffectiveURL/",
        "RESTReferenceKey",
    ),
    ConfigurationItemType.SOAP_ENDPOINT: (
        "SOAPReferences/{SOAPReferenceKey}/EffectiveURL/",
        "SOAPReferenceKey",
    ),
    ConfigurationItemType.TIMER_SCHEDULE: ("Timers/{TimerKey}/Schedule/", "TimerKey"),
}
"""Each kind's path (as ``specs/lifetime-properties-api-v1.undoc.json`` spells it) and key parameter."""
MODULE_IN_ENVIRONMENT = "/Modules/{ModuleKey}/Environments/{EnvironmentKey}/"


class PropertyNotAppliedError(ApiError):
    """The Properties API answered ``Success: false``: the value was not applied."""


def item_template(item_type: ConfigurationItemType | str) -> str:
    """The path template (under the Properties API) for one kind of configuration item."""
    return MODULE_IN_ENVIRONMENT + ITEM_PATHS[ConfigurationItemType(item_type)][0]


class PropertiesApi:
    def __init__(self, http: LifetimeHttp) -> None:
        self._http = http

    def set_value(
        self,
        item_type: ConfigurationItemType | str,
        *,
        module_key: str,
        environment_key: str,
        key: str,
        value: str,
    ) -> PropertyResult:
        """Set one configuration item of a module in one environment.

        ``value`` may be secret: the caller registers it in SECRETS before calling, so an
        error that echoes it is masked.
        """
        template = item_template(item_type)
        key_parameter = ITEM_PATHS[ConfigurationItemType(item_type)][1]
        answer = self._http.request(
            "PUT",
            PROPERTIES_V1,
            template,
            path_params={"ModuleKey": module_key, "EnvironmentKey": environment_key, key_parameter: key},
            text=value,
        )
        where = f"PUT {PROPERTIES_V1.base_path}{template}"
        result = PropertyResult.model_validate(expect_json_object(answer, where))
        if not result.success:
            raise PropertyNotAppliedError(
                self._http.secrets.redact(
                    f"{where}: the {PROPERTIES_V1.name} did not apply "
                    f"{ConfigurationItemType(item_type).value} {key!r} of module {module_key!r} "
                    f"in environment {environment_key!r}: "
                    f"{result.message or 'no reason given'}"
                ),
                status=answer.status,
                method="PUT",
                path=where.split(" ", 1)[1],
            )
        return result

    def set_site_property(
        self, module_key: str, environment_key: str, key: str, value: str
    ) -> PropertyResult:
        return self._set(ConfigurationItemType.SITE_PROPERTY, module_key, environment_key, key, value)

    def set_rest_endpoint(self, module_key: str, environment_key: str, key: str, url: str) -> PropertyResult:
        return self._set(ConfigurationItemType.REST_ENDPOINT, module_key, environment_key, key, url)

    def set_soap_endpoint(self, module_key: str, environment_key: str, key: str, url: str) -> PropertyResult:
        return self._set(ConfigurationItemType.SOAP_ENDPOINT, module_key, environment_key, key, url)

    def set_timer_schedule(
        self, module_key: str, environment_key: str, key: str, schedule: str
    ) -> PropertyResult:
        return self._set(ConfigurationItemType.TIMER_SCHEDULE, module_key, environment_key, key, schedule)

    def _set(
        self, item_type: ConfigurationItemType, module_key: str, environment_key: str, key: str, value: str
    ) -> PropertyResult:
        """The positional form the four named setters share."""
        return self.set_value(
            item_type, module_key=module_key, environment_key=environment_key, key=key, value=value
        )
