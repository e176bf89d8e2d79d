"""External Library Generation models (``/api/external-libraries/v1``)."""

from __future__ import annotations

from odc_pipeline.api.models.base import OptionalTime, ReadModel, RequestModel


class UploadUrls(ReadModel):
    """``UploadResponse``: PUT the zip to ``upload_url``, pass ``download_url`` to generation."""

    upload_url: str | None = None
    download_url: str | None = None


class GenerationRequest(RequestModel):
    """``GenerationOperationCreationRequest`` (``fileName`` here, ``filename`` in the response)."""

    file_name: str
    high_code_binary_uri: str


class GenerationStarted(ReadModel):
    """``CreationOperationResponse``."""

    operation_key: str | None = None


class GenerationOperation(ReadModel):
    """``GenerationOperationResponse``; library fields appear from ReadyForReview on."""

    key: str | None = None
    filename: str | None = None
    created_at: OptionalTime = None
    library_key: str | None = None
    library_name: str | None = None
    library_description: str | None = None
    library_icon_uri: str | None = None
    library_uri: str | None = None
    is_new_library: bool | None = None
    status: str | None = None


class ValidationMessage(ReadModel):
    """One ``validationMessages`` entry (``type``: None, Information, Warning, Error)."""

    error_code: str | None = None
    message: str | None = None
    type: str | None = None


class GenerationLog(ReadModel):
    """``GET /generation-operations/{key}/log-messages``."""

    validation_messages: list[ValidationMessage] | None = None
    finished_at: OptionalTime = None
