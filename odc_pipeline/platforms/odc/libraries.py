"""ODC external libraries: find what a package already published, upload it, generate, mark.

The ODC-only half of the publish stage (``Capabilities.publish``): ``GET /uploads`` → ``PUT``
to the pre-signed URL → ``POST /generation-operations`` → ``libraryKey``; the revision's
commit message carries the package's sha256 marker, the one field a client can write on a
revision and search later (UNDOC: the API has no "which file made this revision").
The stage (:mod:`odc_pipeline.engine.publish`) keeps the decisions and the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from odc_pipeline.errors import CancelledError, OperationFailedError, UsageError
from odc_pipeline.platforms.base import RunServices
from odc_pipeline.report import Message

EXTERNAL_LIBRARY = "ExternalLibrary"
TERMINAL = frozenset({"GenerationError", "DownloadError", "ReadyForReview", "Completed"})
FAILED = frozenset({"GenerationError", "DownloadError"})
IN_PROGRESS = frozenset({"None", "Downloading", "Generating"})


@dataclass(frozen=True)
class Published:
    """A library (and, when found, the revision a package already became)."""

    key: str
    name: str
    revision: int | None = None


@dataclass(frozen=True)
class Generation:
    """How a generation ended: its status and what it made."""

    key: str
    status: str
    library_key: str
    library_name: str
    is_new_library: bool


class OdcLibraries:
    """The external-library calls of one run, on the run's ODC client."""

    def __init__(self, client: Any) -> None:
        self.client = client

    def existing(self, *, key: str | None, name: str | None, label: str) -> Published | None:
        """The library the file names (by key, else exact name), checked to be a library."""
        assets = self.client.assets
        if key:
            found = assets.get(key)
        elif name:
            exact = [m for m in assets.find_by_name(name) if m.name == name]
            if len(exact) > 1:
                keys = ", ".join(str(m.asset_key) for m in exact)
                raise UsageError(f"asset name {name!r} is ambiguous: {keys}. Use `key:` to pick one")
            found = exact[0] if exact else None
        else:
            return None
        if found is not None and str(found.asset_type or "") not in ("", EXTERNAL_LIBRARY):
            raise UsageError(
                f"{label} is a {found.asset_type} in ODC; a package publishes an ExternalLibrary"
            )
        return Published(str(found.asset_key), str(found.name)) if found is not None else None

    def revision_with_marker(self, library_key: str, marker: str) -> int | None:
        """The revision whose commit message holds ``marker`` (the package already published)."""
        found = next(iter(self.client.assets.list_revisions(library_key, commit_message=marker)), None)
        return int(found.revision) if found is not None else None

    def library_with_marker(self, marker: str) -> Published | None:
        """Any external library whose latest revision came from this package (ODC names the
        library from the assembly, so the file may call it differently)."""
        for candidate in self.client.assets.list_external_libraries():
            if marker in str(candidate.commit_message or ""):
                return Published(str(candidate.asset_key), str(candidate.name), int(candidate.revision))
        return None

    def running_generation(self, file_name: str) -> str | None:
        """An unfinished generation of a file with this name (a cancelled run's)."""
        for op in self.client.external_libraries.list_generations():
            if op.filename == file_name and str(op.status or "") in IN_PROGRESS:
                return str(op.key)
        return None

    def in_review(self, library_key: str) -> str | None:
        """The newest generation of this library, when it still waits at ReadyForReview."""
        for op in self.client.external_libraries.list_generations():
            if str(op.library_key or "") == library_key:
                return str(op.key) if op.status == "ReadyForReview" else None
        return None

    def probe_create(self) -> None:
        """``GET /uploads``: needs ``Asset management > Create``; the URLs are not used."""
        self.client.external_libraries.get_upload_urls()

    def upload_and_start(
        self, run: RunServices, *, path: str, file_name: str, label: str, describe: str
    ) -> str:
        """Upload the package to a fresh pre-signed URL and start its generation."""
        libraries = self.client.external_libraries
        urls = libraries.get_upload_urls()
        if not urls.upload_url or not urls.download_url:
            raise OperationFailedError(f"{label}: GET /uploads answered without upload/download URLs")
        run.reporter.info(f"uploading {describe}", asset=label)
        libraries.upload(urls.upload_url, path)
        # A lost answer is looked up by the client's own finder (a generation of this file created
        # since the POST was sent), never re-sent: a second generation is a second library revision.
        return str(libraries.start_generation(file_name=file_name, binary_uri=urls.download_url))

    def wait_generation(self, run: RunServices, key: str, *, what: str, stage: str) -> Generation:
        op = run.wait(
            lambda: self.client.external_libraries.get_generation(key),
            lambda o: str(o.status or "") in TERMINAL,
            what=what,
            describe=lambda o: str(o.status or ""),
            stage=stage,
        )
        return Generation(
            key=key,
            status=str(op.status or ""),
            library_key=str(op.library_key or ""),
            library_name=str(op.library_name or ""),
            is_new_library=bool(op.is_new_library),
        )

    def generation_messages(self, key: str) -> list[Message]:
        """The generation's validation messages, errors first (why it failed)."""
        try:
            log = self.client.external_libraries.log_messages(key)
        except CancelledError:
            raise
        except Exception as exc:  # explaining a failure must never hide it
            return [Message("warning", f"could not read the log of generation {key}: {exc}", "engine")]
        entries = list(log.validation_messages or [])
        entries.sort(key=lambda e: 0 if str(e.type or "") == "Error" else 1)
        severity = {"Error": "error", "Warning": "warning"}
        return [
            Message(
                severity.get(str(e.type or ""), "info"),
                f"{e.error_code}: {e.message}" if e.error_code else str(e.message or ""),
                "generation-log",
            )
            for e in entries
        ]

    def mark_latest(self, library_key: str, *, marker: str, file_name: str) -> tuple[int, str]:
        """Write the package marker into the generated revision's commit message; (revision,
        the library's name as ODC has it)."""
        latest = self.client.assets.latest_revision(library_key)
        revision = int(latest.revision)
        original = str(latest.commit_message or f"Generated from {file_name}")
        self.client.assets.set_commit_message(library_key, revision, f"{original} [{marker}]")
        return revision, str(latest.name or "")
