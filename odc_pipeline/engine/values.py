"""Configuration values: from what a user wrote in YAML to the string ODC expects.

The Asset Configurations API takes every value as a string, whatever the setting's data type,
and the platform rejects a malformed one only when the deploy applies it — minutes later, after
other assets may already have moved. So values are converted and checked here, before anything
changes, and the same normalisation is applied to the deployed value so that ``30`` and ``"30"``
or ``true`` and ``"True"`` compare equal (a re-run must not patch what is already right).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{3,30}$")
_TRUE = {"true", "yes", "on", "1"}
_FALSE = {"false", "no", "off", "0"}


class ValueConversionError(ValueError):
    """A value cannot be represented in the setting's data type; the message says what fits."""


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, (dict, list)):
        raise ValueConversionError("expected a single value, not a list or mapping")
    return "" if value is None else str(value)


def _integer(bounds: tuple[int, int], label: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if isinstance(value, bool):
            raise ValueConversionError(f"expected {label}, got a boolean")
        if isinstance(value, float):
            if not value.is_integer():
                raise ValueConversionError(f"expected {label}, got {value!r}")
            value = int(value)
        try:
            number = int(str(value).strip())
        except ValueError:
            raise ValueConversionError(f"expected {label}, got {value!r}") from None
        if not bounds[0] <= number <= bounds[1]:
            raise ValueConversionError(f"{number} is outside the {label} range {bounds[0]}..{bounds[1]}")
        return str(number)

    return convert


def _decimal(value: Any) -> str:
    if isinstance(value, bool):
        raise ValueConversionError("expected a decimal number, got a boolean")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueConversionError(f"expected a decimal number, got {value!r}") from None
    if not number.is_finite():
        raise ValueConversionError(f"expected a finite decimal number, got {value!r}")
    text = format(number, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _boolean(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    text = str(value).strip().lower()
    if text in _TRUE:
        return "True"
    if text in _FALSE:
        return "False"
    raise ValueConversionError(f"expected true or false, got {value!r}")


def _datetime(value: Any) -> str:
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    else:
        try:
            parsed = datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueConversionError(
                f"expected a date and time like 2026-01-31 13:45:00, got {value!r}"
            ) from None
    return parsed.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")


def _date(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    try:
        return date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise ValueConversionError(f"expected a date like 2026-01-31, got {value!r}") from None


def _time(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 86400:
        # YAML 1.1 reads 13:45:00 as a sexagesimal integer (49500); undo that.
        return f"{value // 3600:02d}:{value % 3600 // 60:02d}:{value % 60:02d}"
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    try:
        return time.fromisoformat(str(value).strip()).strftime("%H:%M:%S")
    except ValueError:
        raise ValueConversionError(f"expected a time like 13:45:00, got {value!r}") from None


def _pattern(regex: re.Pattern[str], label: str) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        text = _text(value).strip()
        if not regex.match(text):
            raise ValueConversionError(f"expected {label}, got {text!r}")
        return text

    return convert


CONVERTERS: dict[str, Callable[[Any], str]] = {
    "text": _text,
    "integer": _integer(INT32, "a whole number"),
    "longinteger": _integer(INT64, "a whole number (long integer)"),
    "decimal": _decimal,
    "currency": _decimal,
    "boolean": _boolean,
    "datetime": _datetime,
    "date": _date,
    "time": _time,
    "phonenumber": _pattern(_PHONE, "a phone number"),
    "email": _pattern(_EMAIL, "an email address"),
    "entityidentifiertype": _text,
    "binaryurl": _text,
}


def convert_value(value: Any, data_type: str | None) -> str:
    """The string to send for ``value`` in a setting of ``data_type`` (unknown types: as text)."""
    converter = CONVERTERS.get((data_type or "text").replace(" ", "").lower(), _text)
    return converter(value)


def normalise(value: str | None, data_type: str | None) -> str | None:
    """Canonical form of a value ODC reports, for comparing with a converted desired value."""
    if value is None:
        return None
    try:
        return convert_value(value, data_type)
    except ValueConversionError:
        return value
