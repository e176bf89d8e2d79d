"""Base classes for LifeTime models: PascalCase on the wire, lenient reads, strict requests.

The swagger names fields in PascalCase (``BaseApplicationVersionKey``) with acronyms kept
(``OSVersion``, ``DetailsURL``, ``UseHTTPS``), so aliases come from ``to_pascal`` and the few
acronym fields say theirs explicitly; ``tests/lifetime/test_models.py`` checks every alias
against the swagger's definitions. Read models keep unknown fields (LifeTime adds fields
between releases, e.g. ``DetailsURL`` in 11.22.0); request models forbid them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_pascal

# Arrays may come as null (OP sends ``MobileVersions: null`` and reads them back); both mean
# empty, as in ODC's specs: one NullableList for both clients (re-exported for the models here).
from odc_pipeline.api.models.base import NullableList  # noqa: F401
from odc_pipeline.swagger import UNSET_DATE

UNSET_DATE_PREFIX = UNSET_DATE[:10]
"""LifeTime writes a date that is not set as ``1900-01-01T00:00:00`` (notes §2)."""


def _lifetime_time(value: Any) -> Any:
    """Unset (1900-01-01), empty or null → None; a zone-less time is read as UTC (UNDOC)."""
    if value is None or (
        isinstance(value, str) and (not value.strip() or value.startswith(UNSET_DATE_PREFIX))
    ):
        return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    else:
        return value
    if parsed.year == 1900 and parsed.month == 1 and parsed.day == 1:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


LifetimeTime = Annotated[datetime | None, BeforeValidator(_lifetime_time)]
"""A swagger ``date-time``: None when LifeTime says "not set"; always timezone-aware."""


class LtReadModel(BaseModel):
    """A LifeTime response body: snake_case attributes, PascalCase aliases, unknown fields kept."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="allow")


class LtRequestModel(BaseModel):
    """A LifeTime request body: unknown fields refused; serialized by alias."""

    model_config = ConfigDict(alias_generator=to_pascal, populate_by_name=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
