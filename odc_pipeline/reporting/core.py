"""What every back-end shares: a redacting, neutralising line writer with elapsed times.

Back-ends differ only in how a fold opens, how a warning is annotated and what ``finish``
writes; the safety rules (every ODC text redacted, then made inert; one line per write, flushed
so CI logs interleave correctly with the engine's threads) live here once.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping
from pathlib import Path
from typing import TextIO

from odc_pipeline.clock import Clock, SystemClock
from odc_pipeline.redaction import SECRETS, SecretRegistry
from odc_pipeline.report import RunReport, StepStatus

from .escaping import inert, inert_lines
from .limits import AnnotationBudget
from .outputs import DEFAULT_REPORT_FILE, Outputs, derive_outputs
from .rollback import stage_state

_RESET = "\x1b[0m"
_FINISHED = threading.Event()


def run_was_reported() -> bool:
    """Whether any reporter in this process wrote its final outputs (see ``entrypoint.py``)."""
    return _FINISHED.is_set()


def discard_closed_stdout(stream: TextIO) -> TextIO:
    """After EPIPE: point stdout's descriptor at /dev/null and return a sink for ``stream``.

    Python flushes ``sys.stdout`` once more at exit; with the pipe still behind it that flush
    fails again and prints "Exception ignored … BrokenPipeError". Redirecting the descriptor is
    the remedy the Python documentation gives (``signal`` module, "Note on SIGPIPE").
    """
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        # not backed by a descriptor (OSError, ValueError): the sink below is enough
        with contextlib.suppress(OSError, ValueError):
            if stream is sys.stdout or stream is sys.__stdout__:
                os.dup2(devnull, sys.stdout.fileno())
    finally:
        os.close(devnull)
    return open(os.devnull, "w", encoding="utf-8")  # lives as long as the reporter


COLOURS = {"warning": "\x1b[33m", "error": "\x1b[31m", "stage": "\x1b[1;36m", "ok": "\x1b[32m"}


class StreamReporter:
    """A plain-text :class:`~odc_pipeline.reporting.base.Reporter`; back-ends subclass it."""

    ci_name = "plain"

    def __init__(
        self,
        *,
        stream: TextIO | None = None,
        env: Mapping[str, str] | None = None,
        secrets: SecretRegistry = SECRETS,
        clock: Clock | None = None,
        report_file: str | None = None,
        colour: bool | None = None,
    ) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.env: Mapping[str, str] = dict(os.environ if env is None else env)
        self.secrets = secrets
        self.clock = clock or SystemClock()
        self.report_file = report_file or self.env.get("ODC_PIPELINE_REPORT_FILE") or DEFAULT_REPORT_FILE
        self.colour = self._colour_default() if colour is None else colour
        self.warnings = 0
        self.errors = 0
        self._lock = threading.Lock()
        self._t0 = self.clock.monotonic()
        self._stage_t0: dict[str, float] = {}
        self.setup()
        self.secrets.subscribe(self.on_secret)

    def setup(self) -> None:
        """Back-end state, created before the first secret is replayed to :meth:`on_secret`."""

    # ----------------------------------------------------------------- helpers
    def _colour_default(self) -> bool:
        if "NO_COLOR" in self.env:
            return False
        isatty = getattr(self.stream, "isatty", None)
        return bool(isatty and isatty())

    def paint(self, kind: str, text: str) -> str:
        return f"{COLOURS[kind]}{text}{_RESET}" if self.colour and kind in COLOURS else text

    def emit(self, line: str) -> None:
        """Write one already-safe line (our own command syntax plus cleaned text).

        A reader that goes away (``odc-pipeline run … | head``) must not stop a deployment half
        way: on a closed pipe the rest of the log is discarded and the run carries on.
        """
        with self._lock:
            try:
                self.stream.write(line + "\n")
                self.stream.flush()
            except BrokenPipeError:
                self.stream = discard_closed_stdout(self.stream)

    def clean(self, text: str) -> str:
        """Redacted, single-line, inert version of text that may come from ODC."""
        return inert(self.secrets.redact(text))

    def clean_lines(self, text: str) -> list[str]:
        return inert_lines(self.secrets.redact(text))

    def elapsed(self) -> str:
        return f"[{self.clock.monotonic() - self._t0:7.1f}s]"

    def outputs(self, report: RunReport) -> Outputs:
        return derive_outputs(report, report_file=self.report_file, secrets=self.secrets)

    def path_from_env(self, name: str, default: str) -> Path:
        return Path(self.env.get(name) or default)

    def on_secret(self, secret: str) -> None:
        """Called for every secret before it could be printed; plain text has nothing to do."""

    def message_line(self, level: str, message: str, asset: str | None) -> None:
        who = f"{self.clean(asset)}: " if asset else ""
        tag = {"info": "", "warning": "warning: ", "error": "error: "}[level]
        for i, line in enumerate(self.clean_lines(message)):
            text = f"{self.elapsed()} {tag}{who}{line}" if i == 0 else f"{' ' * 10}│ {line}"
            self.emit(self.paint(level, text) if level != "info" else text)

    # ------------------------------------------------------------ the protocol
    def start(self, *, target: str, pipeline_file: str, plan_only: bool) -> None:
        mode = " (plan only: no changes)" if plan_only else ""
        self.emit(f"{self.elapsed()} odc-pipeline: {self.clean(pipeline_file)} → {self.clean(target)}{mode}")

    def stage_started(self, stage: str) -> None:
        self._stage_t0[stage] = self.clock.monotonic()
        self.emit(self.paint("stage", f"{self.elapsed()} ▶ {self.clean(stage)}"))

    def stage_duration(self, stage: str) -> float:
        return self.clock.monotonic() - self._stage_t0.get(stage, self.clock.monotonic())

    def stage_finished(self, stage: str, status: StepStatus) -> None:
        kind = "error" if StepStatus(status).is_failure else "ok"
        text = f"{self.elapsed()} ■ {self.clean(stage)}: {status} ({self.stage_duration(stage):.1f}s)"
        self.emit(self.paint(kind, text))

    def info(self, message: str, *, asset: str | None = None) -> None:
        self.message_line("info", message, asset)

    def warning(self, message: str, *, asset: str | None = None) -> None:
        self.warnings += 1
        self.message_line("warning", message, asset)

    def error(self, message: str, *, asset: str | None = None) -> None:
        self.note_error(message)
        self.message_line("error", message, asset)

    def note_error(self, message: str) -> None:
        self.errors += 1

    def heartbeat(self, message: str) -> None:
        self.emit(f"{self.elapsed()} … {self.clean(message)}")

    def finish(self, report: RunReport) -> None:
        try:
            self.finish_outputs(report)
        finally:
            _FINISHED.set()
            self.secrets.unsubscribe(self.on_secret)

    def finish_outputs(self, report: RunReport) -> None:
        """Back-ends write their files here; plain prints the outputs as the last lines."""
        out = self.outputs(report)
        kind = "error" if report.exit_code else "ok"
        state = stage_state(report)
        if state is not None:
            self.emit(self.paint("warning", f"{self.elapsed()} {state[0]}: {self.clean(state[1])}"))
        self.emit(self.paint(kind, f"{self.elapsed()} {out.summary} (exit code {out.exit_code})"))
        self.emit(f"{' ' * 10}  report: {out.report_file}")


class AnnotatingReporter(StreamReporter, ABC):
    """A back-end whose CI turns warnings and errors into annotations (GitHub, Azure).

    Both runners cap annotations per kind, so each goes through an :class:`AnnotationBudget`
    (past it, a plain log line) and the last error slot stays free for the reason the run
    failed (:meth:`annotate_failure`).
    """

    def setup(self) -> None:
        self.budget = AnnotationBudget()
        self._annotated: set[str] = set()

    @abstractmethod
    def annotation(self, kind: str, message: str, asset: str | None) -> str:
        """The CI's command line for one annotation (``message`` and ``asset`` are raw)."""

    def annotate(self, kind: str, message: str, asset: str | None, *, final: bool = False) -> None:
        if not self.budget.take(kind, final=final):
            self.message_line(kind, message, asset)
            return
        self._annotated.add(self.clean(message))
        self.emit(self.annotation(kind, message, asset))

    def annotate_failure(self, report: RunReport) -> None:
        """The reason the run failed is always annotated, even past the limit for other errors."""
        if report.exit_code and report.error and self.clean(report.error) not in self._annotated:
            self.annotate("error", report.error, None, final=True)

    def warning(self, message: str, *, asset: str | None = None) -> None:
        self.warnings += 1
        self.annotate("warning", message, asset)

    def error(self, message: str, *, asset: str | None = None) -> None:
        self.note_error(message)
        self.annotate("error", message, asset)
