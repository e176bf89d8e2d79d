"""``odc-pipeline run``: argument parsing and wiring; the work happens in :mod:`.runner`.

Heavy imports (pydantic models, requests, the simulator) happen inside the handler so that
``odc-pipeline --version`` stays fast. ``--simulate`` starts the embedded simulator in this
process and points the client at it, with one ScaledClock shared by both, so a realistic
release (90 s deploys, 10-per-minute POST limits) runs in seconds with unchanged logic.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from odc_pipeline.errors import OdcPipelineError, UsageError

DEFAULT_TENANT = "examples/tenant.yaml"
DEFAULT_SIMULATED_TIME_SCALE = 0.02
"""Real seconds per platform second under --simulate: a 90 s deploy takes 1.8 s.

Not smaller, because real loopback HTTP time is scaled too: at 0.02 a 15 ms request counts as
0.75 platform seconds, close to a real tenant's latency, so the timings the demo prints stay
believable; at 0.002 every request would look like 7 s."""
LOG_LEVELS = ("debug", "info", "warning", "error")
CANCEL_GRACE_SECONDS = 5.0
"""Real seconds a cancelled run may take to stop by itself before the report is written without
it: well inside the ~10 s CI runners leave between SIGTERM and SIGKILL."""


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "run",
        help="run the pipeline: configure, build, impact-analysis, deploy, verify",
        description="Bring the target stage to the state the pipeline file describes.",
    )
    parser.add_argument("file", nargs="?", metavar="FILE", help="pipeline file (default: odc-pipeline.yml)")
    parser.add_argument(
        "-f", "--file", dest="file_option", metavar="FILE", help="pipeline file (same as FILE)"
    )
    parser.add_argument(
        "--target", metavar="STAGE", help="target stage name or environment key (overrides the file)"
    )
    parser.add_argument("--only", metavar="LIST", help="run only these stages (comma-separated)")
    parser.add_argument("--skip", metavar="LIST", help="skip these stages (comma-separated)")
    parser.add_argument(
        "--plan", action="store_true", help="resolve and print what would happen; change nothing"
    )
    parser.add_argument(
        "--detailed-exitcode",
        action="store_true",
        help="with --plan: exit 10 when the plan would change something, 0 when not",
    )
    parser.add_argument(
        "--from-plan",
        metavar="REPORT",
        help="apply exactly the plan in REPORT (a --plan run report); exit 11, changing nothing, "
        "if the stage moved since",
    )
    parser.add_argument(
        "--force", action="store_true", help="deploy even when the stage already runs the revision"
    )
    parser.add_argument("--report-file", metavar="PATH", help="where to write the JSON run report")
    parser.add_argument(
        "--log-level", metavar="LEVEL", default="warning", choices=LOG_LEVELS, help="diagnostic log level"
    )
    parser.add_argument(
        "--simulate",
        nargs="?",
        const=DEFAULT_TENANT,
        metavar="TENANT",
        help=f"run against the embedded ODC simulator (tenant file, default {DEFAULT_TENANT})",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        metavar="X",
        help=f"with --simulate: real seconds per platform second (default {DEFAULT_SIMULATED_TIME_SCALE})",
    )
    parser.set_defaults(handler=handle)


@contextmanager
def _run_logging(level: str) -> Iterator[None]:
    """Log ``odc_pipeline.*`` to stderr, redacted, for the length of one run.

    The previous handlers, level and propagation are restored afterwards, so a run started
    in-process (tests, embedding) does not leave the package's logger rewired for whatever
    comes next.
    """
    from odc_pipeline.redaction import RedactingFilter

    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("odc_pipeline")
    saved = (logger.handlers[:], logger.level, logger.propagate)
    logger.handlers[:] = [handler]
    logger.setLevel(level.upper())
    logger.propagate = False
    try:
        yield
    finally:
        logger.handlers[:], level_before, logger.propagate = saved
        logger.setLevel(level_before)


def _pipeline_path(args: argparse.Namespace) -> str:
    if args.file and args.file_option and args.file != args.file_option:
        raise UsageError("give the pipeline file once: as FILE or with --file, not both")
    from odc_pipeline.pipeline_file import DEFAULT_FILE

    return args.file_option or args.file or DEFAULT_FILE


def _approved_plan(args: argparse.Namespace) -> Any:
    """``--from-plan REPORT``: the plan decides target, stages and force; they cannot be overridden."""
    from odc_pipeline.engine.approved import load_approved_plan

    clashing = [
        flag
        for flag, given in (
            ("--plan", args.plan),
            ("--target", args.target),
            ("--only", args.only),
            ("--skip", args.skip),
            ("--force", args.force),
        )
        if given
    ]
    if clashing:
        raise UsageError(
            f"--from-plan applies the approved plan as it is; drop {', '.join(clashing)} "
            "(the plan fixes the target, the stages and --force)"
        )
    return load_approved_plan(args.from_plan)


def _plan_pipeline_path(args: argparse.Namespace, approved: Any) -> str:
    """The pipeline file named on the command line, else the one the plan was made from."""
    if args.file or args.file_option:
        return _pipeline_path(args)
    if not approved.pipeline_file:
        raise UsageError(f"--from-plan: {approved.source} does not name its pipeline file; give FILE")
    return approved.pipeline_file


@contextmanager
def _simulated(tenant: str, scale: float, platform: str = "odc") -> Iterator[tuple[Any, Any]]:
    """Start the embedded simulator of ``platform``; yield (simulator, clock)."""
    from odc_pipeline.clock import ScaledClock
    from odc_pipeline.simulator import DEFAULT_TENANT as PACKAGED_TENANT
    from odc_pipeline.simulator import start_simulator

    if platform == "lifetime" and tenant == DEFAULT_TENANT:
        from odc_pipeline.lifetime_simulator import DEFAULT_LIFETIME_TENANT

        tenant = str(DEFAULT_LIFETIME_TENANT)  # the file's platform picks the simulator's default
    if tenant == DEFAULT_TENANT and not Path(tenant).is_file():
        tenant = str(PACKAGED_TENANT)  # outside a checkout (container, wheel): the packaged copy
    if not Path(tenant).is_file():
        raise UsageError(f"--simulate: tenant file {tenant} not found")
    clock = ScaledClock(scale)
    if platform == "lifetime":
        with start_simulator(tenant, clock=clock, time_scale=scale, platform="lifetime") as simulator:
            yield simulator, clock
        return
    with start_simulator(tenant, clock=clock, time_scale=scale) as simulator:
        yield simulator, clock


def _reporter(env: Mapping[str, str], report_file: str, clock: Any) -> Any:
    try:
        from odc_pipeline.reporting.select import reporter_from_env
    except ImportError:  # pragma: no cover - the reporting package ships with the product
        from odc_pipeline.engine.fallback_reporter import FallbackReporter

        return FallbackReporter()
    return reporter_from_env(env, clock=clock, report_file=report_file)


def handle(args: argparse.Namespace) -> int:
    with _run_logging(args.log_level):
        try:
            return _handle(args)
        except OdcPipelineError as exc:
            _report_stop(args, exc)
            raise


def _report_stop(args: argparse.Namespace, exc: OdcPipelineError) -> None:
    """Outputs, dotenv, JUnit, output variables and report for a run that never started.

    In a CI (or when a report file was named) the command writes them itself, so GitLab and
    Azure, which run ``odc-pipeline run`` without the entrypoint, still get ``status=error`` and
    the exit code. A terminal run without ``--report-file`` only prints the error line.
    """
    from odc_pipeline.redaction import redact
    from odc_pipeline.reporting.early import report_early_failure
    from odc_pipeline.reporting.select import reporter_class

    env = dict(os.environ)
    named = args.report_file or env.get("ODC_PIPELINE_REPORT_FILE")
    if reporter_class(env).ci_name == "plain" and not named:
        return
    from odc_pipeline.engine.report_file import DEFAULT_REPORT_FILE

    report_early_failure(
        int(exc.exit_code),
        reason=redact(f"odc-pipeline stopped before the run started: {exc}"),
        env=env,
        report_file=named or DEFAULT_REPORT_FILE,
        target=args.target or "",
        pipeline_file=args.file_option or args.file or "",
    )


def run_options(args: argparse.Namespace) -> tuple[str, Any]:
    """The pipeline file path and the RunOptions the command line asks for (``--from-plan`` too)."""
    from odc_pipeline.engine.options import RunOptions, parse_stage_list

    if args.detailed_exitcode and not args.plan:
        raise UsageError("--detailed-exitcode needs --plan")
    approved = _approved_plan(args) if args.from_plan else None
    path = _pipeline_path(args) if approved is None else _plan_pipeline_path(args, approved)
    options = RunOptions(
        target=args.target if approved is None else approved.target_key,
        only=parse_stage_list(args.only, flag="--only") if approved is None else approved.stages,
        skip=parse_stage_list(args.skip, flag="--skip") if approved is None else (),
        plan=args.plan,
        force=args.force if approved is None else approved.force,
        detailed_exitcode=args.detailed_exitcode,
        approved=approved,
    )
    return path, options


def _handle(args: argparse.Namespace) -> int:
    from odc_pipeline.engine.options import spec_from_pipeline
    from odc_pipeline.engine.report_file import DEFAULT_REPORT_FILE

    path, options = run_options(args)
    if args.time_scale is not None and (args.time_scale <= 0 or args.simulate is None):
        raise UsageError("--time-scale needs --simulate and a positive number")
    from odc_pipeline.pipeline_file import load_pipeline

    pipeline = load_pipeline(path)
    spec = spec_from_pipeline(pipeline, path=path)
    require_target(spec, options)
    env = dict(os.environ)
    report_file = args.report_file or env.get("ODC_PIPELINE_REPORT_FILE") or DEFAULT_REPORT_FILE
    if args.simulate is not None:
        scale = args.time_scale or DEFAULT_SIMULATED_TIME_SCALE
        with _simulated(args.simulate, scale, spec.platform) as (simulator, clock):
            overrides = (
                {"url": simulator.url, "token": simulator.token}
                if spec.platform == "lifetime"
                else {
                    "portal_url": simulator.url,
                    "client_id": simulator.client_id,
                    "client_secret": simulator.client_secret,
                }
            )
            return execute(
                spec,
                options,
                env=env,
                overrides=overrides,
                clock=clock,
                report_file=report_file,
                process=True,
            )
    portal = (
        {"portal_url": pipeline.portal_url} if pipeline.portal_url and not env.get("ODC_PORTAL_URL") else {}
    )
    return execute(
        spec, options, env=env, overrides=portal, clock=None, report_file=report_file, process=True
    )


def _bound(platform: Any, spec: Any) -> Any:
    """The platform with the pipeline file's own keys for it (LifeTime's source, zones, ...)."""
    options = getattr(spec, "platform_options", None)
    return platform.bind(options) if options is not None else platform


def require_target(spec: Any, options: Any) -> None:
    """No target means no run: exit 2 before the first request (and before --simulate starts)."""
    if not (options.target or spec.target):
        where = f" in {spec.pipeline_file}" if spec.pipeline_file else ""
        raise UsageError(
            f"no target stage: set `target:`{where} or pass --target STAGE (GitHub action input `target`)"
        )


def execute(
    spec: Any,
    options: Any,
    *,
    env: Mapping[str, str],
    overrides: Mapping[str, Any],
    clock: Any,
    report_file: str,
    reporter: Any = None,
    process: bool = False,
) -> int:
    """Build the client and context, run with signal handling, report, write the report file.

    The pipeline file's ``platform:`` picks the client and the seam around it
    (:mod:`odc_pipeline.platforms`); nothing here knows which platform it is.

    ``process``: this is the CLI's own process. After a cancel that left a call stuck on its
    socket, it then ends with ``os._exit(130)`` once the report is written and the streams are
    flushed, instead of letting the interpreter wait for the stuck thread (up to the read
    timeout, past the SIGKILL a CI runner sends ~10 s after SIGTERM).
    """
    from odc_pipeline.clock import SystemClock
    from odc_pipeline.engine.cancel import cancel_on_signals
    from odc_pipeline.engine.context import RunContext
    from odc_pipeline.engine.plan import render_plan
    from odc_pipeline.engine.report_file import write_report
    from odc_pipeline.engine.runner import run_cancellable
    from odc_pipeline.platforms import open_client, platform_for

    require_target(spec, options)
    clock = clock or SystemClock()
    reporter = reporter or _reporter(env, report_file, clock)
    name = getattr(spec, "platform", None)
    client = open_client(name, env=env, overrides=overrides, clock=clock)
    hurry = threading.Event()
    ctx = RunContext(
        client=client,
        clock=clock,
        reporter=reporter,
        spec=spec,
        options=options,
        platform=_bound(platform_for(name, client), spec),
    )
    with cancel_on_signals(ctx.cancel, notify=reporter.warning, hurry=hurry):
        report, abandoned = run_cancellable(ctx, grace=CANCEL_GRACE_SECONDS, hurry=hurry)
    if not ctx.cancel.is_set():
        client.close()  # after a cancel a call may still be stuck on its socket: the process exit frees it
    if report.plan_only:
        for line in render_plan(report):
            reporter.info(line)
    write_report(report, report_file)
    reporter.finish(report)
    if abandoned and process:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(report.exit_code)
    return report.exit_code
