"""Peak memory of publishing a large external library package: streamed vs read whole.

The package (100 MB; 4 MB with ``--quick``) is a sparse temporary file, so the benchmark costs
no disk space. Both variants hash it (as resolution does) and PUT it to the simulator's
pre-signed upload URL through the real client; the only difference is the body: the streamed
variant hands requests the open file (what ``publish`` does), the baseline reads the file into
one ``bytes`` first (what a naive client does). Peak Python allocations are measured with
``tracemalloc`` around each upload, in the same process, and reported as a ratio; the
simulator's object store spools to disk and hashes while reading, so it adds the same small
amount to both.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import tracemalloc
from collections.abc import Callable
from pathlib import Path

from bench.tables import Table, ratio
from odc_pipeline.api import OdcClient
from odc_pipeline.clock import ScaledClock
from odc_pipeline.settings import Settings
from odc_pipeline.simulator import DEFAULT_TENANT, start_simulator

MB = 1024 * 1024


def _sparse(path: Path, size: int) -> None:
    with open(path, "wb") as handle:
        handle.write(b"PK\x03\x04")
        handle.truncate(size)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(MB):
            digest.update(chunk)
    return digest.hexdigest()


def _peak(work: Callable[[], None]) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def measure(size: int) -> dict[str, tuple[int, str]]:
    """``{variant: (peak bytes, sha256 the store recorded)}`` for a ``size``-byte package."""
    clock = ScaledClock(0.001)
    results: dict[str, tuple[int, str]] = {}
    with tempfile.TemporaryDirectory() as tmp, start_simulator(DEFAULT_TENANT, clock=clock) as sim:
        package = Path(tmp) / "PaymentsSDK.zip"
        _sparse(package, size)
        settings = Settings.from_env(
            {}, portal_url=sim.url, client_id=sim.client_id, client_secret=sim.client_secret
        )
        client = OdcClient(settings, clock=clock)
        try:
            libraries = client.external_libraries

            def streamed() -> None:
                _sha256(package)
                libraries.upload(libraries.get_upload_urls().upload_url or "", package)

            def whole() -> None:
                _sha256(package)
                libraries.upload(libraries.get_upload_urls().upload_url or "", package.read_bytes())

            for name, work in (("read whole (baseline)", whole), ("streamed from disk (ours)", streamed)):
                before = set(sim.state.objects.objects)
                peak = _peak(work)
                (new,) = set(sim.state.objects.objects) - before
                stored = sim.state.objects.objects[new]
                assert stored.size == size, (stored.size, size)
                results[name] = (peak, stored.sha256)
        finally:
            client.close()
    return results


def run(*, quick: bool = False) -> list[Table]:
    size = (4 if quick else 100) * MB
    results = measure(size)
    baseline = results["read whole (baseline)"][0]
    table = Table(
        f"Peak memory uploading a {size // MB} MB package",
        ["variant", "peak traced memory", "vs read whole"],
    )
    for name, (peak, _) in results.items():
        table.add(name, f"{peak / MB:.1f} MB", ratio(peak, baseline))
    digests = {sha for _, sha in results.values()}
    table.notes.append(
        f"tracemalloc peak around hashing + `GET /uploads` + the PUT, in one process; sparse temp "
        f"file; the store received {size} bytes both times (same sha256: {len(digests) == 1})."
    )
    return [table]


if __name__ == "__main__":
    for t in run(quick=os.environ.get("QUICK") == "1"):
        print(t.to_markdown())
