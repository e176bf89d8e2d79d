"""``odc-pipeline validate [FILE]`` and ``odc-pipeline schema``.

Both are offline. ``validate`` is meant for every pull request: it lists every problem (not
only the first) as ``file:line:column: field: message`` on stderr and exits 2, or prints a
one-line summary and exits 0. Heavy imports (pydantic) happen inside the handlers so that
building the parser for any other subcommand stays cheap.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``validate`` and ``schema`` subcommands to the CLI's subparsers."""
    validate = subparsers.add_parser(
        "validate",
        help="check a pipeline file offline (syntax, schema, references)",
        description="Check a pipeline file without contacting ODC. Lists every problem; exit code 2 if any.",
    )
    validate.add_argument("file", nargs="?", default="odc-pipeline.yml", help="default: odc-pipeline.yml")
    validate.add_argument(
        "--ignore-missing-env",
        action="store_true",
        help="treat unset ${VAR} references as empty (where CI secrets are not available)",
    )
    validate.add_argument(
        "--codequality",
        metavar="PATH",
        help="also write the problems as a GitLab code-quality report (artifacts:reports:codequality)",
    )
    validate.set_defaults(handler=_validate)

    schema = subparsers.add_parser(
        "schema",
        help="print the pipeline file's JSON Schema",
        description="Print the JSON Schema (draft 2020-12) of the pipeline file, for editors and linters.",
    )
    schema.add_argument("--output", "-o", metavar="PATH", help="write to PATH instead of stdout")
    schema.add_argument(
        "--markdown", action="store_true", help="print the README's reference table instead of the schema"
    )
    schema.set_defaults(handler=_schema)


def _validate(args: argparse.Namespace) -> int:
    import os

    from odc_pipeline.errors import ExitCode
    from odc_pipeline.pipeline_file.loader import load_pipeline
    from odc_pipeline.pipeline_file.problems import PipelineFileError
    from odc_pipeline.redaction import redact
    from odc_pipeline.reporting.escaping import inert
    from odc_pipeline.reporting.problems import annotation_lines, codequality_report

    try:
        pipeline = load_pipeline(args.file, ignore_missing_env=args.ignore_missing_env)
    except PipelineFileError as exc:
        # Field paths and messages quote the file's own keys and values: a key holding a newline
        # and "::add-mask::" or "##vso[" must not start a CI command line (a fork PR can carry it).
        for problem in exc.problems:
            print(inert(redact(str(problem))), file=sys.stderr)
        for line in annotation_lines(exc.problems, os.environ):  # GitHub / Azure: at file:line
            print(line, flush=True)
        if args.codequality:
            _write(args.codequality, codequality_report(exc.problems))
        count = len(exc.problems)
        print(inert(f"{args.file}: invalid ({count} problem{'s' if count != 1 else ''})"), file=sys.stderr)
        return int(ExitCode.USAGE)
    if args.codequality:
        _write(args.codequality, codequality_report([]))
    stages = ", ".join(pipeline.stages.enabled)
    target = pipeline.target or "(from --target)"
    assets = len(pipeline.assets)
    noun = "asset" if assets == 1 else "assets"
    where = "" if pipeline.platform == "odc" else f"platform {pipeline.platform}, "
    print(inert(f"{args.file}: valid; {where}{assets} {noun}, target {target}, stages: {stages}"))
    return int(ExitCode.OK)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def _schema(args: argparse.Namespace) -> int:
    if args.markdown:
        from odc_pipeline.pipeline_file.reference import reference_markdown

        text = reference_markdown()
    else:
        from odc_pipeline.pipeline_file.schema import schema_text

        text = schema_text()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)
    return 0
