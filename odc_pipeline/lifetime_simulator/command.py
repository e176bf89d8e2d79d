"""``odc-pipeline simulator --platform lifetime``: serve a LifeTime tenant file until interrupted.

Prints the URL on the first line (``head -1``), then ``token=<service account token>``, then, for
a generated certificate, ``ca_bundle=<path>`` (point ``REQUESTS_CA_BUNDLE`` at it to trust it).
"""

from __future__ import annotations

import argparse
import signal
import ssl
import sys
import threading
from pathlib import Path


def run(args: argparse.Namespace) -> int:
    from odc_pipeline.errors import UsageError
    from odc_pipeline.lifetime_simulator.app import DEFAULT_LIFETIME_TENANT, start_lifetime_simulator
    from odc_pipeline.lifetime_simulator.faults import parse_lifetime_fault

    if bool(args.tls_cert) != bool(args.tls_key):
        raise UsageError("--tls-cert and --tls-key go together")
    for flag, path in (("--tls-cert", args.tls_cert), ("--tls-key", args.tls_key)):
        if path and not Path(path).is_file():
            raise UsageError(f"{flag} {path}: no such file")
    faults = [parse_lifetime_fault(text) for text in args.fault]
    certificate = (args.tls_cert, args.tls_key) if args.tls_cert else None
    try:
        simulator = start_lifetime_simulator(
            args.tenant or DEFAULT_LIFETIME_TENANT,
            port=args.port,
            time_scale=args.time_scale,
            faults=faults,
            https=args.https,
            certificate=certificate,
        )
    except ssl.SSLError as exc:
        raise UsageError(f"cannot use --tls-cert/--tls-key: {exc.reason or exc}") from None
    except OSError as exc:
        what = f"{exc.filename}: " if exc.filename else f"127.0.0.1:{args.port}: "
        raise UsageError(f"cannot serve on {what}{exc.strerror or exc}") from None
    print(simulator.url, flush=True)
    print(f"token={simulator.token}", flush=True)
    if simulator.ca_bundle is not None:
        print(f"ca_bundle={simulator.ca_bundle}", flush=True)
    # SIGTERM (docker stop, CI cancel) ends the wait like Ctrl-C, so the generated key is removed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        threading.Event().wait()
    finally:
        simulator.stop()
    return 0
