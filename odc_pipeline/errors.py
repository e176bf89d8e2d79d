"""The exception hierarchy and the exit codes it maps to.

Every failure the product can explain is an :class:`OdcPipelineError` carrying its exit code,
so the CLI turns it into a message and a code without a traceback. Exit codes are part of the
public contract (README, CI ``allow_failure: exit_codes``) and must not change meaning.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    FAILED = 1  # an ODC operation or a verification failed
    USAGE = 2  # invalid usage or pipeline file
    AUTH = 3  # authentication or permission failure
    GATE = 4  # blocked by a gate (impact analysis, code quality)
    TIMEOUT = 5  # a wait ran past its stage timeout
    ROLLBACK_INCOMPLETE = 9  # a release-level rollback left assets on the revisions this run deployed
    CHANGES_PENDING = 10  # --plan --detailed-exitcode: the plan would change something
    PLAN_STALE = 11  # run --from-plan: the stage moved (or the file changed) since the plan
    CANCELLED = 130  # SIGINT / SIGTERM


class OdcPipelineError(Exception):
    """Base for every error the product reports to the user in words."""

    exit_code: ExitCode = ExitCode.FAILED


class UsageError(OdcPipelineError):
    """Bad command line, settings or environment."""

    exit_code = ExitCode.USAGE


class ConfigurationError(UsageError):
    """Settings (environment variables, CI inputs) are missing or malformed."""


class AuthenticationError(OdcPipelineError):
    """Credentials were refused, or a token could not be obtained."""

    exit_code = ExitCode.AUTH


class PermissionDeniedError(OdcPipelineError):
    """The API client lacks a permission for an operation (HTTP 403)."""

    exit_code = ExitCode.AUTH


class OperationFailedError(OdcPipelineError):
    """An ODC operation finished unsuccessfully, or a verification did not hold."""

    exit_code = ExitCode.FAILED


class GateBlockedError(OdcPipelineError):
    """A gate (impact analysis, code quality) decided the run must stop."""

    exit_code = ExitCode.GATE


class OperationTimeoutError(OdcPipelineError):
    """A wait ran past its configured timeout."""

    exit_code = ExitCode.TIMEOUT


class RolledBackError(OdcPipelineError):
    """The run failed and every asset it moved was rolled back; keeps the failure's exit code."""

    def __init__(self, message: str, *, exit_code: ExitCode) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class RollbackIncompleteError(OdcPipelineError):
    """The run failed and the rollback did not bring every asset back (see the report)."""

    exit_code = ExitCode.ROLLBACK_INCOMPLETE


class PlanStaleError(OdcPipelineError):
    """``run --from-plan``: what the approved plan saw no longer holds; nothing was changed."""

    exit_code = ExitCode.PLAN_STALE


class CancelledError(OdcPipelineError):
    """The run was interrupted by SIGINT or SIGTERM."""

    exit_code = ExitCode.CANCELLED
