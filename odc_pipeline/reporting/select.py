"""Pick the back-end from the environment the CI sets, so users configure nothing.

GitHub sets ``GITHUB_ACTIONS=true``, GitLab ``GITLAB_CI=true``, Azure DevOps ``TF_BUILD=True``;
anything else (a terminal, an unknown CI) gets plain text.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TextIO

from odc_pipeline.clock import Clock
from odc_pipeline.redaction import SECRETS, SecretRegistry

from .azure import AzureReporter
from .core import StreamReporter
from .github import GitHubReporter
from .gitlab import GitLabReporter
from .plain import PlainReporter


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


def reporter_class(env: Mapping[str, str]) -> type[StreamReporter]:
    if _true(env.get("GITHUB_ACTIONS")):
        return GitHubReporter
    if _true(env.get("GITLAB_CI")):
        return GitLabReporter
    if _true(env.get("TF_BUILD")):
        return AzureReporter
    return PlainReporter


def reporter_from_env(
    env: Mapping[str, str],
    *,
    stream: TextIO | None = None,
    secrets: SecretRegistry = SECRETS,
    clock: Clock | None = None,
    report_file: str | None = None,
) -> StreamReporter:
    """The reporter for this CI. ``report_file`` is what ``--report-file`` named (if anything)."""
    cls = reporter_class(env)
    return cls(stream=stream, env=env, secrets=secrets, clock=clock, report_file=report_file)
