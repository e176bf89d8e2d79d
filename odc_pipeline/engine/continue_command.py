"""``odc-pipeline continue``: finish exactly one two-stage plan that a run left prepared.

The plan is named by its key (``--plan-key``) or by the report of the run that prepared it
(``--report``: its deploy steps carry the plan key and the report names the pipeline file).
Only that plan is continued, and only while LifeTime says it is prepared
(``needs_user_intervention`` / ``deployment_prepared``) — the official script's old default
of continuing the newest running plan continued the wrong one (outsystems-pipeline #92).
The rest is an ordinary run of the deploy stage (plus configure and verify when the file has
them): same report, outputs, JUnit and exit codes.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from odc_pipeline.errors import UsageError


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "continue",
        help="continue a two-stage LifeTime plan that a run left prepared",
        description="Continue exactly the prepared deployment plan named by --plan-key or --report.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="pipeline file (default: the report's)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--plan-key", metavar="KEY", help="the prepared plan's key (the run's deployments output)"
    )
    which.add_argument("--report", metavar="REPORT", help="the run report of the run that prepared the plan")
    parser.add_argument("--report-file", metavar="PATH", help="where to write the JSON run report")
    parser.add_argument("--log-level", metavar="LEVEL", default="warning", help="diagnostic log level")
    parser.add_argument(
        "--time-scale",
        type=float,
        metavar="X",
        help="LIFETIME_URL is a LifeTime simulator on this machine started with --time-scale X "
        "(`odc-pipeline simulator --platform lifetime`): wait on its scaled clock",
    )
    parser.set_defaults(handler=handle)


LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def simulator_clock(time_scale: float | None, env: Mapping[str, str]) -> Any:
    """The clock ``continue`` waits on: None (real time) unless ``--time-scale`` names the scale
    of a running LifeTime simulator. A simulator binds loopback only, so a scale is refused for
    any other LIFETIME_URL: polling a real LifeTime on a sped-up clock would hammer it.

    A continue cannot use ``run --simulate``'s embedded simulator: that one starts empty, and
    the prepared plan lives in the simulator the first run used.
    """
    if time_scale is None:
        return None
    if time_scale <= 0:
        raise UsageError("--time-scale needs a positive number")
    url = env.get("LIFETIME_URL", "")
    if urlsplit(url).hostname not in LOOPBACK_HOSTS:
        raise UsageError(
            "--time-scale is for a LifeTime simulator on this machine: LIFETIME_URL must be a "
            f"loopback URL (http://127.0.0.1:PORT), not {url or 'unset'!r}"
        )
    from odc_pipeline.clock import ScaledClock

    return ScaledClock(time_scale)


def plan_from_report(path: str) -> tuple[str, str]:
    """(plan key, pipeline file) from a prepared run's report."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise UsageError(f"--report: cannot read {path}: {exc}") from None
    if not isinstance(document, dict):
        raise UsageError(f"--report: {path} is not a run report")
    keys = {
        str(step.get("operation_key"))
        for step in document.get("steps", [])
        if isinstance(step, dict) and step.get("stage") == "deploy" and step.get("operation_key")
    }
    if document.get("status") != "prepared" or len(keys) != 1:
        raise UsageError(
            f"--report: {path} is not the report of a run that prepared one plan "
            f"(status {document.get('status')!r}, {len(keys)} plan key(s))"
        )
    return keys.pop(), str(document.get("pipeline_file") or "")


def handle(args: argparse.Namespace) -> int:
    from odc_pipeline.engine.command import _run_logging, execute
    from odc_pipeline.engine.options import RunOptions, spec_from_pipeline
    from odc_pipeline.engine.report_file import DEFAULT_REPORT_FILE
    from odc_pipeline.pipeline_file import DEFAULT_FILE, load_pipeline

    with _run_logging(args.log_level):
        if args.report:
            key, pipeline_file = plan_from_report(args.report)
        else:
            key, pipeline_file = args.plan_key.strip(), ""
        path = args.file or pipeline_file or DEFAULT_FILE
        pipeline = load_pipeline(path)
        if pipeline.platform != "lifetime":
            raise UsageError(f"{path}: continue applies to platform: lifetime (two-stage plans)")
        spec = spec_from_pipeline(pipeline, path=path)
        stages = tuple(s for s in ("configure", "deploy", "verify") if s in spec.stages)
        options = RunOptions(only=stages, continue_plan=key)
        env = dict(os.environ)
        clock = simulator_clock(args.time_scale, env)
        report_file = args.report_file or env.get("ODC_PIPELINE_REPORT_FILE") or DEFAULT_REPORT_FILE
        return execute(
            spec, options, env=env, overrides={}, clock=clock, report_file=report_file, process=True
        )
