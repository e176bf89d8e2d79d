"""Site properties per module in the target, through LifeTime's Properties API, after the deploy.

LifeTime applies a site property to the module version that runs, so values are written once
the plan has finished (OP's Azure template does the same: apply-config after continue). The
Properties API addresses modules and properties by key and has no read (UNDOC, notes §5.14):
module names are resolved with ``GET /modules/``, property keys come from the file, and every
listed value is sent — a PUT of the same value changes nothing. Secret values are registered
before sending and never appear in a message; ``Success: false`` fails the step (OP only
prints it and exits 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from odc_pipeline.errors import UsageError
from odc_pipeline.lifetime import LifetimeClient
from odc_pipeline.lifetime.properties import PropertyNotAppliedError
from odc_pipeline.platforms.base import AssetRef, EnvironmentRef
from odc_pipeline.platforms.lifetime.options import SitePropertyValue
from odc_pipeline.redaction import SecretRegistry
from odc_pipeline.report import Message


def module_keys(client: LifetimeClient, names: Sequence[str]) -> dict[str, str]:
    """Module name → key, exactly; a missing module is a usage error naming the near ones."""
    modules = client.modules.list()
    found: dict[str, str] = {}
    for name in names:
        exact = [m for m in modules if m.name == name and m.key]
        if not exact:
            near = sorted({m.name or "" for m in modules if (m.name or "").lower() == name.lower()})
            hint = f" (did you mean {', '.join(map(repr, near))}?)" if near else ""
            raise UsageError(f"module {name!r} not found{hint}; module names match exactly")
        found[name] = exact[0].key or ""
    return found


def apply(
    client: LifetimeClient,
    environment: EnvironmentRef,
    asset: AssetRef,
    body: Mapping[str, Sequence[SitePropertyValue]],
    *,
    secrets: SecretRegistry,
) -> tuple[Message, ...]:
    """Set every value of ``body`` (module name → values); messages say what was set (masked)."""
    keys = module_keys(client, list(body))
    messages = []
    for module, values in body.items():
        for value in values:
            if value.secret:
                secrets.register(value.text)
            try:
                client.properties.set_site_property(keys[module], environment.key, value.key, value.text)
            except PropertyNotAppliedError as exc:
                raise UsageError(
                    f"{asset.name}: site property {module}.{value.name} was not applied: "
                    f"{secrets.redact(str(exc))}"
                ) from None
            shown = "***" if value.secret else value.text
            messages.append(
                Message("info", f"{module}.{value.name} = {shown} in {environment.name}", "configure")
            )
    return tuple(messages)
