"""``/PropertiesAPI/rest/v1/Modules/...``: site properties, endpoint URLs and timer schedules (UNDOC).

The contract is ``specs/lifetime-properties-api-v1.undoc.json``, reconstructed from the official
scripts: the value arrives as raw text; the answer is 201 ``{Success, Message}``, with
``Success: false`` when the module has no such item (the scripts print the reason and go on).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from odc_pipeline.lifetime_simulator.routing import Handler, Request, Response, route
from odc_pipeline.swagger import PROPERTIES_BASE_PATH as BASE

if TYPE_CHECKING:
    from odc_pipeline.lifetime_simulator.server import Context

KINDS = {
    "SiteProperties/{SitePropertyKey}/Value/": ("SiteProperty", "SitePropertyKey"),
    "RESTReferences/{RESTReferenceKey}/EffectiveURL/": ("REST_Endpoint", "RESTReferenceKey"),
    "SOAPReferences/{SOAPReferenceKey}/EffectiveURL/": ("SOAP_Endpoint", "SOAPReferenceKey"),
    "Timers/{TimerKey}/Schedule/": ("TimerSchedule", "TimerKey"),
}


def _setter(kind: str, param: str) -> Handler:
    def handler(ctx: Context, req: Request) -> Response:
        env_key = req.params["EnvironmentKey"]
        if env_key in ctx.state.environments:
            ctx.state.environment(env_key, req.account)  # 403 outside the account's environments
        applied, message = ctx.state.set_config(
            req.params["ModuleKey"], env_key, kind, req.params[param], req.body
        )
        return Response(201, {"Success": applied, "Message": message})

    return handler


for _suffix, (_kind, _param) in KINDS.items():
    route("PUT", BASE, "/Modules/{ModuleKey}/Environments/{EnvironmentKey}/" + _suffix)(
        _setter(_kind, _param)
    )
