"""``python -m bench``: run the benchmarks, print their tables, write ``bench/results.md``."""

from __future__ import annotations

import argparse
import importlib
import os
import platform
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from bench.tables import Table

BENCHMARKS: dict[str, str] = {
    "polling": "bench.polling",
    "lifetime-polling": "bench.lifetime_polling",
    "multi-asset": "bench.multi_asset",
    "plan-reads": "bench.plan_reads",
    "overhead": "bench.overhead",
    "upload-memory": "bench.upload_memory",
}
RESULTS = Path(__file__).resolve().parent / "results.md"


def run_benchmark(name: str, *, quick: bool) -> list[Table]:
    """One benchmark's tables; a benchmark whose subject is not built yet says so."""
    module = importlib.import_module(BENCHMARKS[name])
    return module.run(quick=quick)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", action="append", choices=sorted(BENCHMARKS), help="repeatable")
    parser.add_argument("--quick", action="store_true", help="tiny inputs: checks the code, not speed")
    parser.add_argument("--output", type=Path, default=RESULTS, help="markdown file (default: %(default)s)")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    sections = [
        "# odc-pipeline benchmarks",
        "",
        f"`python -m bench{' --quick' if args.quick else ''}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs ({platform.machine()}).",
        "",
    ]
    print(sections[2], flush=True)
    for name in names:
        started = time.perf_counter()
        tables = run_benchmark(name, quick=args.quick)
        took = time.perf_counter() - started
        sections.append(f"## {name}  (took {took:.1f} s)\n")
        for table in tables:
            text = table.to_markdown()
            print(text, flush=True)
            sections.append(text)
    args.output.write_text("\n".join(sections), encoding="utf-8")
    print(f"written to {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
