"""The ``odc-pipeline`` command: parses arguments and hands over to one subsystem.

Each subcommand lives with its subsystem in a ``command`` module exposing
``register(subparsers)``; those modules import their heavy dependencies inside the handler so
that ``--version`` and ``validate`` start fast. This module only wires them and turns known
errors into a message and an exit code (never a traceback).
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from odc_pipeline import __version__
from odc_pipeline.errors import ExitCode, OdcPipelineError
from odc_pipeline.redaction import redact

COMMAND_MODULES = (
    "odc_pipeline.engine.command",  # run
    "odc_pipeline.engine.continue_command",  # continue (two-stage LifeTime plans)
    "odc_pipeline.pipeline_file.command",  # validate, schema
    "odc_pipeline.simulator.command",  # simulator
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="odc-pipeline",
        description="Promote OutSystems Developer Cloud apps: configure, build, impact-analysis, "
        "deploy, verify.",
    )
    parser.add_argument("--version", action="version", version=f"odc-pipeline {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help(sys.stderr)
        return int(ExitCode.USAGE)
    try:
        return int(handler(args))
    except OdcPipelineError as exc:
        # Errors raised before a reporter exists (a bad pipeline file under `run`) quote the
        # file's keys: each line is neutralised like ODC text (the same escaping.inert).
        from odc_pipeline.reporting.escaping import inert

        problems = getattr(exc, "problems", None)  # a bad pipeline file: one line per problem
        if problems and len(problems) > 1:
            lines = [f"{problems[0].file}: {len(problems)} problems", *(f"  {p}" for p in problems)]
        else:
            lines = redact(str(exc)).split("\n")
        lines[0] = f"odc-pipeline: error: {lines[0]}"
        print("\n".join(inert(redact(line)) for line in lines), file=sys.stderr)
        return int(exc.exit_code)
    except BrokenPipeError:  # `odc-pipeline … | head`: the reader left; no traceback for that
        from odc_pipeline.reporting.core import discard_closed_stdout

        discard_closed_stdout(sys.stdout)
        return int(ExitCode.FAILED)
    except KeyboardInterrupt:
        print("odc-pipeline: cancelled", file=sys.stderr)
        return int(ExitCode.CANCELLED)
