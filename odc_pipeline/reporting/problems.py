"""Pipeline-file problems where each CI shows them next to the line: ``validate`` in a PR job.

GitHub turns ``::error file=,line=,col=::`` into an annotation on the file in the pull
request, Azure ``##vso[task.logissue …;sourcepath=;linenumber=]``; GitLab has no log
annotations, so its merge-request widget gets a code-quality report (Code Climate JSON,
``artifacts:reports:codequality``). The plain ``file:line:column: field: message`` lines on
stderr stay as they are for every CI and for terminals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from odc_pipeline.redaction import SECRETS, SecretRegistry

from .escaping import azure_value, github_data, github_property, inert
from .limits import AnnotationBudget

TITLE = "odc-pipeline validate"


def _text(problem: Any, secrets: SecretRegistry) -> str:
    text = f"{problem.field}: {problem.message}" if problem.field else str(problem.message)
    return inert(secrets.redact(text))


def annotation_lines(
    problems: Sequence[Any], env: Mapping[str, str], *, secrets: SecretRegistry = SECRETS
) -> list[str]:
    """The CI's annotation command per problem (none outside GitHub and Azure)."""
    github = env.get("GITHUB_ACTIONS", "").lower() == "true"
    azure = env.get("TF_BUILD", "").lower() == "true"
    if not (github or azure):
        return []
    budget = AnnotationBudget()
    lines = []
    for problem in problems:
        if not budget.take("error"):
            break  # the rest are on stderr; the runner would drop them anyway
        text = _text(problem, secrets)
        if github:
            where = [f"file={github_property(problem.file)}"]
            if problem.line is not None:
                where.append(f"line={problem.line}")
                if problem.column is not None:
                    where.append(f"col={problem.column}")
            lines.append(f"::error {','.join(where)},title={github_property(TITLE)}::{github_data(text)}")
        else:
            where = [f"sourcepath={azure_value(problem.file)}"]
            if problem.line is not None:
                where.append(f"linenumber={problem.line}")
                if problem.column is not None:
                    where.append(f"columnnumber={problem.column}")
            lines.append(f"##vso[task.logissue type=error;{';'.join(where)}]{azure_value(text)}")
    return lines


def codequality_report(problems: Sequence[Any], *, secrets: SecretRegistry = SECRETS) -> str:
    """GitLab's code-quality JSON: one ``major`` issue per problem, at its file and line."""
    issues = []
    for problem in problems:
        text = _text(problem, secrets)
        where = f"{problem.file}:{problem.line}:{problem.column}:{text}"
        issues.append(
            {
                "description": text,
                "check_name": "odc-pipeline-validate",
                "fingerprint": hashlib.sha256(where.encode()).hexdigest(),
                "severity": "major",
                "location": {"path": problem.file, "lines": {"begin": problem.line or 1}},
            }
        )
    return json.dumps(issues, indent=2) + "\n"
