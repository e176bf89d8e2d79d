"""``start_simulator``: the in-process entry point (tests, ``odc-pipeline run --simulate``).

The simulator owns no time of its own: pass a ``clock`` shared with the client (a ManualClock in
tests, a ScaledClock for ``--simulate``), or a ``time_scale`` to get a fresh ScaledClock.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from odc_pipeline.clock import Clock
from odc_pipeline.simulator.auth import Authority
from odc_pipeline.simulator.faults import Fault, Faults
from odc_pipeline.simulator.ratelimit import RateLimiter
from odc_pipeline.simulator.requestlog import RequestLog
from odc_pipeline.simulator.running import ServingSimulator, armed, simulator_clock
from odc_pipeline.simulator.server import Context, SimulatorServer, serve_in_thread
from odc_pipeline.simulator.state import TenantState
from odc_pipeline.simulator.tenant import Tenant, load_tenant

if TYPE_CHECKING:
    from odc_pipeline.lifetime_simulator.app import RunningLifeTimeSimulator
    from odc_pipeline.lifetime_simulator.tenant import LifeTimeTenant

DEFAULT_TENANT = Path(__file__).resolve().parent / "data" / "example-tenant.yaml"
"""The example tenant shipped inside the package (and so inside the container image), so that
``--simulate`` works wherever odc-pipeline is installed. ``examples/tenant.yaml`` is the same
file for readers of the repository; a test keeps the two identical."""


class RunningSimulator(ServingSimulator):
    """An ODC simulator serving on loopback until :meth:`stop` (or the ``with`` block ends)."""

    def __init__(self, server: SimulatorServer, tenant: Tenant) -> None:
        super().__init__(server, serve_in_thread(server))
        self.tenant = tenant
        context = server.context
        self.state: TenantState = context.state
        self.authority: Authority = context.authority
        default = tenant.default_client()
        self.client_id = default.client_id
        self.client_secret = default.client_secret

    def expire_tokens(self) -> int:
        """Invalidate every token issued so far (clients must re-authenticate)."""
        return self.authority.expire_all()

    def credentials(self, client_id: str) -> tuple[str, str]:
        """(client_id, client_secret) of another API client of the tenant file."""
        client = self.state.clients[client_id]
        return client.client_id, client.client_secret


@overload
def start_simulator(
    tenant: str | Path | Tenant,
    *,
    port: int = 0,
    clock: Clock | None = None,
    time_scale: float = 1.0,
    faults: Iterable[Fault | str] | None = None,
    platform: Literal["odc"] | None = None,
) -> RunningSimulator: ...


@overload
def start_simulator(
    tenant: str | Path | LifeTimeTenant,
    *,
    port: int = 0,
    clock: Clock | None = None,
    time_scale: float = 1.0,
    faults: Iterable[Fault | str] | None = None,
    platform: Literal["lifetime"],
    **lifetime_options: Any,
) -> RunningLifeTimeSimulator: ...


def start_simulator(
    tenant: str | Path | Tenant | LifeTimeTenant,
    *,
    port: int = 0,
    clock: Clock | None = None,
    time_scale: float = 1.0,
    faults: Iterable[Fault | str] | None = None,
    platform: str | None = None,
    **lifetime_options: Any,
) -> RunningSimulator | RunningLifeTimeSimulator:
    """Load ``tenant`` (a file path or a parsed tenant) and serve it on 127.0.0.1.

    ``platform`` is ``"odc"`` (a :class:`RunningSimulator`) or ``"lifetime"`` (a
    ``RunningLifeTimeSimulator``; ``lifetime_options`` such as ``https=True`` go to
    :func:`odc_pipeline.lifetime_simulator.app.start_lifetime_simulator`). Without it, the tenant
    decides: a LifeTime tenant file says ``platform: lifetime`` at its top level.
    """
    if platform not in (None, "odc", "lifetime"):
        raise ValueError(f"unknown platform {platform!r}; known: odc, lifetime")
    if (platform or detect_platform(tenant)) == "lifetime":
        from odc_pipeline.lifetime_simulator.app import start_lifetime_simulator

        return start_lifetime_simulator(
            tenant, port=port, clock=clock, time_scale=time_scale, faults=faults, **lifetime_options
        )
    if lifetime_options:
        raise TypeError(f"options for the LifeTime simulator only: {', '.join(sorted(lifetime_options))}")
    if not isinstance(tenant, str | Path | Tenant):
        raise TypeError("a LifeTime tenant needs platform='lifetime'")
    parsed = tenant if isinstance(tenant, Tenant) else load_tenant(tenant)
    clock = simulator_clock(clock, time_scale)
    state = TenantState(parsed, clock)
    limits = parsed.rate_limits
    context = Context(
        state=state,
        authority=Authority(state.clients, clock, parsed.token_lifetime_seconds),
        limiter=RateLimiter(
            clock,
            domain_per_minute=limits.domain_per_minute,
            post_per_minute=limits.post_per_minute,
            enabled=limits.enabled,
        ),
        faults=armed(Faults(), parsed.faults, faults),
        log=RequestLog(),
        clock=clock,
    )
    server = SimulatorServer(context, port=port)
    return RunningSimulator(server, parsed)


_LIFETIME_MARK = re.compile(r"^platform:\s*['\"]?lifetime['\"]?\s*(#.*)?$", re.MULTILINE)


def detect_platform(tenant: str | Path | Tenant | LifeTimeTenant) -> str:
    """``"lifetime"`` for a parsed LifeTime tenant or a file whose top level says so, else ``"odc"``."""
    if isinstance(tenant, Tenant):
        return "odc"
    if not isinstance(tenant, str | Path):
        return str(getattr(tenant, "platform", "odc"))
    try:
        text = Path(tenant).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return "odc"  # load_tenant reports the problem with the file's name
    return "lifetime" if _LIFETIME_MARK.search(text) else "odc"
