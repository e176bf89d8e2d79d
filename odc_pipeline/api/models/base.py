"""Base classes for API models: lenient when reading, strict when sending (odc-api-notes §7.6).

The specs mark every object ``additionalProperties: false``, but the servers add fields over
time (portfolio v2 already did). Read models therefore keep unknown fields (``extra="allow"``)
instead of breaking a pipeline on a harmless server upgrade; request models forbid them, so a
typo can never reach a server that would reject it with a 400.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic.alias_generators import to_camel

T = TypeVar("T")


def _none_to_empty(value: Any) -> Any:
    return [] if value is None else value


NullableList = Annotated[list[T], BeforeValidator(_none_to_empty)]
"""Most ``results`` and nested arrays are nullable in the specs; null and absent mean empty."""


def _sentinel_to_none(value: Any) -> Any:
    # A running deployment's non-nullable finishedDateTime may come as null, absent or
    # .NET's DateTime.MinValue (odc-api-notes §7.6); all three mean "not finished".
    if isinstance(value, str) and value.startswith("0001-01-01"):
        return None
    return value


OptionalTime = Annotated[datetime | None, BeforeValidator(_sentinel_to_none)]


class ReadModel(BaseModel):
    """A response body: snake_case attributes, camelCase aliases, unknown fields kept."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="allow")


class RequestModel(BaseModel):
    """A request body: unknown fields refused; serialized by alias with unset/None dropped."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)
