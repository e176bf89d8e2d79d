"""``odc-pipeline simulator``: serve a tenant file on loopback until interrupted.

The first line printed is the URL (port 0 picks a free port), so scripts can read it with
``head -1``; the second names the default API client's credentials.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "simulator",
        help="run the ODC (or LifeTime) simulator on 127.0.0.1",
        description="Serve a simulated ODC tenant (or, with --platform lifetime, an OutSystems 11 "
        "LifeTime) described by a tenant file. Prints the URL first.",
    )
    parser.add_argument(
        "--platform",
        choices=("odc", "lifetime"),
        default=None,
        help="which platform to simulate (default: odc, or what the tenant file's `platform:` says)",
    )
    parser.add_argument(
        "--tenant", metavar="FILE", help="tenant file (default: the bundled examples/tenant.yaml)"
    )
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free port)")
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        metavar="X",
        help="real seconds per platform second (0.01 = 100x faster)",
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME[:OPT=V,...]",
        help="switch a fault on: rate-limit-storm, server-error, drop-connection, slow-response, "
        "token-expiry, analysis-unavailable (ODC), drop-response, permission-denied (LifeTime) "
        "(options: path, method, times, after, status, seconds)",
    )
    tls = parser.add_argument_group("LifeTime over HTTPS")
    tls.add_argument("--https", action="store_true", help="serve HTTPS with a generated certificate")
    tls.add_argument("--tls-cert", metavar="PEM", help="serve HTTPS with this certificate (with --tls-key)")
    tls.add_argument("--tls-key", metavar="PEM", help="private key of --tls-cert")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    import threading

    from odc_pipeline.errors import UsageError
    from odc_pipeline.simulator import DEFAULT_TENANT, parse_fault, start_simulator

    if args.time_scale <= 0:
        raise UsageError("--time-scale must be positive")
    if (args.platform or _platform_of(args.tenant)) == "lifetime":
        from odc_pipeline.lifetime_simulator.command import run

        return run(args)
    if args.https or args.tls_cert or args.tls_key:
        raise UsageError("--https, --tls-cert and --tls-key apply to --platform lifetime only")
    faults = [parse_fault(text) for text in args.fault]
    tenant = args.tenant or DEFAULT_TENANT
    try:
        simulator = start_simulator(tenant, port=args.port, time_scale=args.time_scale, faults=faults)
    except OSError as exc:
        raise UsageError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror or exc}") from None
    print(simulator.url, flush=True)
    print(f"client_id={simulator.client_id} client_secret={simulator.client_secret}", flush=True)
    try:
        threading.Event().wait()
    finally:
        simulator.stop()
    return 0


def _platform_of(tenant: str | None) -> str:
    if tenant is None:
        return "odc"
    from odc_pipeline.simulator.app import detect_platform

    return detect_platform(tenant)
