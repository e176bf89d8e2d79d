"""``start_lifetime_simulator``: the in-process entry point (tests, demos, ``odc-pipeline simulator``).

Like the ODC simulator it owns no time of its own: pass a ``clock`` shared with the client, or a
``time_scale`` for a fresh ScaledClock. ``https=True`` serves TLS with a certificate generated at
start (:mod:`.tls`, written to a temporary directory as :attr:`RunningLifeTimeSimulator.ca_bundle`
for clients to trust, e.g. ``REQUESTS_CA_BUNDLE``); ``certificate=(cert.pem, key.pem)`` serves a
given one instead.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from odc_pipeline.clock import Clock
from odc_pipeline.lifetime_simulator.faults import switchboard
from odc_pipeline.lifetime_simulator.server import Context, LifeTimeServer, ResponseHook, serve_in_thread
from odc_pipeline.lifetime_simulator.state import LifeTimeState
from odc_pipeline.lifetime_simulator.tenant import LifeTimeTenant, load_lifetime_tenant
from odc_pipeline.lifetime_simulator.tls import SelfSigned, self_signed
from odc_pipeline.simulator.faults import Fault
from odc_pipeline.simulator.requestlog import RequestLog
from odc_pipeline.simulator.running import ServingSimulator, armed, simulator_clock

DEFAULT_LIFETIME_TENANT = Path(__file__).resolve().parent / "data" / "lifetime-tenant.yaml"
"""The example tenant shipped in the package; ``examples/lifetime-tenant.yaml`` is the same file."""


@cache
def loopback_certificate() -> SelfSigned:
    """One generated certificate per process: RSA key generation takes about a second."""
    return self_signed()


class RunningLifeTimeSimulator(ServingSimulator):
    """A LifeTime simulator serving on loopback until :meth:`stop` (or the ``with`` block ends)."""

    def __init__(
        self, server: LifeTimeServer, tenant: LifeTimeTenant, ca_bundle: Path | None, temp: Path | None
    ):
        super().__init__(server, serve_in_thread(server))
        self._temp = temp
        self.tenant = tenant
        self.state: LifeTimeState = server.context.state
        self.ca_bundle = ca_bundle
        self.platform = "lifetime"

    @property
    def host(self) -> str:
        """``127.0.0.1:<port>``: what the official scripts take as ``--lt_url``."""
        return self.url.split("://", 1)[1]

    @property
    def api_url(self) -> str:
        return self.url + "/lifetimeapi/rest/v2"

    @property
    def token(self) -> str:
        """The first service account's current token."""
        return self.state.token_of(self.tenant.service_accounts[0].name)

    def token_of(self, account: str) -> str:
        return self.state.token_of(account)

    def revoke_tokens(self) -> dict[str, str]:
        """New tokens for every service account (the old ones are refused): account name → token."""
        return self.state.revoke_tokens()

    def stop(self) -> None:
        super().stop()
        if self._temp is not None:
            shutil.rmtree(self._temp, ignore_errors=True)


def start_lifetime_simulator(
    tenant: str | Path | LifeTimeTenant = DEFAULT_LIFETIME_TENANT,
    *,
    port: int = 0,
    clock: Clock | None = None,
    time_scale: float = 1.0,
    faults: Iterable[Fault | str] | None = None,
    https: bool = False,
    certificate: tuple[str | Path, str | Path] | None = None,
    on_response: ResponseHook | None = None,
) -> RunningLifeTimeSimulator:
    """Load ``tenant`` and serve it on 127.0.0.1 (HTTPS when ``https`` or ``certificate`` is given)."""
    parsed = tenant if isinstance(tenant, LifeTimeTenant) else load_lifetime_tenant(tenant)
    clock = simulator_clock(clock, time_scale)
    board = armed(switchboard(), parsed.faults, faults)
    tls, ca_bundle, temp = None, None, None
    if certificate is not None or https:
        if certificate is None:
            temp = Path(tempfile.mkdtemp(prefix="lifetime-simulator-"))
            certificate = loopback_certificate().write(temp)
            ca_bundle = Path(certificate[0])
        tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        tls.load_cert_chain(str(certificate[0]), str(certificate[1]))
    state = LifeTimeState(parsed, clock)
    context = Context(state=state, faults=board, log=RequestLog(), clock=clock, on_response=on_response)
    try:
        server = LifeTimeServer(context, port=port, tls=tls)
    except OSError:
        if temp is not None:
            shutil.rmtree(temp, ignore_errors=True)
        raise
    return RunningLifeTimeSimulator(server, parsed, ca_bundle, temp)
