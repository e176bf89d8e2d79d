"""Start-up time of the CLI, beside the interpreter's own start-up measured alongside.

CI runs ``odc-pipeline`` in a fresh process on every job, and ``validate`` runs on every
push, so the time before the first useful line matters. Commands are run interleaved
(baseline, then each command, repeated) so a noisy neighbour slows them all alike, and the
median of the repetitions is reported.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.tables import Table, ratio

PIPELINE = """\
version: 1
target: QA
assets:
  - name: Orders Portal
    revision: latest
stages:
  build: {}
  impact-analysis: {fail-on: errors}
  deploy: {}
"""


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("odc-pipeline")
    if script.exists():
        return [str(script)]
    found = shutil.which("odc-pipeline")
    return [found] if found else [sys.executable, "-m", "odc_pipeline"]


def _timed(argv: Sequence[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, check=False)
    return time.perf_counter() - started, done.returncode


def run(*, quick: bool = False) -> list[Table]:
    """Median start-up of ``--version`` and ``validate`` beside ``python -c pass``."""
    repeats = 2 if quick else 9
    with tempfile.TemporaryDirectory() as tmp:
        pipeline = Path(tmp) / "odc-pipeline.yml"
        pipeline.write_text(PIPELINE, encoding="utf-8")
        commands = {
            "python -c pass (baseline)": [sys.executable, "-c", "pass"],
            "python -c 'import odc_pipeline.cli'": [sys.executable, "-c", "import odc_pipeline.cli"],
            "odc-pipeline --version": [*_cli(), "--version"],
            "odc-pipeline validate FILE": [*_cli(), "validate", str(pipeline)],
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        codes: dict[str, int] = {}
        for _ in range(repeats):
            for name, argv in commands.items():
                seconds, codes[name] = _timed(argv)
                times[name].append(seconds)
    baseline = statistics.median(times["python -c pass (baseline)"])
    table = Table(
        f"CLI start-up (median of {repeats}, interleaved)",
        ["command", "median ms", "vs python -c pass", "exit code"],
    )
    for name, samples in times.items():
        median = statistics.median(samples)
        table.add(name, median * 1000, ratio(median, baseline), codes[name])
    table.notes.append(
        "Each command runs in a fresh interpreter, as in CI; the baseline is the same "
        "interpreter doing nothing, so the difference is what odc-pipeline adds."
    )
    heaviest = heaviest_imports()
    if heaviest:
        listed = ", ".join(f"`{name}` {ms:.0f} ms" for name, ms in heaviest)
        table.notes.append(
            f"Heaviest odc_pipeline imports behind `--version` (cumulative, -X importtime): {listed}."
        )
    return [table]


def heaviest_imports(top: int = 3) -> list[tuple[str, float]]:
    """The odc_pipeline modules whose import (with everything they pull in) costs most while
    the CLI builds its parser, i.e. what a lazy import would save on ``--version``."""
    done = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            "-c",
            "from odc_pipeline.cli import build_parser; build_parser()",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    found: list[tuple[str, float]] = []
    for line in done.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) != 3 or not parts[1].strip().isdigit():
            continue
        name = parts[2].strip()
        if name.startswith("odc_pipeline.") and name != "odc_pipeline.cli":
            found.append((name, int(parts[1]) / 1000))
    return sorted(found, key=lambda item: -item[1])[:top]
