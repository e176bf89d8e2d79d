"""The one place that turns query arguments into the strings the swagger declares.

Every query the LifeTime client sends passes through :func:`query_pairs`, which reads the
operation's parameter declarations from the vendored swagger (Swagger 2.0: ``type``,
``format``, ``enum``, ``collectionFormat``) and refuses anything the swagger does not declare.
(:meth:`odc_pipeline.swagger.Operation.bind_query` is the inverse, used by the simulator and
the contract tests.) So no call site chooses a spelling: a boolean is ``true``/``false`` (never Python's
``True``), an ``int32`` is range-checked, a ``date`` is ``YYYY-MM-DD``, an array is joined by
its ``collectionFormat`` (``csv`` when absent) or repeated only for ``multi``, and a
parameter the swagger does not list (OP's ``ContinueWithErrors``, notes §5.3) cannot be sent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from odc_pipeline import swagger
from odc_pipeline.lifetime.endpoints import LifetimeApi

SEPARATORS = {"csv": ",", "ssv": " ", "tsv": "\t", "pipes": "|"}


class QueryArgumentError(ValueError):
    """A query argument the swagger does not allow (a bug in the caller, never sent)."""


def declared_parameters(api: LifetimeApi, method: str, template: str) -> dict[str, Mapping[str, Any]]:
    """The query parameters the swagger declares for one operation (path-level ones included)."""
    item = swagger.load_spec(api.spec_file)["paths"][template]
    operation = item[method.lower()]
    declared = [*item.get("parameters", ()), *operation.get("parameters", ())]
    return {p["name"]: p for p in declared if p.get("in") == "query"}


def query_pairs(
    api: LifetimeApi, method: str, template: str, values: Mapping[str, Any] | None
) -> list[tuple[str, str]] | None:
    """``values`` (None = not sent) as query pairs, in the order given, as the swagger types them."""
    declared = declared_parameters(api, method, template)
    pairs: list[tuple[str, str]] = []
    for name, value in (values or {}).items():
        where = f"{method} {api.base_path}{template} ?{name}"
        parameter = declared.get(name)
        if parameter is None:
            raise QueryArgumentError(f"{where}: the swagger declares no such query parameter")
        if value is None:
            if parameter.get("required"):
                raise QueryArgumentError(f"{where}: required by the swagger")
            continue
        pairs.extend(serialize(name, value, parameter, where=where))
    for name, parameter in declared.items():
        if parameter.get("required") and (values or {}).get(name) is None:
            raise QueryArgumentError(f"{method} {api.base_path}{template} ?{name}: required by the swagger")
    return pairs or None


def serialize(name: str, value: Any, parameter: Mapping[str, Any], *, where: str) -> list[tuple[str, str]]:
    """One parameter's pairs: a scalar once; an array joined, or repeated for ``multi``."""
    if parameter.get("type") == "array":
        if isinstance(value, str | bytes) or not isinstance(value, Sequence | set | frozenset):
            raise QueryArgumentError(f"{where}: the swagger types it as an array")
        items = [scalar(item, parameter.get("items") or {}, where=where) for item in value]
        form = parameter.get("collectionFormat", "csv")
        if form == "multi":
            return [(name, item) for item in items]
        return [(name, SEPARATORS[form].join(items))]
    return [(name, scalar(value, parameter, where=where))]


def scalar(value: Any, schema: Mapping[str, Any], *, where: str) -> str:
    """One value as its declared ``type``/``format`` spells it."""
    kind = schema.get("type", "string")
    if kind == "boolean":
        if not isinstance(value, bool):
            raise QueryArgumentError(
                f"{where}: the swagger types it as a boolean, got {type(value).__name__}"
            )
        text = "true" if value else "false"
    elif kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise QueryArgumentError(
                f"{where}: the swagger types it as an integer, got {type(value).__name__}"
            )
        if schema.get("format") == "int32" and not swagger.INT32[0] <= value <= swagger.INT32[1]:
            raise QueryArgumentError(f"{where}: {value} does not fit an int32")
        text = str(value)
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise QueryArgumentError(f"{where}: the swagger types it as a number, got {type(value).__name__}")
        text = repr(float(value)) if isinstance(value, float) else str(value)
    else:
        text = _string(value, schema.get("format"), where=where)
    enum = schema.get("enum")
    if enum and text not in [str(e) for e in enum]:
        raise QueryArgumentError(f"{where}: {text!r} is not one of {enum}")
    return text


def _string(value: Any, form: str | None, *, where: str) -> str:
    if form == "date":
        if isinstance(value, datetime) or not isinstance(value, date):
            raise QueryArgumentError(
                f"{where}: the swagger types it as a date (YYYY-MM-DD); pass a datetime.date"
            )
        return value.isoformat()
    if form == "date-time":
        if not isinstance(value, datetime):
            raise QueryArgumentError(f"{where}: the swagger types it as a date-time; pass a datetime")
        return value.isoformat()
    if not isinstance(value, str):
        raise QueryArgumentError(f"{where}: the swagger types it as a string, got {type(value).__name__}")
    return value
